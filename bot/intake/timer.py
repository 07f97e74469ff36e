"""A time limit on work that may not end by itself: reading a hostile PDF or page.

pypdf and trafilatura are Python that loops for as long as a document asks (a PDF whose one
content stream is shared by thousands of pages), so the limit interrupts them: SIGALRM
raises in the middle of their work. Signals reach only the main thread, which is where the
intake's worker process (bot/intake/worker.py) and `casebot add` do it; elsewhere the block
runs unbounded here and the worker's process-level limit, which kills it, is what holds.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.intake.errors import IntakeError


class _OutOfTime(BaseException):
    # A BaseException, so that the extractors' own `except Exception` cannot swallow it.
    pass


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Run the block for at most `seconds`, else IntakeError("`what` took longer than …").

    Args:
        seconds: the limit (> 0).
        what: the work, as the sentence's subject ("reading the PDF").
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = [True]

    def expire(signum: int, frame: object) -> None:
        if armed[0]:
            raise _OutOfTime

    def disarm() -> None:
        # The alarm may fire once more while this runs: retried until `armed` is off,
        # after which it raises nothing.
        while True:
            try:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                return
            except _OutOfTime:
                continue

    previous = signal.signal(signal.SIGALRM, expire)
    # Again every 0.1 s after the first: an exception raised where Python cannot pass it on
    # (a garbage collector callback, a __del__) is printed and dropped, so it comes again.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    timed_out = False
    try:
        try:
            yield
        except _OutOfTime:
            timed_out = True
        finally:
            disarm()
    except _OutOfTime:  # arrived while the first was being handled
        timed_out = True
    if timed_out:
        raise IntakeError(
            f"{what} took longer than {seconds:g} seconds, so casebot stopped (set "
            "CASEBOT_EXTRACT_TIMEOUT to allow more)."
        )
