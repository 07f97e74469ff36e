"""Follow-ups in a thread: "and when was that?" asked about the thread's previous question.

In a thread where casebot answered a question, a short follow-up with no content of its
own (`retrieval.answering.question.is_follow_up`) is asked together with that question
(`retrieval.answering.question.with_context`), and the answer says which question it took as context.
The thread also keeps the case its previous question was about: a question there that
names no case stays with it (bot/routing.py), and only a question about that same case is
read as its follow-up.

The context is the last question *with content of its own* asked in the thread, so
"when?" then "source?" both read the first question. One process keeps it only in memory
(never in the store, whatever CASEBOT_STORE_QUESTIONS says), for at most `MAX_THREADS`
threads, and a thread's is forgotten `EXPIRY_SECONDS` after its last question; a restart
forgets them all. Replicas on PostgreSQL keep it in the database for that long instead, so
that a follow-up answered by another replica reads it (bot/replicas/threads.py): `recall`
and `share` are where that happens, and do nothing here.
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
        # thread -> (its previous question, the case it was about, when it was asked)
        self._questions: OrderedDict[_Key, tuple[str, str | None, float]] = OrderedDict()

    def case_of(self, caller: Caller) -> str | None:
        """The case of the previous question in the caller's thread, if there is one."""
        key = _key(caller)
        kept = self._kept(key) if key is not None else None
        return kept[1] if kept is not None else None

    def resolve(
        self, index: Index, caller: Caller, command: Command, case: str | None = None
    ) -> tuple[Command, str | None]:
        """The command to run for `command` about `case` (answered from `index`), and the
        previous question it was read with (None when it is asked as typed: not a
        question in a known thread, one with content of its own, or about another case)."""
        key = _key(caller)
        if command.name != "ask" or key is None:
            return command, None
        kept = self._kept(key)
        if kept is None or kept[1] != case or not is_follow_up(index, command.argument):
            return command, None
        previous = kept[0]
        return replace(command, argument=with_context(command.argument, previous)), previous

    def remember(
        self, caller: Caller, command: Command, previous: str | None, case: str | None = None
    ) -> None:
        """Keep a question about `case` that casebot answered in a thread as that thread's
        context; a follow-up (`previous` set) keeps the context it was read with."""
        key = _key(caller)
        if command.name != "ask" or key is None:
            return
        question = previous if previous is not None else command.argument
        self._questions[key] = (question, case, self._clock())
        self._questions.move_to_end(key)
        while len(self._questions) > MAX_THREADS:
            self._questions.popitem(last=False)

    async def recall(self, caller: Caller) -> None:
        """Bring the caller's thread context from wherever other replicas keep it (before
        `case_of` and `resolve`). In memory, there is nowhere else."""

    async def share(self, caller: Caller) -> None:
        """Keep the caller's thread context where other replicas read it (after
        `remember`). In memory, there is nowhere else."""

    def _kept(self, key: _Key) -> tuple[str, str | None, float] | None:
        kept = self._questions.get(key)
        if kept is None:
            return None
        if self._clock() - kept[2] > EXPIRY_SECONDS:
            del self._questions[key]
            return None
        return kept


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
