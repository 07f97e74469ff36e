"""The desk: the one object every front end talks to.

It owns the cases being served (bot/docket.py) and the store, runs the chat grammar
(`bot.commands`), applies the per-person limits (`bot.limits`), gates the admin-only
commands, audits them, asks `bot.routing` which case a command is about, and turns any
failure into a polite error reply. Slack, Discord and the console only translate between
their platform and `Desk.handle` (and `Desk.choose` for a choice of case).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from bot import builder, case_replies
from bot.alerts import COMMANDS as ALERT_COMMANDS
from bot.alerts import Alerts
from bot.caller import Caller, Choice, Reply, apology, new_request_id
from bot.choices import PendingChoices, parse_choice
from bot.commands import Command, CommandSpec, help_answer, parse_command
from bot.docket import Docket, LiveCase, NoCaseServed, Outcome
from bot.docket import load as load_cases
from bot.docket import rebuild
from bot.feedback import Feedback, Thanks, parse_click
from bot.intake.chat import ChatIntake, Preview, Target
from bot.limits import Limits
from bot.ops.logs import request_scope
from bot.ops.metrics import Metrics
from bot.queries import DEFAULT, Queries
from bot.replicas.choices import SharedChoices
from bot.replicas.previews import SharedPreviews
from bot.replicas.shared import shared_store, within_rate
from bot.replicas.threads import SharedThreadContexts
from bot.report import build_report, days_problem, report_answer, report_arguments
from bot.routing import ROUTED, Route, fold, route
from bot.settings import Settings
from bot.store import Store, StoreUnavailable
from bot.threads import ThreadContexts, explain
from retrieval.corpus import CorpusError
from retrieval.index import Index
from retrieval.model import Answer, Corpus

# Caller, Reply and the apology are defined below the desk (bot/caller.py), so the desk's
# helpers never import it back; they are named from here too.
__all__ = ["Caller", "Desk", "Reply", "apology", "handle_safely", "new_request_id"]

logger = logging.getLogger(__name__)

# Replies of these kinds only ever go to the person who asked, whatever the command.
_PRIVATE_KINDS = frozenset({"help", "refused", "limited", "error", "choose"})
# Who the desk records as loading the corpus when it starts.
_SYSTEM = "system"


async def handle_safely(
    desk: Desk,
    text: str,
    caller: Caller | Callable[[], Caller],
    *,
    what: str,
    log: logging.Logger = logger,
    case: str | None = None,
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
        case: a case named outside the text (a Discord option).
    """
    try:
        return await desk.handle(text, caller() if callable(caller) else caller, case=case)
    except Exception:
        request_id = new_request_id()
        # In the request's scope, so the record carries the id (bot.ops.logs).
        with request_scope(request_id):
            log.exception("request %s failed: could not answer %s", request_id, what)
        return Reply(answer=apology(request_id), public=False)


