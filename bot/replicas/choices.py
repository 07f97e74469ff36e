"""Questions waiting for a choice of case, shared by replicas: "Which case?" asked on one
replica, the choice clicked on another.

The waiting question (bot/choices.py) is also kept in the database's shared table (kind
`choice`), keyed by its token and the person who asked, so a choice by anyone else finds
nothing there; it is taken (read and deleted at once) by the choice that answers it, so
it is answered once whichever replica the clicks reach. Its deadline is kept on the wall
clock, and the entry an hour past it, so that a late choice is told the question waited
too long. If the database can't keep or give it, the replica's own copy decides.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable

from bot.caller import Caller
from bot.choices import PendingChoices, Waiting
from bot.commands import Command
from bot.replicas.shared import SharedStore, key_of

logger = logging.getLogger(__name__)

KIND = "choice"
_LATE_SECONDS = 3600.0


class SharedChoices(PendingChoices):
    """`PendingChoices` whose questions any replica can answer."""

    def __init__(self, shared: SharedStore, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._shared = shared

    async def share(self, token: str) -> None:
        waiting = self._waiting.get(token)
        if waiting is None:
            return
        remaining = waiting.expires - self._clock()
        value = {
            "caller": dataclasses.asdict(waiting.caller),
            "command": dataclasses.asdict(waiting.command),
            "candidates": list(waiting.candidates),
            "deadline": time.time() + remaining,
        }
        who = (waiting.caller.platform, waiting.caller.user_id)
        try:
            await self._shared.shared_put(
                KIND, key_of(token, *who), json.dumps(value), ttl=max(remaining, 0.0) + _LATE_SECONDS
            )
        except Exception:
            logger.warning("could not keep a question's choice of case in the database; "
                           "only this replica can answer it")  # fmt: skip

    async def recall(self, token: str, clicker: Caller) -> None:
        # The database decides who gets the question, so this replica's own copy is set
        # aside: had another replica answered it, answering it here too would be twice.
        here = self._waiting.pop(token, None)
        try:
            raw = await self._shared.shared_take(
                KIND, key_of(token, clicker.platform, clicker.user_id)
            )
        except Exception:
            logger.warning("could not read a question's choice of case from the database")
            if here is not None:
                self._waiting[token] = here
            return
        if raw is not None:
            data = json.loads(raw)
            self._waiting[token] = Waiting(
                caller=Caller(**data["caller"]),
                command=Command(**data["command"]),
                candidates=tuple(data["candidates"]),
                expires=self._clock() + (float(data["deadline"]) - time.time()),
            )
        elif here is not None and (here.caller.platform, here.caller.user_id) != (
            clicker.platform, clicker.user_id,
        ):  # fmt: skip
            self._waiting[token] = here  # someone else's question: `take` tells them so
