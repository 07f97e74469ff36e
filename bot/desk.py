"""The desk: the one object every front end talks to.

It owns the live index and the store, runs the chat grammar (`bot.commands`), applies the
per-person limits (`bot.limits`), gates the admin-only commands, audits them, and turns any
failure into a polite error reply. Slack,
Discord and the console only translate between their platform and `Desk.handle`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot import builder
from bot.alerts import COMMANDS as ALERT_COMMANDS
from bot.alerts import Alerts
from bot.caller import Caller, Reply, apology, new_request_id
from bot.commands import Command, CommandSpec, parse_command
from bot.feedback import Feedback, Thanks, parse_click
from bot.intake.chat import ChatIntake, Preview
from bot.limits import Limits
from bot.ops.logs import request_scope
from bot.ops.metrics import Metrics
from bot.queries import DEFAULT, Queries
from bot.render.format import counted, format_time
from bot.report import report_reply
from bot.settings import Settings
from bot.store import Store
from bot.threads import ThreadContexts, explain
from retrieval.corpus import CorpusError
from retrieval.index import Index
from retrieval.model import Answer, Corpus

# Caller, Reply and the apology are defined below the desk (bot/caller.py), so the desk's
# helpers never import it back; they are named from here too.
__all__ = ["Caller", "Desk", "Reply", "apology", "describe_changes", "handle_safely",
           "new_request_id"]  # fmt: skip

logger = logging.getLogger(__name__)

# Replies of these kinds only ever go to the person who asked, whatever the command.
_PRIVATE_KINDS = frozenset({"help", "refused", "limited", "error"})
# Who the desk records as loading the corpus when it starts.
_SYSTEM = "system"


async def handle_safely(
    desk: Desk,
    text: str,
    caller: Caller | Callable[[], Caller],
    *,
    what: str,
    log: logging.Logger = logger,
) -> Reply:
    """`desk.handle`, with any failure around it turned into an apology as well.

    The adapters' one way in: the desk turns its own failures into replies, but working out
    the caller (a platform's permissions) or a bug between adapter and desk must not leave
    a person without an answer either.

    Args:
        desk: the desk.
        text: what the person wrote.
        caller: the caller, or a function that works it out (inside the guard).
        what: for the log, what was being answered ("a Slack slash command from U1").
        log: the adapter's logger, so the record is filed under the platform.
    """
    try:
        return await desk.handle(text, caller() if callable(caller) else caller)
    except Exception:
        request_id = new_request_id()
        # In the request's scope, so the record carries the id (bot.ops.logs).
        with request_scope(request_id):
            log.exception("request %s failed: could not answer %s", request_id, what)
        return Reply(answer=apology(request_id), public=False)


class Desk:
    """The live index and the store, behind the chat grammar. Create with `await Desk.open`.

    Args:
        settings: casebot's settings.
        index: the index to serve first.
        store: the open store to record loads, admin commands and questions in.
        metrics: where to count requests and reloads; a fresh set if not given.
        queries: the retrieval functions it answers and reloads with (`bot.queries`).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        index: Index,
        store: Store,
        metrics: Metrics | None = None,
        queries: Queries = DEFAULT,
    ) -> None:
        self._settings = settings
        self._queries = queries
        # add/remove in chat: previews waiting for the admin who asked (bot/intake/chat.py).
        self.intake = ChatIntake(self)
        self._index = index
        self._timeline_task: tuple[Index, asyncio.Future[Answer]] | None = None
        self._store = store
        self._reload_lock = asyncio.Lock()
        self.limits = Limits.from_settings(settings)
        self.metrics = metrics if metrics is not None else Metrics()
        self.metrics.serving(index.corpus)
        # The platforms it will serve have every series from the start (at 0).
        self.metrics.expect(
            platform
            for platform, served in (
                ("slack", settings.slack_configured), ("discord", settings.discord_configured)
            )
            if served
        )
        # Following the case: news in each corpus served goes to the following channels.
        self.alerts = Alerts(store=store, settings=settings, metrics=self.metrics)
        # Votes on answers (bot/feedback.py) and thread follow-ups (bot/threads.py).
        self.feedback = Feedback(store, settings)
        self.threads = ThreadContexts()
        # Called with the new index after each successful reload (Slack's Home tab); each
        # must return at once (a failing one is logged, and the reload stands).
        self.reload_listeners: list[Callable[[Index], None]] = []

    @classmethod
    async def open(
        cls, settings: Settings, *, metrics: Metrics | None = None, queries: Queries = DEFAULT
    ) -> Desk:
        """Open the store, load and index the corpus, and record the load.

        Raises:
            CorpusError: the corpus could not be loaded (the failure is recorded first).
        """
        store = await Store.from_settings(settings)
        try:
            try:
                index = await asyncio.to_thread(queries.load, settings.corpus_dir)
                # The word lists spelling tolerance reads, loaded before the first question.
                await asyncio.to_thread(queries.warm)
            except CorpusError as error:
                await _record_failed_load(
                    store, [str(p) for p in error.problems], by_platform=_SYSTEM, by_user=_SYSTEM
                )
                raise
            await _record_ok_load(store, index.corpus, by_platform=_SYSTEM, by_user=_SYSTEM)
        except BaseException:
            await store.close()
            raise
        desk = cls(settings=settings, index=index, store=store, metrics=metrics, queries=queries)
        # A corpus changed while casebot was stopped brings its news now.
        await desk._record(desk.alerts.served(index))
        # Question text past CASEBOT_QUESTION_RETENTION_DAYS goes at start (and hourly).
        await desk._record(desk.feedback.forget_old_questions())
        return desk

    @property
    def index(self) -> Index:
        """The index being served right now."""
        return self._index

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def store(self) -> Store:
        return self._store

    @property
    def reloading(self) -> bool:
        """Whether a reload is in progress."""
        return self._reload_lock.locked()

    async def handle(self, text: str, caller: Caller) -> Reply:
        """Answer one chat line from `caller`. Never raises: failures become error replies.

        Each call is one request with one request id: every log record made while it is
        handled carries the id (`bot.ops.logs`), and an apology quotes it. This is also the one
        place where requests are counted in `metrics`.
        """
        started = time.perf_counter()
        with request_scope(new_request_id()) as request_id:
            command = parse_command(text)
            reply = await self._handle(command, caller, request_id)
            seconds = time.perf_counter() - started
            self.metrics.answered(caller.platform, command.name, reply.answer.kind, seconds)
            # One line per request. In the console the asker reads the answer right there,
            # and the line would land between prompts. Who asked only as their pseudonym
            # (README: answers never record who asked); in JSON logs the figures are
            # fields of their own too (bot/ops/logs.py).
            level = logging.DEBUG if caller.platform == "console" else logging.INFO
            who = self.pseudonym(caller.platform, caller.user_id)
            line = "%s %s from %s user %s in %.1f ms"
            args: tuple[object, ...] = (
                command.name, reply.answer.kind, caller.platform, who, seconds * 1000
            )  # fmt: skip
            # The question text only where the operator allows storing it.
            if self._settings.store_questions:
                line, args = f"{line}: %r", (*args, text)
            fields = {
                "platform": caller.platform, "command": command.name,
                "kind": reply.answer.kind, "latency_ms": round(seconds * 1000, 1), "user": who,
            }  # fmt: skip
            logger.log(level, line, *args, extra=fields)
        return reply

    def pseudonym(self, platform: str, user_id: str) -> str:
        """Who sent a message, as the logs name them: the start of the salted hash the
        feedback records use, so one person's requests can be told apart in the logs
        without their id being written (CASEBOT_USER_HASH_SALT keys it)."""
        return self._store.user_hash(platform, user_id)[:12]

    async def _handle(self, command: Command, caller: Caller, request_id: str) -> Reply:
        spec = command.spec
        # The per-person limits first, before any other work, so a flood costs a lookup per
        # message (bot/limits.py). An admin's admin command is never limited; anyone
        # else's counts like any message, so refusals can't flood the audit log either.
        key = (caller.platform, caller.user_id)
        refusal = self.limits.admit(key, command, exempt=spec.admin_only and caller.is_admin)
        if refusal is not None:
            return Reply(answer=refusal, public=False)
        try:
            if not self._may_run(spec, caller):
                # Every refusal the limits let through is audited.
                await self._audit(caller, command, allowed=False, result="refused")
                who = "casebot admins"
                if spec.channel_managers:
                    who += " and, on Discord, members who can manage this channel"
                refusal = Answer(kind="refused", text=f"Sorry, only {who} can use “{spec.name}”.")
                return Reply(answer=refusal, public=False)
            return await self._answer(command, caller, request_id)
        finally:
            self.limits.release(key)

    def _may_run(self, spec: CommandSpec, caller: Caller) -> bool:
        """The one gate: admin commands for admins; the follow commands also for whoever
        manages the channel, or anyone with CASEBOT_ANYONE_CAN_FOLLOW."""
        if spec.channel_managers:
            return caller.is_admin or caller.manages_channel or self._settings.anyone_can_follow
        return caller.is_admin or not spec.admin_only

    async def _answer(self, command: Command, caller: Caller, request_id: str) -> Reply:
        spec = command.spec
        feedback_id = None
        try:
            # A follow-up in a thread is asked with the thread's previous question.
            index = self._index
            asked, previous = self.threads.resolve(index, caller, command)
            answer = await self._run(asked, caller)
            if previous is not None:
                answer = explain(answer, command.argument, previous)
            self.threads.remember(caller, asked, previous)
            feedback_id = await self._answered(caller, asked, answer, index)
            outcome = f"{answer.kind}: {answer.text}"
        except Exception:
            outcome = f"exception, request {request_id}"
            self.metrics.failed(caller.platform)
            # The question text stays out of the log: it may be private, see
            # CASEBOT_STORE_QUESTIONS.
            logger.exception(
                "request %s failed: %s from %s user %s",
                request_id, command.name, caller.platform,
                self.pseudonym(caller.platform, caller.user_id),
            )  # fmt: skip
            answer = apology(request_id)

        if spec.audited:
            await self._audit(caller, command, allowed=True, result=outcome)
        public = (
            spec.public
            and not self._settings.ephemeral_answers
            and answer.kind not in _PRIVATE_KINDS
        )
        # The token made with this very preview (never "the caller's latest": another
        # preview of theirs may have finished meanwhile).
        token = answer.token if isinstance(answer, Preview) else None
        return Reply(answer=answer, public=public, confirm_token=token, feedback_id=feedback_id)

    async def _answered(
        self, caller: Caller, command: Command, answer: Answer, index: Index
    ) -> str | None:
        """Record an ask or status answer for its feedback buttons; None: no buttons."""
        try:
            return await self.feedback.answered(
                platform=caller.platform, command=command.name, answer=answer,
                question=command.argument, corpus=index.corpus,
            )  # fmt: skip
        except Exception:
            # A record, not a gate (see `_record`): the answer goes out without buttons.
            logger.exception("could not write to the store")
            return None

    async def vote(self, caller: Caller, value: str) -> Thanks:
        """A click on a feedback button (`value`: its value or custom_id): the private
        thanks. Never raises, like `handle`; adapters call it inside their own guard."""
        key = (caller.platform, caller.user_id)
        with request_scope(new_request_id()) as request_id:
            # A click counts toward the person's limits like a message (bot/limits.py).
            if (refusal := self.limits.admit_click(key)) is not None:
                return Thanks(refusal)
            try:
                click = parse_click(value)
                if click is None:
                    return Thanks(Answer(kind="refused", text="Sorry, I can't read that button."))
                thanks = await self.feedback.vote(
                    platform=caller.platform, user_id=caller.user_id, click=click
                )
            except Exception:
                # Who clicked stays out of the log: a vote is recorded under a hash only.
                logger.exception(
                    "request %s failed: a feedback click on %s", request_id, caller.platform
                )
                return Thanks(apology(request_id))
            finally:
                self.limits.release(key)
            if thanks.cast:
                self.metrics.voted(caller.platform, click.vote)
            return thanks

    async def _reload_failed(
        self, caller: Caller, problems: Sequence[str], started: float
    ) -> None:
        """Count a failed reload and audit it with its problems; the old corpus stays."""
        self.metrics.reloaded(ok=False, seconds=time.perf_counter() - started)
        await self._record(
            _record_failed_load(
                self._store, problems, by_platform=caller.platform, by_user=caller.user_id
            )
        )

    async def reload(self, caller: Caller) -> Answer:
        """Load the corpus again and swap it in; report what changed.

        Does not check permissions: user requests come through `handle`, which does.
        Reloads run one at a time; questions go on being answered from the old index until
        the new one is ready.

        Returns:
            kind "reload" with the counts and the articles added, changed and removed; or
            kind "error" with every problem found, while the old corpus stays in service.
        """
        async with self._reload_lock:
            old = self._index.corpus
            started = time.perf_counter()
            try:
                # Off the event loop, in a thread or a child process, and stopped after
                # CASEBOT_RELOAD_TIMEOUT (bot/builder.py).
                index = await builder.build(
                    self._settings.corpus_dir,
                    time_limit=self._settings.reload_timeout,
                    index_with=self._queries.build,
                )
            except (CorpusError, builder.BuildFailed) as error:
                problems = (
                    tuple(str(problem) for problem in error.problems)
                    if isinstance(error, CorpusError)
                    else (str(error),)
                )
                await self._reload_failed(caller, problems, started)
                return Answer(
                    kind="error",
                    text=(
                        "Reload failed; still serving the corpus loaded at "
                        f"{format_time(old.loaded_at)}."
                    ),
                    notes=problems,
                    loaded_at=old.loaded_at,
                )
            except Exception as error:
                # A bug: audited like any failed reload, then up with its traceback.
                await self._reload_failed(caller, (f"{type(error).__name__}: {error}",), started)
                raise
            # One reference assignment: a question that started before it keeps the old
            # index, every later one gets the new.
            self._index = index
            self._timeline_task = None  # the old snapshot's, if any: let it go with it
            new = index.corpus
            self.metrics.reloaded(ok=True, seconds=time.perf_counter() - started)
            self.metrics.serving(new)
            await self._record(
                _record_ok_load(
                    self._store, new, by_platform=caller.platform, by_user=caller.user_id
                )
            )
            # Inside the lock, so corpora are compared in the order they were served.
            await self._record(self.alerts.served(index))
            for listener in self.reload_listeners:
                try:
                    listener(index)
                except Exception:
                    logger.exception("a reload listener failed")
            return Answer(
                kind="reload",
                text=(
                    f"Reloaded the corpus: {counted(len(new.articles), 'article')}, "
                    f"{counted(len(new.passages), 'passage')} (was {len(old.passages)})."
                ),
                notes=describe_changes(old, new),
                loaded_at=new.loaded_at,
            )

    async def close(self) -> None:
        """Close the store, after any reload in progress has finished (add jobs still
        running are stopped: bot/intake/chat.py)."""
        await self.intake.close()
        async with self._reload_lock:
            # Alerts not yet posted stay queued in the store for the next start.
            await self.alerts.close()
            await self._store.close()

    async def _run(self, command: Command, caller: Caller) -> Answer:
        if command.name in ("add", "remove"):
            return await self.intake.run(command, caller)
        if command.name == "reload":
            return await self.reload(caller)
        if command.name == "report":
            return await report_reply(self._store, command.argument, self._index.corpus)
        if command.name in ALERT_COMMANDS:
            return await self.alerts.command(
                command.name,
                platform=caller.platform,
                channel_id=caller.channel_id,
                user_id=caller.user_id,
            )
        # Queries read the index that is live when they start, so a reload never changes an
        # answer halfway. They run in a worker thread: a warm answer takes a millisecond or
        # two, but the first ones on a fresh snapshot analyse their passages (tens of ms on
        # a large corpus), and in a thread the loop gets the GIL back every switch interval
        # instead of waiting them out. The timeline reads every sentence of the corpus
        # (seconds for a large one), so it runs once per snapshot and is kept after that.
        index = self._index
        if command.name == "timeline":
            answer = await self._timeline(index)
        else:
            answer = await asyncio.to_thread(
                self._queries.answer, index, command, max_quotes=self._settings.max_quotes
            )
        if command.name == "ask":
            await self._record(
                self._store.record_question(
                    platform=caller.platform,
                    user_id=caller.user_id,
                    kind=answer.kind,
                    question=command.argument,
                )
            )
        return answer

    async def _timeline(self, index: Index) -> Answer:
        # One computation per snapshot however many ask at once: the desk keeps the task
        # with the snapshot it is for, and a newer snapshot starts its own. (Retrieval is
        # safe to run in a thread: it only reads the snapshot, fills its cache, and
        # PyStemmer keeps the GIL.)
        pending = self._timeline_task
        task = pending[1] if pending is not None and pending[0] is index else None
        if task is None or (task.done() and (task.cancelled() or task.exception())):
            task = asyncio.ensure_future(asyncio.to_thread(self._queries.timeline, index))
            self._timeline_task = (index, task)
        return await asyncio.shield(task)

    async def audit_intake(self, caller: Caller, *, allowed: bool, result: str) -> None:
        """Audit an answer to an `add` preview: its buttons arrive outside `handle`."""
        await self._record(
            self._store.record_admin(
                platform=caller.platform, user_id=caller.user_id, command="add",
                allowed=allowed, result=result,
            )  # fmt: skip
        )

    async def _audit(self, caller: Caller, command: Command, *, allowed: bool, result: str) -> None:
        await self._record(
            self._store.record_admin(
                platform=caller.platform,
                user_id=caller.user_id,
                command=command.name,
                allowed=allowed,
                result=result,
            )
        )

    async def _record(self, write: Awaitable[object]) -> None:
        # The store is a record, not a gate: a full disk must not stop casebot answering.
        try:
            await write
        except Exception:
            logger.exception("could not write to the store")


def describe_changes(old: Corpus, new: Corpus) -> tuple[str, ...]:
    """Lines naming the articles added, changed (different file contents) and removed."""
    before = {article.source.id: article.fingerprint for article in old.articles}
    after = {article.source.id: article.fingerprint for article in new.articles}
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(key for key in after.keys() & before.keys() if after[key] != before[key])
    lines = [
        f"{label}: {', '.join(ids)}"
        for label, ids in (("Added", added), ("Changed", changed), ("Removed", removed))
        if ids
    ]
    return tuple(lines) or ("No articles changed.",)


async def _record_ok_load(store: Store, corpus: Corpus, *, by_platform: str, by_user: str) -> None:
    await store.record_load(
        by_platform=by_platform,
        by_user=by_user,
        result="ok",
        fingerprint=corpus.fingerprint,
        articles=len(corpus.articles),
        passages=len(corpus.passages),
    )


async def _record_failed_load(
    store: Store, errors: Sequence[str], *, by_platform: str, by_user: str
) -> None:
    await store.record_load(
        by_platform=by_platform, by_user=by_user, result="failed", errors=errors
    )
