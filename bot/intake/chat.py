"""`add <url>` and `remove <source id>` in chat: the jobs fetching, the previews waiting for
their admin, then the write, the reload and its report. The desk runs these after its admin
gate (bot/desk.py); buttons (Slack, Discord) and the console's "add it? (yes/no)" come back
through `confirm`.

Each `add` runs in a child process of its own (bot/intake/worker.py), never on the threads
that answer questions, and only so many at once: CASEBOT_INTAKE_JOBS in all and
CASEBOT_INTAKE_JOBS_PER_ADMIN for one admin; one more is refused at once, not queued.
Each preview gets its own token when it is made, bound to its own draft, so the Add under
one preview can only ever write that preview's article. One process keeps the previews
waiting in memory (`LocalPreviews`); replicas keep them in the database, so that the Add
can reach any replica (bot/replicas/previews.py).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.intake import Draft, IntakeError, Options, commit, remove
from bot.intake.worker import prepare_in_child
from bot.render.format import counted
from retrieval.model import Answer

if TYPE_CHECKING:
    from bot.caller import Caller
    from bot.commands import Command
    from bot.limits import Limits
    from bot.settings import Settings

# How long a preview waits for its Add: long enough to read it, short enough that a page
# that changed meanwhile is not written from a stale copy.
PREVIEW_SECONDS = 300.0
# Previews one admin may have waiting at once; another drops their oldest.
PREVIEWS_PER_ADMIN = 5
CONFIRM_PROMPT = "add it? (yes/no)"
STOPPING = "Not added: casebot is restarting, so nothing was written. Run add again once it is back."

Owner = tuple[str, str]  # (platform, user id)
Prepare = Callable[[str, Path, Options], Awaitable[Draft]]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Preview(Answer):
    """An `add` preview, with the token its Add and Cancel buttons carry."""

    token: str = ""


class IntakeDesk(Protocol):
    """What the intake needs of the desk (`bot.desk.Desk` is one), named here so that this
    module never imports the desk that uses it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def limits(self) -> Limits: ...

    async def reload(self, caller: Caller, *, case: str | None = None) -> Answer: ...

    async def audit_intake(
        self, caller: Caller, *, allowed: bool, result: str, case: str | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """The case an article goes into or comes out of: its id and its folder."""

    case_id: str
    directory: Path


@dataclass(frozen=True, slots=True)
class Pending:
    """A preview waiting for its admin's answer; `expires` on the intake's clock."""

    owner: Owner
    draft: Draft
    expires: float
    target: Target


class Previews(Protocol):
    """Where previews wait for their answer, by token."""

    async def keep(self, token: str, pending: Pending, now: float) -> None:
        """Keep `pending` under `token` (`now`: the intake's clock)."""
        ...

    async def take(self, token: str, owner: Owner, now: float) -> Pending | None:
        """The preview `token` of `owner`, taken so that it is answered once; None if there
        is none of theirs (someone else's, answered already, or forgotten)."""
        ...


class LocalPreviews:
    """The previews waiting in this process, oldest first: expired ones and an admin's
    beyond `PREVIEWS_PER_ADMIN` are dropped as new ones come."""

    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}

    async def keep(self, token: str, pending: Pending, now: float) -> None:
        for old in [t for t, p in self._pending.items() if p.expires < now]:
            del self._pending[old]
        theirs = [t for t, p in self._pending.items() if p.owner == pending.owner]
        for old in theirs[: max(0, len(theirs) - PREVIEWS_PER_ADMIN + 1)]:
            del self._pending[old]
        self._pending[token] = pending

    async def take(self, token: str, owner: Owner, now: float) -> Pending | None:
        pending = self._pending.get(token)
        if pending is None or pending.owner != owner:
            return None  # someone else's buttons stay theirs
        del self._pending[token]
        return pending