class Desk:
    """The cases served and the store, behind the chat grammar. Create with `await Desk.open`.

    Args:
        settings: casebot's settings.
        docket: the cases to serve first.
        store: the open store to record loads, admin commands and questions in.
        metrics: where to count requests and reloads; a fresh set if not given.
        queries: the retrieval functions it answers and reloads with (`bot.queries`).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        docket: Docket,
        store: Store,
        metrics: Metrics | None = None,
        queries: Queries = DEFAULT,
    ) -> None:
        self._settings = settings
        self._queries = queries
        # Replicas on PostgreSQL share what the next request may need, whichever replica
        # gets it (bot/replicas/); None: one process, all of it in memory.
        self.shared = shared_store(store, settings)
        # add/remove in chat: previews waiting for the admin who asked (bot/intake/chat.py).
        self.intake = ChatIntake(
            self, previews=SharedPreviews(self.shared) if self.shared is not None else None
        )
        self._docket = docket
        # Each case's timeline, computed once per snapshot (see `_timeline`).
        self._timelines: dict[str, tuple[Index, asyncio.Future[Answer]]] = {}
        # Each served snapshot's status, worked out in the background (see `_prepare`).
        self._preparing: set[asyncio.Task[None]] = set()
        self._store = store
        self._reload_lock = asyncio.Lock()
        self.limits = Limits.from_settings(settings)
        if (shared := self.shared) is not None:
            self.limits.shared_rate = lambda who, per_minute: within_rate(shared, who, per_minute)
        self.metrics = metrics if metrics is not None else Metrics()
        self.metrics.serving(docket.corpora)
        # The platforms it will serve have every series from the start (at 0).
        self.metrics.expect(
            platform
            for platform, served in (
                ("slack", settings.slack_configured), ("discord", settings.discord_configured)
            )
            if served
        )
        # Following cases: news in each corpus served goes to the channels following it.
        self.alerts = Alerts(store=store, settings=settings, metrics=self.metrics)
        # Votes on answers (bot/feedback.py) and thread follow-ups (bot/threads.py).
        self.feedback = Feedback(store, settings)
        self.threads = (
            ThreadContexts() if self.shared is None else SharedThreadContexts(self.shared)
        )
        # Questions waiting for their asker's choice of case (bot/choices.py).
        self.choices = (
            PendingChoices() if self.shared is None else SharedChoices(self.shared)
        )
        # Called with the new docket after each successful reload (Slack's Home tab); each
        # must return at once (a failing one is logged, and the reload stands).
        self.reload_listeners: list[Callable[[Docket], None]] = []

    @classmethod
    async def open(
        cls, settings: Settings, *, metrics: Metrics | None = None, queries: Queries = DEFAULT
    ) -> Desk:
        """Open the store, load and index every case, and record the loads.

        A case that can't be loaded is left out (and recorded, and logged); the others are
        served.

        Raises:
            CorpusError: no case could be loaded (the failures are recorded first).
        """
        store = await Store.from_settings(settings)
        try:
            try:
                docket, outcomes = await load_cases(
                    Path(settings.corpus_dir),
                    build=lambda directory: asyncio.to_thread(queries.load, directory),
                )
                # The word lists spelling tolerance reads, loaded before the first question.
                await asyncio.to_thread(queries.warm)
            except NoCaseServed as error:
                for outcome in error.outcomes:
                    if outcome.change == "failed":
                        await _record_failed_load(store, outcome.case, outcome.problems, _SYSTEM)
                raise
        except BaseException:
            await store.close()
            raise
        desk = cls(settings=settings, docket=docket, store=store, metrics=metrics, queries=queries)
        if len(docket.cases) == 1:
            # A database from before cases: its records belong to the one case served.
            await desk._record(store.adopt_legacy(docket.ids[0]))
        # A corpus changed while casebot was stopped brings its news now.
        await desk._served(outcomes, _SYSTEM, _SYSTEM)
        # Question text past CASEBOT_QUESTION_RETENTION_DAYS goes at start (and hourly).
        await desk._record(desk.feedback.forget_old_questions())
        return desk

    @property
    def docket(self) -> Docket:
        """The cases being served right now."""
        return self._docket

    @property
    def index(self) -> Index:
        """The index of the deployment's one case (see `docket` for several).

        Raises:
            LookupError: the deployment serves several cases.
        """
        only = self._docket.only
        if only is None:
            raise LookupError("several cases are served: see Desk.docket")
        return only.index

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

    async def handle(self, text: str, caller: Caller, *, case: str | None = None) -> Reply:
        """Answer one chat line from `caller`. Never raises: failures become error replies.

        `case`: a case named outside the text (a Discord option, `casebot --case`).

        Each call is one request with one request id: every log record made while it is
        handled carries the id (`bot.ops.logs`), and an apology quotes it. This is also the one
        place where requests are counted in `metrics`.
        """
        with request_scope(new_request_id()) as request_id:
            return await self._request(parse_command(text), caller, request_id, case, text)

    async def choose(self, clicker: Caller, value: str) -> Reply:
        """A choice of case for a question that was asked which case it meant (a Slack
        button, a Discord menu, a console line): the question's answer from that case.

        Answered as if the person had named the case, to the place they asked in. Never
        raises, like `handle`.
        """
        with request_scope(new_request_id()) as request_id:
            parsed = parse_choice(value)
            if parsed is None:
                refusal = Answer(kind="refused", text="Sorry, I can't read that choice.")
                return Reply(answer=refusal, public=False)
            # The question may have been asked on another replica.
            await self.choices.recall(parsed[0], clicker)
            waiting = self.choices.take(clicker, *parsed)
            if isinstance(waiting, str):
                return Reply(answer=Answer(kind="refused", text=waiting), public=False)
            return await self._request(
                waiting.command, waiting.caller, request_id, parsed[1], waiting.command.argument
            )

    async def _request(
        self, command: Command, caller: Caller, request_id: str, named: str | None, text: str
    ) -> Reply:
        started = time.perf_counter()
        reply = await self._handle(command, caller, request_id, named)
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

    async def _handle(
        self, command: Command, caller: Caller, request_id: str, named: str | None
    ) -> Reply:
        spec = command.spec
        # The per-person limits first, before any other work, so a flood costs a lookup per
        # message (bot/limits.py). An admin's admin command is never limited; anyone
        # else's counts like any message, so refusals can't flood the audit log either.
        key = (caller.platform, caller.user_id)
        exempt = spec.admin_only and caller.is_admin
        refusal = await self.limits.check(key, command, exempt=exempt)
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
            return await self._answer(command, caller, request_id, named)
        finally:
            self.limits.release(key)

    def _may_run(self, spec: CommandSpec, caller: Caller) -> bool:
        """The one gate: admin commands for admins; the follow commands and `use` also for
        whoever manages the channel; the follow commands for anyone with
        CASEBOT_ANYONE_CAN_FOLLOW, and `use` for anyone in their own DM."""
        if caller.is_admin:
            return True
        if spec.channel_managers:
            if spec.name in ALERT_COMMANDS and self._settings.anyone_can_follow:
                return True
            return caller.manages_channel or (spec.name == "use" and caller.private)
        return not spec.admin_only

    async def _answer(
        self, command: Command, caller: Caller, request_id: str, named: str | None
    ) -> Reply:
        spec = command.spec
        feedback_id = choice = case_id = None
        try:
            docket = self._docket
            if command.name in ROUTED:
                # The thread's previous question may have been answered by another replica.
                await self.threads.recall(caller)
                routed = await self._route(docket, command, caller, named)
                case_id = routed.case
                if routed.unknown is not None:
                    answer = case_replies.unknown_case(routed.unknown, docket)
                elif routed.case is None:
                    answer, choice = await self._ask_which(docket, routed, caller)
                else:
                    answer, feedback_id = await self._answer_case(
                        docket, docket.cases[routed.case], routed.command, caller
                    )
            else:
                answer, case_id = await self._run_general(docket, command, caller, named)
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
            await self._audit(caller, command, allowed=True, result=outcome, case=case_id)
        public = (
            spec.public
            and not self._settings.ephemeral_answers
            and answer.kind not in _PRIVATE_KINDS
        )
        # The token made with this very preview (never "the caller's latest": another
        # preview of theirs may have finished meanwhile).
        token = answer.token if isinstance(answer, Preview) else None
        return Reply(
            answer=answer, public=public, confirm_token=token, feedback_id=feedback_id,
            choice=choice,
        )  # fmt: skip

    async def _route(
        self, docket: Docket, command: Command, caller: Caller, named: str | None
    ) -> Route:
        """Which case answers `command` (bot/routing.py), with what the desk knows."""
        hinted: Sequence[str] = ()
        several = len(docket.cases) > 1
        if several and command.name == "remove":
            hinted = docket.holding(command.argument.rpartition(":")[2].strip())
        elif several and command.name == "unfollow" and caller.channel_id is not None:
            follows = await self._store.follows(
                platform=caller.platform, channel_id=caller.channel_id
            )
            hinted = [f.case_id for f in follows if f.case_id in docket.cases]
        place = caller.place

        async def channel() -> str | None:
            if place is None:
                return None
            return await self._store.channel_case(platform=caller.platform, channel_id=place)

        return await route(
            command, docket.names, docket.ids, named=named, hinted=hinted,
            thread=self.threads.case_of(caller), channel=channel,
        )  # fmt: skip

    async def _ask_which(
        self, docket: Docket, routed: Route, caller: Caller
    ) -> tuple[Answer, Choice]:
        """The reply asking which case `routed.command` is about; the command waits."""
        candidates = routed.candidates
        token = self.choices.ask(caller, routed.command, candidates)
        await self.choices.share(token)
        console = caller.platform == "console"
        answer = case_replies.choose_answer(docket, candidates, console=console)
        return answer, Choice(token, case_replies.options(docket, candidates))

    async def _answer_case(
        self, docket: Docket, case: LiveCase, command: Command, caller: Caller
    ) -> tuple[Answer, str | None]:
        """Answer a command about one case; (the answer, the id of its feedback buttons)."""
        # A follow-up in a thread is asked with the thread's previous question.
        asked, previous = self.threads.resolve(case.index, caller, command, case.id)
        answer = await self._run(asked, caller, case)
        if previous is not None:
            answer = explain(answer, command.argument, previous)
        self.threads.remember(caller, asked, previous, case.id)
        await self.threads.share(caller)
        feedback_id = await self._answered(caller, asked, answer, case)
        if docket.several:
            answer = replace(answer, case=case.info.name)
        return answer, feedback_id

    async def _answered(
        self, caller: Caller, command: Command, answer: Answer, case: LiveCase
    ) -> str | None:
        """Record an ask or status answer for its feedback buttons; None: no buttons."""
        try:
            return await self.feedback.answered(
                case_id=case.id, platform=caller.platform, command=command.name,
                answer=answer, question=command.argument, corpus=case.index.corpus,
            )  # fmt: skip
        except Exception as error:
            # A record, not a gate (see `_record`): the answer goes out without buttons.
            _not_written(error)
            return None

    async def vote(self, caller: Caller, value: str) -> Thanks:
        """A click on a feedback button (`value`: its value or custom_id): the private
        thanks. Never raises, like `handle`; adapters call it inside their own guard."""
        key = (caller.platform, caller.user_id)
        with request_scope(new_request_id()) as request_id:
            # A click counts toward the person's limits like a message (bot/limits.py).
            if (refusal := await self.limits.check(key)) is not None:
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

    async def reload(self, caller: Caller, *, case: str | None = None) -> Answer:
        """Read the corpus directory again and serve what changed; report it.

        Only the cases whose files changed (or that are new) are rebuilt, each off the
        event loop (bot/builder.py); the others keep their snapshots, a case that fails
        keeps its previous one, a case whose folder is gone is no longer served. With
        `case`, only that case is looked at.

        Does not check permissions: user requests come through `handle`, which does.
        Reloads run one at a time; questions go on being answered from the old snapshots
        until the new ones are swapped in.
        """
        async with self._reload_lock:
            old = self._docket
            started = time.perf_counter()
            try:
                # One builder for the reload: its child builds every large case in turn.
                async with builder.Builder() as builds:
                    docket, outcomes = await rebuild(
                        old, Path(self._settings.corpus_dir), build=partial(self._build, builds),
                        only=case,
                    )  # fmt: skip
            except NoCaseServed as error:
                # Nothing left to serve: the old cases go on being served.
                self.metrics.reloaded(ok=False, seconds=time.perf_counter() - started)
                for outcome in (o for o in error.outcomes if o.change == "failed"):
                    await self._record(_record_failed_load(
                        self._store, outcome.case, outcome.problems, caller.platform,
                        caller.user_id,
                    ))  # fmt: skip
                return _nothing_served(old, error)
            except Exception as error:
                # A bug: audited like any failed reload, then up with its traceback.
                self.metrics.reloaded(ok=False, seconds=time.perf_counter() - started)
                await self._record(_record_failed_load(
                    self._store, case or "", (f"{type(error).__name__}: {error}",),
                    caller.platform, caller.user_id,
                ))  # fmt: skip
                raise
            # One reference assignment: a question that started before it keeps the old
            # cases, every later one gets the new.
            self._docket = docket
            self.metrics.reloaded(
                ok=all(o.change != "failed" for o in outcomes),
                seconds=time.perf_counter() - started,
            )
            gone: dict[str, list[str]] = {}
            for outcome in outcomes:
                if outcome.change == "removed":
                    follows = await self._store.follows(case_id=outcome.case)
                    gone[outcome.case] = [f"{f.platform} {f.channel_id}" for f in follows]
            # Inside the lock, so corpora are compared in the order they were served.
            await self._served(outcomes, caller.platform, caller.user_id)
            self.alerts.retry()
            for listener in self.reload_listeners:
                try:
                    listener(docket)
                except Exception:
                    logger.exception("a reload listener failed")
            answer = case_replies.reload_answer(outcomes, docket, removed_follows=gone)
            if case is not None and case in docket.cases:
                answer = replace(answer, case=docket.label(case))
            return answer

    async def _build(self, builds: builder.Builder, directory: Path) -> Index:
        # Off the event loop, in a thread or the builder's child process, and stopped after
        # CASEBOT_RELOAD_TIMEOUT (bot/builder.py).
        return await builds.build(
            directory, time_limit=self._settings.reload_timeout, index_with=self._queries.build
        )

    async def _served(self, outcomes: Sequence[Outcome], platform: str, user: str) -> None:
        """Record each case's load, and tell the alerts what is served now."""
        docket = self._docket
        self.metrics.serving(docket.corpora)
        for outcome in outcomes:
            if outcome.change in ("added", "rebuilt"):
                case = docket.cases[outcome.case]
                self._timelines.pop(case.id, None)  # the old snapshot's, if any
                self._prepare(case.index)
                await self._record(_record_ok_load(self._store, case, platform, user))
                await self._record(
                    self.alerts.served(case.id, case.index, name=docket.label(case.id))
                )
            elif outcome.change == "failed":
                logger.warning("case %s could not be loaded: %s", outcome.case,
                               "; ".join(outcome.problems))  # fmt: skip
                await self._record(
                    _record_failed_load(self._store, outcome.case, outcome.problems, platform, user)
                )
            elif outcome.change == "removed":
                self._timelines.pop(outcome.case, None)
                self.alerts.withdrawn(outcome.case)

    def _prepare(self, index: Index) -> None:
        """Work out a newly served snapshot's status now, in a worker thread, rather than
        on its first `/case status`: it reads every passage of the case for the sources'
        disagreements (about a second on a large case), once per snapshot, and the answer
        is kept in the snapshot (retrieval/case/status.py)."""

        async def prepare() -> None:
            try:
                await asyncio.to_thread(self._queries.status, index)
            except Exception:  # the request will try again, and say what went wrong
                logger.exception("working out a case's status in advance failed")

        task = asyncio.get_running_loop().create_task(prepare())
        self._preparing.add(task)
        task.add_done_callback(self._preparing.discard)

    async def close(self) -> None:
        """Close the store, after any reload in progress has finished (add jobs still
        running are stopped: bot/intake/chat.py)."""
        for task in list(self._preparing):
            task.cancel()
        await asyncio.gather(*self._preparing, return_exceptions=True)
        await self.intake.close()
        async with self._reload_lock:
            # Alerts not yet posted stay queued in the store for the next start.
            await self.alerts.close()
            await self._store.close()

    async def _run(self, command: Command, caller: Caller, case: LiveCase) -> Answer:
        """Run a command routed to `case`."""
        if command.name in ("add", "remove"):
            target = Target(case.id, case.info.directory)
            return await self.intake.run(command, caller, target)
        if command.name in ALERT_COMMANDS:
            return await self.alerts.command(
                command.name,
                platform=caller.platform,
                channel_id=caller.channel_id,
                user_id=caller.user_id,
                case_id=case.id,
                case_name=self._docket.label(case.id),
            )
        # Queries read the snapshot that is live when they start, so a reload never changes
        # an answer halfway. They run in a worker thread: a warm answer takes a millisecond
        # or two, but the first ones on a fresh snapshot analyse their passages (tens of ms
        # on a large corpus), and in a thread the loop gets the GIL back every switch
        # interval instead of waiting them out. The timeline reads every sentence of the
        # corpus (seconds for a large one), so it runs once per snapshot and is kept.
        if command.name == "timeline":
            answer = await self._timeline(case)
        else:
            answer = await asyncio.to_thread(
                self._queries.answer, case.index, command, max_quotes=self._settings.max_quotes
            )
        if command.name == "ask":
            await self._record(
                self._store.record_question(
                    case_id=case.id,
                    platform=caller.platform,
                    user_id=caller.user_id,
                    kind=answer.kind,
                    question=command.argument,
                )
            )
        return answer

    async def _run_general(
        self, docket: Docket, command: Command, caller: Caller, named: str | None
    ) -> tuple[Answer, str | None]:
        """Run a command about casebot rather than one case: (the answer, the case it was
        about, if one)."""
        reference = named or command.argument.strip()
        match command.name:
            case "help":
                return help_answer(command.unknown, several=docket.several), None
            case "cases":
                place = caller.place
                chosen = (
                    await self._store.channel_case(platform=caller.platform, channel_id=place)
                    if place is not None and docket.several
                    else None
                )
                return case_replies.cases_answer(docket, chosen), None
            case "use":
                return await self._use(docket, reference, caller)
            case "following":
                names = {c.id: c.info.name for c in docket.cases.values()}
                return await self.alerts.following(names if docket.several else None), None
            case "reload":
                if not reference or fold(reference) == "all" or len(docket.cases) == 1:
                    return await self.reload(caller), None
                found = docket.names.resolve(reference)
                if len(found) != 1:
                    return case_replies.unknown_case(reference, docket), None
                return await self.reload(caller, case=found[0]), found[0]
            case "report":
                try:
                    days, typed = report_arguments(command.argument, several=docket.several)
                except ValueError as error:
                    return Answer(kind="refused", text=f"Sorry, {error}."), None
                if (problem := days_problem(days)) is not None:
                    return Answer(kind="refused", text=f"Sorry, {problem}: try `report 30`."), None
                typed = named or typed
                found = docket.names.resolve(typed) if typed else ()
                if typed and len(found) != 1 and docket.several:
                    return case_replies.unknown_case(typed, docket), None
                case_id = found[0] if typed and docket.several else None
                report = await build_report(self._store, since_days=days, case_id=case_id)
                corpora = {c.id: c.index.corpus for c in docket.cases.values()}
                names = {c.id: c.info.name for c in docket.cases.values()}
                return report_answer(report, corpora, names if docket.several else None), case_id
        raise ValueError(f"“{command.name}” is not a command of the desk's own")

    async def _use(
        self, docket: Docket, reference: str, caller: Caller
    ) -> tuple[Answer, str | None]:
        """`/case use <case>`: make it the channel's case (`none`: no case of its own)."""
        place = caller.place
        if place is None:
            text = "Choosing a case works in a Slack or Discord channel or DM, or the console chat."
            return Answer(kind="refused", text=text), None
        if not reference:
            chosen = await self._store.channel_case(platform=caller.platform, channel_id=place)
            here = (
                f"This channel's case is {chosen}."
                if chosen is not None
                else "This channel has no case of its own."
            )
            text = f"{here} Choose one with `/case use <case>`. {case_replies.named_cases(docket)}"
            return Answer(kind="answer", text=text), chosen
        if fold(reference) == "none":
            before = await self._store.set_channel_case(
                platform=caller.platform, channel_id=place, case_id=None, by_user=caller.user_id
            )
            return case_replies.use_answer(docket, None, before), None
        found = docket.names.resolve(reference)
        if len(found) != 1:
            return case_replies.unknown_case(reference, docket), None
        before = await self._store.set_channel_case(
            platform=caller.platform, channel_id=place, case_id=found[0], by_user=caller.user_id
        )
        return case_replies.use_answer(docket, found[0], before), found[0]

    async def _timeline(self, case: LiveCase) -> Answer:
        # One computation per snapshot however many ask at once: the desk keeps the task
        # with the snapshot it is for, and a newer snapshot starts its own. (Retrieval is
        # safe to run in a thread: it only reads the snapshot, fills its cache, and
        # PyStemmer keeps the GIL.)
        index = case.index
        pending = self._timelines.get(case.id)
        task = pending[1] if pending is not None and pending[0] is index else None
        if task is None or (task.done() and (task.cancelled() or task.exception())):
            task = asyncio.ensure_future(asyncio.to_thread(self._queries.timeline, index))
            self._timelines[case.id] = (index, task)
        return await asyncio.shield(task)

    async def audit_intake(
        self, caller: Caller, *, allowed: bool, result: str, case: str | None = None
    ) -> None:
        """Audit an answer to an `add` preview: its buttons arrive outside `handle`."""
        await self._record(
            self._store.record_admin(
                platform=caller.platform, user_id=caller.user_id, command="add",
                allowed=allowed, result=result, case_id=case,
            )  # fmt: skip
        )

    async def _audit(
        self, caller: Caller, command: Command, *, allowed: bool, result: str,
        case: str | None = None,
    ) -> None:  # fmt: skip
        await self._record(
            self._store.record_admin(
                platform=caller.platform,
                user_id=caller.user_id,
                command=command.name,
                allowed=allowed,
                result=result,
                case_id=case,
            )
        )

    async def _record(self, write: Awaitable[object]) -> None:
        # The store is a record, not a gate: a full disk must not stop casebot answering.
        try:
            await write
        except Exception as error:
            _not_written(error)


