"""`add <url>` and `remove <source id>` in chat: previews waiting for their admin, then the
write, the reload and its report. The desk runs these after its admin gate (bot/desk.py);
buttons (Slack, Discord) and the console's "add it? (yes/no)" come back through `confirm`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.intake import Draft, IntakeError, Options, commit, prepare, remove
from retrieval.model import Answer

if TYPE_CHECKING:
    from bot.commands import Command
    from bot.desk import Caller, Desk

# How long a preview waits for its Add: long enough to read it, short enough that a page
# that changed meanwhile is not written from a stale copy.
PREVIEW_SECONDS = 300.0
CONFIRM_PROMPT = "add it? (yes/no)"


@dataclass(frozen=True, slots=True)
class _Pending:
    token: str
    draft: Draft
    expires: float


class ChatIntake:
    """The previews waiting for an answer, one per admin (a new `add` replaces theirs)."""

    def __init__(self, desk: Desk, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._desk = desk
        self._pending: dict[tuple[str, str], _Pending] = {}
        self.clock = clock

    def token_for(self, caller: Caller) -> str | None:
        pending = self._pending.get((caller.platform, caller.user_id))
        return pending.token if pending is not None else None

    async def run(self, command: Command, caller: Caller) -> Answer:
        """`add` or `remove`, for an admin (the desk has checked)."""
        if command.name == "remove":
            return await self._remove(command.argument.strip(), caller)
        # Slack sends a pasted link as <https://…> or <https://…|label>.
        return await self._preview(command.argument.strip().strip("<>").split("|", 1)[0], caller)

    async def _preview(self, url: str, caller: Caller) -> Answer:
        if not url.lower().startswith(("http://", "https://")):
            return Answer(kind="refused", text="Give the article's address: add https://…")
        settings = self._desk.settings
        options = Options(
            allow_private=settings.fetch_private,
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
        )
        try:
            # Fetching and extracting block: off the event loop.
            draft = await asyncio.to_thread(prepare, url, settings.corpus_dir, options)
        except IntakeError as error:
            return Answer(kind="refused", text=f"Not added: {error}")
        self._pending[(caller.platform, caller.user_id)] = _Pending(
            token=secrets.token_hex(8), draft=draft, expires=self.clock() + PREVIEW_SECONDS
        )
        minutes = int(PREVIEW_SECONDS // 60)
        return Answer(
            kind="preview",
            text=f"This is what add would write to the corpus (the preview expires in {minutes} minutes):",
            notes=draft.preview(),
        )

    async def confirm(self, caller: Caller, token: str | None, *, accept: bool) -> Answer:
        """The admin's Add (accept) or Cancel of their preview `token` (None: their latest)."""
        key = (caller.platform, caller.user_id)
        pending = self._pending.get(key)
        if pending is None or (token is not None and token != pending.token):
            # Someone else's buttons, or a preview already answered or replaced.
            await self._desk.audit_intake(caller, allowed=False, result="no preview of theirs")
            return Answer(
                kind="refused",
                text="There is no preview of yours waiting (only the admin who asked can "
                "answer it); nothing was written.",
            )
        del self._pending[key]
        if self.clock() > pending.expires:
            await self._desk.audit_intake(caller, allowed=True, result="preview expired")
            return Answer(
                kind="refused", text="That preview has expired; nothing was written. Run add again."
            )
        if not caller.is_admin:
            await self._desk.audit_intake(caller, allowed=False, result="refused")
            return Answer(kind="refused", text="Sorry, only casebot admins can use “add”.")
        if not accept:
            await self._desk.audit_intake(caller, allowed=True, result="cancelled")
            return Answer(kind="reload", text="Not added; nothing was written.")
        try:
            path = await asyncio.to_thread(commit, pending.draft, self._desk.settings.corpus_dir)
        except IntakeError as error:
            await self._desk.audit_intake(caller, allowed=True, result=f"not added: {error}")
            return Answer(kind="refused", text=f"Not added: {error}")
        report = await self._desk.reload(caller)
        await self._desk.audit_intake(caller, allowed=True, result=f"added {path.name}; {report.kind}")
        return _after_write(f"Added {path.name}.", report)

    async def _remove(self, source_id: str, caller: Caller) -> Answer:
        if not source_id:
            return Answer(kind="refused", text="Say which source: remove <source id> (see sources).")
        try:
            moved = await asyncio.to_thread(remove, self._desk.settings.corpus_dir, source_id)
        except IntakeError as error:
            return Answer(kind="refused", text=f"Not removed: {error}")
        report = await self._desk.reload(caller)
        return _after_write(
            f"Removed {source_id} (kept in {moved.parent.name}/{moved.name} beside the articles).",
            report,
        )


def _after_write(done: str, report: Answer) -> Answer:
    """What was done, then the reload's report (a failed reload keeps the old corpus)."""
    return Answer(
        kind=report.kind,
        text=f"{done} {report.text}",
        notes=report.notes,
        loaded_at=report.loaded_at,
    )