class ChatIntake:
    """The add jobs running and the previews waiting for an answer, by token.

    Args:
        desk: the desk it serves (settings, limits, reload, audit).
        clock: for preview expiry; tests pass a fake one.
        prepare: runs one job (`worker.prepare_in_child`; the hostile-adds benchmark
            passes the old way, a thread, to compare).
        previews: where previews wait (in this process's memory unless given).
    """

    def __init__(
        self,
        desk: IntakeDesk,
        *,
        clock: Callable[[], float] = time.monotonic,
        prepare: Prepare = prepare_in_child,
        previews: Previews | None = None,
    ) -> None:
        self._desk = desk
        self.clock = clock
        self._prepare = prepare
        self._previews: Previews = previews if previews is not None else LocalPreviews()
        self._jobs: dict[asyncio.Future[Draft], Owner] = {}
        self._stopping = False
        # Writes and removals, one at a time (so two Adds never race for a name), on a
        # thread of their own rather than the ones answering questions.
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casebot-intake")

    async def run(self, command: Command, caller: Caller, target: Target) -> Answer:
        """`add` or `remove` in the case `target`, for an admin (the desk has checked)."""
        if command.name == "remove":
            return await self._remove(command.argument.strip(), caller, target)
        # Slack sends a pasted link as <https://…> or <https://…|label>.
        url = command.argument.strip().strip("<>").split("|", 1)[0]
        return await self._preview(url, caller, target)

    def stop(self) -> None:
        """Casebot is stopping: end every add job now (a preview dies with the process, so
        there is nothing to wait for) and take no more."""
        self._stopping = True
        for job in self._jobs:
            job.cancel()

    async def close(self) -> None:
        """Stop, and let a write in progress finish."""
        self.stop()
        await asyncio.get_running_loop().run_in_executor(None, self._disk.shutdown)

    async def _preview(self, url: str, caller: Caller, target: Target) -> Answer:
        if not url.lower().startswith(("http://", "https://")):
            return Answer(kind="refused", text="Give the article's address: add https://…")
        if self._stopping:
            return Answer(kind="refused", text=STOPPING)
        owner = (caller.platform, caller.user_id)
        if (refusal := self._admit(owner)) is not None:
            return refusal
        settings = self._desk.settings
        job = asyncio.ensure_future(
            self._prepare(url, target.directory, Options.from_settings(settings))
        )
        self._jobs[job] = owner
        try:
            draft = await job
        except IntakeError as error:
            return Answer(kind="refused", text=f"Not added: {error}")
        except asyncio.CancelledError:
            # `stop` cancelled the job; a cancelled request (this task) goes on up.
            task = asyncio.current_task()
            if self._stopping and (task is None or not task.cancelling()):
                return Answer(kind="refused", text=STOPPING)
            raise
        finally:
            del self._jobs[job]
        token = secrets.token_hex(8)
        expires = self.clock() + PREVIEW_SECONDS
        pending = Pending(owner=owner, draft=draft, expires=expires, target=target)
        await self._previews.keep(token, pending, self.clock())
        minutes = int(PREVIEW_SECONDS // 60)
        return Preview(
            kind="preview",
            text=f"This is what add would write to the corpus (the preview expires in {minutes} minutes):",
            notes=draft.preview(),
            token=token,
        )

    def _admit(self, owner: Owner) -> Answer | None:
        """None if one more job may start for `owner`, else the "limited" reply."""
        settings = self._desk.settings
        theirs = sum(1 for who in self._jobs.values() if who == owner)
        if theirs >= settings.intake_jobs_per_admin:
            pending = "its preview" if theirs == 1 else "their previews"
            return Answer(
                kind="limited",
                text=f"You already have {counted(theirs, 'add')} being fetched; wait for "
                f"{pending} before adding more.",
            )
        if len(self._jobs) >= settings.intake_jobs:
            return Answer(
                kind="limited",
                text=f"casebot is already fetching {counted(len(self._jobs), 'article')}, as "
                "many as it fetches at once; please try again in a minute.",
            )
        return None

    async def confirm(self, caller: Caller, token: str | None, *, accept: bool) -> Answer:
        """The admin's Add (accept) or Cancel of their preview `token` (a button without
        one matches no preview).

        A click counts toward the person's limits like a message (an admin's own are
        exempt, as their admin commands are), so a flood of clicks can't flood the audit log.
        """
        key = (caller.platform, caller.user_id)
        refusal = await self._desk.limits.check(key, exempt=caller.is_admin)
        if refusal is not None:
            return refusal
        try:
            return await self._confirm(caller, token, accept=accept)
        finally:
            self._desk.limits.release(key)

    async def _confirm(self, caller: Caller, token: str | None, *, accept: bool) -> Answer:
        owner = (caller.platform, caller.user_id)
        pending = await self._previews.take(token, owner, self.clock()) if token else None
        if pending is None:
            # Someone else's buttons, or a preview already answered or replaced.
            await self._desk.audit_intake(caller, allowed=False, result="no preview of theirs")
            return Answer(
                kind="refused",
                text="There is no preview of yours waiting (only the admin who asked can "
                "answer it); nothing was written.",
            )
        case = pending.target.case_id

        async def audit(*, allowed: bool, result: str) -> None:
            await self._desk.audit_intake(caller, allowed=allowed, result=result, case=case)

        if self.clock() > pending.expires:
            await audit(allowed=True, result="preview expired")
            return Answer(
                kind="refused", text="That preview has expired; nothing was written. Run add again."
            )
        if not caller.is_admin:
            await audit(allowed=False, result="refused")
            return Answer(kind="refused", text="Sorry, only casebot admins can use “add”.")
        if not accept:
            await audit(allowed=True, result="cancelled")
            return Answer(kind="reload", text="Not added; nothing was written.")
        try:
            path = await self._on_disk(commit, pending.draft, pending.target.directory)
        except IntakeError as error:
            await audit(allowed=True, result=f"not added: {error}")
            return Answer(kind="refused", text=f"Not added: {error}")
        report = await self._desk.reload(caller, case=case)
        await audit(allowed=True, result=f"added {path.name}; {report.kind}")
        return _after_write(f"Added {path.name}.", report)

    async def _remove(self, source_id: str, caller: Caller, target: Target) -> Answer:
        if not source_id:
            return Answer(kind="refused", text="Say which source: remove <source id> (see sources).")
        try:
            moved = await self._on_disk(remove, target.directory, source_id)
        except IntakeError as error:
            return Answer(kind="refused", text=f"Not removed: {error}")
        report = await self._desk.reload(caller, case=target.case_id)
        return _after_write(
            f"Removed {source_id} (kept in {moved.parent.name}/{moved.name} beside the articles).",
            report,
        )

    async def _on_disk(self, work: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._disk, work, *args)


def _after_write(done: str, report: Answer) -> Answer:
    """What was done, then the reload's report (a failed reload keeps the old corpus)."""
    return Answer(
        kind=report.kind,
        text=f"{done} {report.text}",
        notes=report.notes,
        loaded_at=report.loaded_at,
        case=report.case,
    )
