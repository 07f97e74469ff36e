"""Add previews shared by replicas: a preview made on one replica, its Add clicked on another.

Each waiting preview is an entry of the database's shared table (kind `preview`), keyed by
its token *and* the admin who asked, so a click by anyone else finds nothing and leaves it
waiting, and taken (read and deleted at once) by the click that answers it, so two
replicas can never both write it. It holds the draft (what the file would say), its case
and folder (the corpus is a volume every replica mounts at the same path) and its
deadline on the wall clock; it is kept an hour past the deadline, so that a late click
is told the preview expired rather than that there is none. If the database can't take
it, the preview waits in this replica's memory, where only this replica can answer it.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from bot.intake.chat import LocalPreviews, Owner, Pending, Target
from bot.intake.worker import draft_from_json, draft_to_json
from bot.replicas.shared import SharedStore, key_of

logger = logging.getLogger(__name__)

KIND = "preview"
# Kept this long past its deadline, to tell a late click it expired.
_LATE_SECONDS = 3600.0


class SharedPreviews:
    """Previews waiting in the shared table (bot/intake/chat.py's `Previews`)."""

    def __init__(self, shared: SharedStore) -> None:
        self._shared = shared
        # Only the previews the database could not keep.
        self._here = LocalPreviews()

    async def keep(self, token: str, pending: Pending, now: float) -> None:
        remaining = pending.expires - now
        value = {
            "draft": draft_to_json(pending.draft),
            "case": pending.target.case_id,
            "directory": str(pending.target.directory),
            "deadline": time.time() + remaining,
        }
        try:
            await self._shared.shared_put(
                KIND, key_of(token, *pending.owner), json.dumps(value),
                ttl=max(remaining, 0.0) + _LATE_SECONDS,
            )  # fmt: skip
        except Exception:
            logger.warning("could not keep a preview in the database; it waits on this replica")
            await self._here.keep(token, pending, now)

    async def take(self, token: str, owner: Owner, now: float) -> Pending | None:
        mine = await self._here.take(token, owner, now)
        if mine is not None:
            return mine
        # A failure here goes up: the click is answered with an apology, and the preview
        # still waits for a click that can reach the database.
        raw = await self._shared.shared_take(KIND, key_of(token, *owner))
        if raw is None:
            return None
        data = json.loads(raw)
        return Pending(
            owner=owner,
            draft=draft_from_json(data["draft"]),
            expires=now + (float(data["deadline"]) - time.time()),
            target=Target(data["case"], Path(data["directory"])),
        )