def _not_written(error: Exception) -> None:
    """Log a record the store could not write: one line while the database is away (every
    request would say it), the traceback for anything else."""
    if isinstance(error, StoreUnavailable):
        logger.warning("could not write to the store: %s", error)
    else:
        logger.exception("could not write to the store")


def _nothing_served(old: Docket, error: CorpusError) -> Answer:
    """The report of a reload that found nothing to serve: the old cases stay."""
    problems = tuple(str(problem) for problem in error.problems)
    only = old.only
    if only is not None and not old.several:
        loaded_at = only.index.corpus.loaded_at
        return case_replies.reload_failed(problems, loaded_at)
    return Answer(
        kind="error",
        text="Reload failed: nothing could be served; still serving the cases loaded before.",
        notes=problems,
    )


async def _record_ok_load(store: Store, case: LiveCase, platform: str, user: str) -> None:
    corpus: Corpus = case.index.corpus
    await store.record_load(
        case_id=case.id,
        by_platform=platform,
        by_user=user,
        result="ok",
        fingerprint=corpus.fingerprint,
        articles=len(corpus.articles),
        passages=len(corpus.passages),
    )


async def _record_failed_load(
    store: Store, case_id: str, errors: Sequence[str], platform: str, user: str = _SYSTEM
) -> None:
    await store.record_load(
        case_id=case_id, by_platform=platform, by_user=user, result="failed", errors=errors
    )

