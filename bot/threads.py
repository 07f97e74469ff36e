"""Follow-ups in a thread: "and when was that?" asked about the thread's previous question.

In a thread where casebot answered a question, a short follow-up with no content of its
own (`retrieval.answering.question.is_follow_up`) is asked together with that question
(`retrieval.answering.question.with_context`), and the answer says which question it took as context.

The context is the last question *with content of its own* asked in the thread, so
"when?" then "source?" both read the first question. It lives only in memory (never in
the store, whatever CASEBOT_STORE_QUESTIONS says), for at most `MAX_THREADS` threads, and a
thread's is forgotten `EXPIRY_SECONDS` after its last question; a restart forgets them all.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from retrieval.index import Index
from retrieval.model import Answer
from retrieval.answering.question import is_follow_up, with_context

if TYPE_CHECKING:
    from bot.caller import Caller
    from bot.commands import Command

# Enough for every thread a busy workspace has open in a day; the oldest go first.
MAX_THREADS = 2000
# A thread idle this long has moved on (or been left): a follow-up there is asked as typed.
EXPIRY_SECONDS = 6 * 3600.0

_Key = tuple[str, str]


class ThreadContexts:
    """The previous question of each thread casebot answered in, bounded and expiring.

    Args:
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._questions: OrderedDict[_Key, tuple[str, float]] = OrderedDict()

    def resolve(
        self, index: Index, caller: Caller, command: Command
    ) -> tuple[Command, str | None]:
        """The command to run for `command`, and the previous question it was read with
        (None when it is asked as typed: not a question in a known thread, or one with
        content of its own)."""
        key = _key(caller)
        if command.name != "ask" or key is None:
            return command, None
        previous = self._previous(key)
        if previous is None or not is_follow_up(index, command.argument):
            return command, None
        return replace(command, argument=with_context(command.argument, previous)), previous

    def remember(self, caller: Caller, command: Command, previous: str | None) -> None:
        """Keep a question casebot answered in a thread as that thread's context; a
        follow-up (`previous` set) keeps the context it was read with."""
        key = _key(caller)
        if command.name != "ask" or key is None:
            return
        question = previous if previous is not None else command.argument
        self._questions[key] = (question, self._clock())
        self._questions.move_to_end(key)
        while len(self._questions) > MAX_THREADS:
            self._questions.popitem(last=False)

    def _previous(self, key: _Key) -> str | None:
        kept = self._questions.get(key)
        if kept is None:
            return None
        question, at = kept
        if self._clock() - at > EXPIRY_SECONDS:
            del self._questions[key]
            return None
        return question


def explain(answer: Answer, typed: str, previous: str) -> Answer:
    """`answer` to a follow-up, titled as typed and saying which question it read it with."""
    note = f"Read as a follow-up to “{previous}”."
    return replace(answer, question=typed, notes=(note, *answer.notes))


def _key(caller: Caller) -> _Key | None:
    # The adapters make thread ids unique on their platform (Slack: channel and thread_ts;
    # Discord: the thread's id, whichever channel a message in it names).
    if caller.thread_id is None:
        return None
    return (caller.platform, caller.thread_id)
