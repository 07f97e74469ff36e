"""Thread follow-up context shared by replicas: a follow-up read with its thread's previous
question whichever replica answers it.

The context itself is bot/threads.py's; this keeps each thread's entry in the database's
shared table as well (kind `thread`, expiring `EXPIRY_SECONDS` after the thread's last
question, as in memory), reads it before a question is routed and writes it after one is
answered. Time here is the wall clock, which every replica shares (the monotonic clock one
process uses is its own). The database is a help, not a gate: when it can't be reached,
the replica answers from what it remembers itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.replicas.shared import SharedStore, key_of
from bot.threads import EXPIRY_SECONDS, ThreadContexts

if TYPE_CHECKING:
    from bot.caller import Caller

logger = logging.getLogger(__name__)

KIND = "thread"


class SharedThreadContexts(ThreadContexts):
    """`ThreadContexts` whose entries every replica reads and writes in `shared`."""

    def __init__(self, shared: SharedStore, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self._shared = shared

    async def recall(self, caller: Caller) -> None:
        key = _thread(caller)
        if key is None:
            return
        try:
            raw = await self._shared.shared_get(KIND, key_of(*key))
        except Exception:
            logger.warning("could not read a thread's context from the database")
            return
        if raw is None:
            return  # never asked, or expired: what this replica remembers (if anything) stands
        question, case, at = json.loads(raw)
        self._questions[key] = (question, case, float(at))
        self._questions.move_to_end(key)

    async def share(self, caller: Caller) -> None:
        key = _thread(caller)
        kept = self._questions.get(key) if key is not None else None
        if key is None or kept is None:
            return
        try:
            await self._shared.shared_put(
                KIND, key_of(*key), json.dumps(list(kept)), ttl=EXPIRY_SECONDS
            )
        except Exception:
            logger.warning("could not keep a thread's context in the database")


def _thread(caller: Caller) -> tuple[str, str] | None:
    # As bot/threads.py keys them: thread ids are unique on their platform.
    return None if caller.thread_id is None else (caller.platform, caller.thread_id)
