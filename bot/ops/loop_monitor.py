"""How long the event loop keeps a ready task waiting: the worst stall, and a histogram.

Everything casebot answers runs on one event loop, so anything that holds it (a slow
query, a long call in another thread that keeps the GIL, a full garbage collection) delays
every answer at once. `LoopMonitor` sleeps `interval` (10 ms) again and again and records
how much later than asked it woke: that lateness is the stall.

`casebot serve` runs one. It reports the worst stall of the latest window (60 s) to a
callback, which sets the `casebot_event_loop_worst_stall_seconds` gauge, and logs the worst
stall of the whole run and the histogram when it stops, in a line such as

    event loop: worst stall 12.3 ms in 95.2 s (9,012 samples; ≤1 ms 8,950, ≤5 ms 50, ...)

which `tests/load_test.py` reads back.

`freeze_long_lived_objects`, which `casebot serve` calls once it is ready, takes away the
commonest stall of all: a full garbage collection walking every module and the corpus.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import ctypes
import gc
import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Upper bounds of the histogram's buckets, in seconds; the last bucket is everything above.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# Stalls at least this long are logged one by one (at DEBUG), to find when they happen.
NOTABLE_STALL = 0.05

Report = Callable[[float], None]


class LoopMonitor:
    """Measures the event loop's stalls while `run()` (or the task `start()` makes) runs.

    Args:
        interval: seconds to sleep between samples.
        window: seconds over which `report` gets the worst stall.
        report: called with the worst stall (seconds) of the latest window whenever that
            figure changes: at once when a worse stall happens, and when a window ends.
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self,
        *,
        interval: float = 0.01,
        window: float = 60.0,
        report: Report | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.interval = interval
        self.window = window
        self._report = report
        self._clock = clock
        self.worst = 0.0
        self.samples = 0
        self.counts = [0] * (len(BUCKETS) + 1)
        self._started: float | None = None
        self._stopped: float | None = None
        self._window_start = 0.0
        self._window_worst = 0.0
        self._previous_window_worst = 0.0
        self._reported: float | None = None
        self._task: asyncio.Task[None] | None = None

    def record(self, stall: float) -> None:
        """Count one sample: the loop woke `stall` seconds later than asked."""
        now = self._clock()
        if self._started is None:
            self._started = self._window_start = now
        stall = max(0.0, stall)
        if stall >= NOTABLE_STALL:
            logger.debug("event loop stalled %.1f ms", stall * 1000)
        self.samples += 1
        self.counts[bisect.bisect_left(BUCKETS, stall)] += 1
        self.worst = max(self.worst, stall)
        if now - self._window_start >= self.window:
            self._previous_window_worst = self._window_worst
            self._window_worst = 0.0
            self._window_start = now
        self._window_worst = max(self._window_worst, stall)
        # The gauge shows the worst of the current and the previous window, so a stall
        # stays visible for at least one whole window whenever it happened in it.
        latest = max(self._window_worst, self._previous_window_worst)
        if latest != self._reported and self._report is not None:
            self._reported = latest
            self._report(latest)

    async def run(self) -> None:
        """Sample until cancelled."""
        self._started = self._window_start = self._clock()
        while True:
            asked = self._clock()
            await asyncio.sleep(self.interval)
            self.record(self._clock() - asked - self.interval)

    def start(self) -> asyncio.Task[None]:
        """Run the monitor in a task on the running loop."""
        self._task = asyncio.create_task(self.run(), name="casebot-loop-monitor")
        return self._task

    async def stop(self) -> None:
        """Stop sampling (if `start` was called) and log the summary."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._stopped = self._clock()
        logger.info("%s", self.summary())

    def summary(self) -> str:
        """One line: the worst stall, how long and how often it was measured, the histogram."""
        end = self._stopped if self._stopped is not None else self._clock()
        seconds = end - self._started if self._started is not None else 0.0
        buckets = ", ".join(
            f"≤{bound * 1000:g} ms {count:,}"
            for bound, count in zip(BUCKETS, self.counts, strict=False)
            if count
        )
        if self.counts[-1]:
            buckets += f"{', ' if buckets else ''}>{BUCKETS[-1] * 1000:g} ms {self.counts[-1]:,}"
        return (
            f"event loop: worst stall {self.worst * 1000:.1f} ms in {seconds:.1f} s "
            f"({self.samples:,} samples{'; ' + buckets if buckets else ''})"
        )


def freeze_long_lived_objects() -> None:
    """Take everything alive now out of the cyclic garbage collector's sight (`gc.freeze`).

    A full collection walks every tracked object while holding the GIL, so it stalls the
    event loop for as long as the walk takes, ~45 ms for the modules `casebot serve`
    imports alone, more with a large corpus. Called once serving has started, it leaves
    the modules, the first corpus and the connections, which live as long as the process,
    out of every later walk. Garbage already there is collected first. A frozen object is
    still freed by reference counting when it is dropped: the first index, replaced by a
    reload, holds no reference cycles. `unfreeze_long_lived_objects` undoes it.

    The memory the start's builds freed is then handed back to the system: glibc keeps
    freed heap for reuse, and indexing 100,000 passages at start left ~100 MB of it
    resident for the life of the process (292 MB, 190 MB after `malloc_trim`).
    """
    gc.collect()
    gc.freeze()
    _return_free_memory()


def _return_free_memory() -> None:
    """glibc's malloc_trim(0): free heap pages go back to the system. Elsewhere (musl,
    macOS) there is no such call, and nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def unfreeze_long_lived_objects() -> None:
    """Give the objects `freeze_long_lived_objects` froze back to the garbage collector."""
    gc.unfreeze()
