"""Forgetting what the replicas shared once it has expired.

Every entry of the shared table has an expiry, and a read never returns an expired one;
deleting them is this loop's work, so that a thread's previous question (question text)
leaves the database when its 6 hours are over, and the table and the rate counts stay the
size of what is live. Every replica runs it; deleting what another replica has already
deleted costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

logger = logging.getLogger(__name__)

# How often: a thread's context then stays at most this long past its 6 hours.
EVERY_SECONDS = 300.0


class Forgets(Protocol):
    async def forget_expired(self) -> int: ...


class Housekeeping:
    """`forget_expired` at start and every `every` seconds. `start()`, `await close()`."""

    def __init__(self, store: Forgets, every: float = EVERY_SECONDS) -> None:
        self._store = store
        self._every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="casebot-forget")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                forgotten = await self._store.forget_expired()
            except Exception:
                # The database away: the next round tries again.
                logger.warning("could not delete expired shared state; trying again later")
            else:
                if forgotten:
                    logger.debug("deleted %d expired shared entries", forgotten)
            await asyncio.sleep(self._every)
