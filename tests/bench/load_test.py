"""Load test: the real `casebot serve` against fake Slack and Discord, under load and reloads.

Not part of the test run. From the repository root:

    .venv/bin/python -m tests.bench.load_test                  # 500 questions, 10 reloads, a flood
    .venv/bin/python -m tests.bench.load_test --reload-stall   # reloads of 10,000 passages

This process runs `tests.support.fake_slack.FakeSlack` (casebot connects to it in Socket Mode) and
`tests.support.fake_discord.FakeDiscord` on 127.0.0.1, starts `casebot serve` as a subprocess with
a temporary copy of the corpus and a temporary database, and then:

1. **Load**: 50 simulated people (25 on each platform) each send 10 messages, one at a
   time as a person would, mixing `/case` commands and mentions: questions the corpus
   answers and some it doesn't, status, timeline, sources. Meanwhile an admin reloads the
   corpus 10 times, from Slack and Discord in turn; every third reload finds a broken
   article in the corpus (added just before, removed just after) and must fail while the
   old corpus goes on answering. CASEBOT_RATE_LIMIT is 60 a minute per person: each
   simulated person sends 10 messages, far below that, so the limits reject none of the
   load.
2. **Flood**, on a fresh server with the shipped limits (20 messages a minute per person,
   2 at once): one person sends 150 mentions at once while another asks one question.
   The flooder gets "limited" replies beyond the rate limit's burst; the other person's
   answer must still come promptly.

Checks: every message gets exactly one reply, within 30 s; no reply is an error; each reply
is of the kind the question gets from the corpus when asked alone (computed here first);
a failed reload reports the failure and the next answers still quote the old corpus. It
prints a summary with p50/p99 from sending a message to its reply arriving, and the worst
event-loop stall, read from the server's own loop monitor (its shutdown log line; the
/metrics gauge is shown too). Exit status 0 when every check passes, else 1.

`--reload-stall` serves a synthetic corpus of 10,000 passages (`tests.bench.benchmark`) instead,
has 20 people ask a question every 0.2-0.6 s each while an admin reloads it 3 times, and
checks that the worst stall stays under 100 ms.

`--keep` keeps the work directory with the servers' logs; `--server-log-level DEBUG` then
also logs each stall of 50 ms or more as it happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.commands import parse_command
from bot.queries import load_index, query
from tests.support.stalls import parse_worst_stall
from bot.settings import Settings
from tests.bench.benchmark import write_synthetic
from tests.support.fake_discord import MANAGE_GUILD, FakeDiscord, RecordedRequest, snowflake, user_payload
from tests.support.fake_slack import APP_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlack

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_CORPUS = REPO_ROOT / "corpus"
REPLY_TIMEOUT = 30.0  # seconds a message may wait for its reply
GRACE = 1.5  # seconds to wait after the last reply for duplicates
MAX_STALL = 0.100  # seconds: the reload-stall target
PROBE_BOUND = 5.0  # seconds: the flood must not delay another person's answer more
RATE_LIMIT = 60  # per person per minute, in the serving process

QUESTIONS = (
    "Who is suing LinkedIn?",
    "How much are plaintiffs asking per user?",
    "Where was the lawsuit filed?",
    "What is LinkedIn accused of?",
    "Which laws were allegedly broken?",
    "What did LinkedIn say about the claims?",
    "Is the lawsuit still going on?",
    "Which judge is presiding?",  # not covered
    "What did Google say about it?",  # not covered
)
COMMANDS = ("status", "timeline", "sources")
BROKEN_ARTICLE = '+++\nurl = "not a web address"\n+++\nA paragraph without a source.\n'


# --- what a reply says ---------------------------------------------------------------------


def classify(text: str) -> str:
    """The kind of a reply, from its text on either platform."""
    for kind, marker in (
        ("error", "something went wrong"),
        ("limited", "questions a minute"),
        ("limited", "still answering your earlier"),
        ("limited", "characters long"),
        ("reload_failed", "Reload failed"),
        ("reload", "Reloaded the corpus"),
        ("no_answer", "don't cover"),
        ("answer", "Here is what the sources say"),
        ("status", "Where the case stands"),
        ("timeline", "from the sources, oldest first"),
        ("sources", "casebot answers from"),
    ):
        if marker in text:
            return kind
    return "other"


def expected_kinds(corpus: Path) -> dict[str, str]:
    """The kind of reply each question gets from the corpus asked alone, in this process.

    Commands (status, timeline, sources) are not listed: any reply but an error or a
    refusal will do for them.
    """
    index = load_index(corpus)
    return {text: query(index, parse_command(text), max_quotes=3).kind for text in QUESTIONS}


# --- tracking replies ----------------------------------------------------------------------


@dataclass
class Request:
    key: tuple[Any, ...]
    text: str
    platform: str
    via: str  # "slash" or "mention"
    sent: float
    replies: list[tuple[float, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float:
        return self.replies[0][0] - self.sent

    @property
    def kind(self) -> str:
        return classify(self.replies[0][1]) if self.replies else "none"


class Tracker:
    """Matches each reply the fakes record to the message it answers, by a key."""

    def __init__(self) -> None:
        self.requests: dict[tuple[Any, ...], Request] = {}
        self._early: dict[tuple[Any, ...], list[tuple[float, str]]] = defaultdict(list)

    @property
    def unmatched(self) -> int:
        """Replies to no message this run sent."""
        return sum(len(replies) for replies in self._early.values())

    def expect(self, request: Request) -> Request:
        self.requests[request.key] = request
        for reply in self._early.pop(request.key, []):
            self._add(request, reply)
        return request

    def reply(self, key: tuple[Any, ...] | None, text: str) -> None:
        if key is None:
            return
        reply = (time.perf_counter(), text)
        request = self.requests.get(key)
        if request is None:
            # The reply can come in before the code that sent the message has noted it.
            self._early[key].append(reply)
        else:
            self._add(request, reply)

    def _add(self, request: Request, reply: tuple[float, str]) -> None:
        request.replies.append(reply)
        request.arrived.set()

    async def wait(self, request: Request) -> Request:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(request.arrived.wait(), REPLY_TIMEOUT)
        return request


def _flat(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


class TrackedSlack(FakeSlack):
    """FakeSlack that tells the tracker about every reply as it arrives."""

    tracker: Tracker | None = None

    async def _record(self, call: Call) -> None:
        await super()._record(call)
        if self.tracker is None:
            return
        if call.method == "response_url":
            self.tracker.reply(("slack", call.key), _flat(call.payload))
        elif call.method in ("chat.postMessage", "chat.postEphemeral"):
            thread = call.payload.get("thread_ts")
            self.tracker.reply(("slack", f"{call.payload.get('channel')}/{thread}"),
                               _flat(call.payload))  # fmt: skip


class TrackedDiscord(FakeDiscord):
    """FakeDiscord that tells the tracker about every reply as it arrives."""

    tracker: Tracker | None = None

    async def _route(self, r: RecordedRequest) -> Any:
        response = await super()._route(r)
        if self.tracker is not None:
            self.tracker.reply(_discord_key(r), _flat(r.body))
        return response


def _discord_key(r: RecordedRequest) -> tuple[Any, ...] | None:
    if m := re.fullmatch(r"/interactions/\d+/([^/]+)/callback", r.path):
        # Type 5 is the "thinking…" placeholder of a deferred answer, not the answer.
        return ("discord", m[1]) if r.body.get("type") == 4 else None
    if r.method == "PATCH" and (m := re.fullmatch(r"/webhooks/\d+/([^/]+)/messages/@original", r.path)):
        return ("discord", m[1])
    if r.method == "POST" and (m := re.fullmatch(r"/webhooks/\d+/([^/]+)", r.path)):
        return ("discord", m[1])
    if r.method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", r.path)):
        reference = (r.body or {}).get("message_reference") or {}
        # An answer in the thread started on the message (the thread takes its id), or a
        # reply to the message.
        return ("discord", str(reference.get("message_id") or m[1]))
    return None


# --- the world -----------------------------------------------------------------------------


@dataclass
class World:
    slack: TrackedSlack
    discord: TrackedDiscord
    tracker: Tracker
    guild: Any
    channel: Any
    discord_users: list[dict[str, Any]]
    manager: dict[str, Any]
    corpus: Path
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # Slack -------------------------------------------------------------------------------

    async def slack_slash(self, user: str, text: str) -> Request:
        key = f"k{next(self._ts)}"
        request = self.tracker.expect(
            Request(("slack", key), text, "slack", "slash", time.perf_counter())
        )
        await self.slack.send_envelope("slash_commands", {
            "command": "/case", "text": text, "user_id": user, "user_name": user.lower(),
            "channel_id": "C0LOAD", "channel_name": "load", "team_id": TEAM_ID,
            "team_domain": "fake", "api_app_id": APP_ID, "trigger_id": f"trigger-{key}",
            "response_url": self.slack.response_url(key),
        })  # fmt: skip
        return request

    async def slack_mention(self, user: str, text: str) -> Request:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        request = self.tracker.expect(
            Request(("slack", f"C0LOAD/{ts}"), text, "slack", "mention", time.perf_counter())
        )
        await self.slack.send_envelope("events_api", {
            "token": "t", "team_id": TEAM_ID, "api_app_id": APP_ID, "type": "event_callback",
            "event_id": f"Ev{ts.replace('.', '')}", "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}",
                      "ts": ts, "event_ts": ts, "channel": "C0LOAD"},
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        })  # fmt: skip
        return request

    # Discord -----------------------------------------------------------------------------

    async def discord_slash(self, user: dict[str, Any], text: str) -> Request:
        command = parse_command(text)
        options = {"question": command.argument} if command.name == "ask" else None
        sent = time.perf_counter()
        payload = await self.discord.slash_command(
            user, command.name, options, guild=self.guild, channel_id=self.channel.id,
            command="case-admin" if command.name in ("reload", "add", "remove") else "case",
        )
        return self.tracker.expect(
            Request(("discord", payload["token"]), text, "discord", "slash", sent)
        )

    async def discord_mention(self, user: dict[str, Any], text: str) -> Request:
        sent = time.perf_counter()
        message = await self.discord.post_message(
            user, f"<@{self.discord.bot_id}> {text}", guild=self.guild,
            channel_id=self.channel.id, mentions=[self.discord.bot_user],
        )  # fmt: skip
        return self.tracker.expect(
            Request(("discord", message["id"]), text, "discord", "mention", sent)
        )


# --- the serving process -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: asyncio.subprocess.Process
    log_path: Path
    ops_port: int

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def metrics(self) -> str:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(f"http://127.0.0.1:{self.ops_port}/metrics") as response:
                return await response.text()

    async def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"casebot serve exited early:\n{self.log()[-3000:]}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"http://127.0.0.1:{self.ops_port}/healthz") as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"casebot serve not ready in {timeout:.0f} s:\n{self.log()[-3000:]}")

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


async def start_server(
    world: World, work: Path, label: str, settings: dict[str, str], log_level: str
) -> Server:
    """Start `casebot serve` against the fakes, with `settings` on top of the common ones."""
    ops_port = _free_port()
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("CASEBOT_", "SLACK_", "DISCORD_"))
    }  # fmt: skip
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        CASEBOT_CORPUS_DIR=str(world.corpus),
        CASEBOT_DB_PATH=str(work / f"{label}.db"),
        CASEBOT_HOST="127.0.0.1",
        CASEBOT_OPS_PORT=str(ops_port),
        CASEBOT_LOG_LEVEL=log_level,
        SLACK_BOT_TOKEN=world.slack.bot_token,
        SLACK_APP_TOKEN=world.slack.app_token,
        SLACK_API_URL=world.slack.api_url,
        SLACK_ADMIN_IDS="UADMIN",
        DISCORD_TOKEN=world.discord.token,
        DISCORD_API_URL=world.discord.api_url,
        DISCORD_GATEWAY_URL=world.discord.gateway_url,
        DISCORD_GUILD_IDS=str(world.guild.id),
        DISCORD_ADMIN_GUILD_IDS=str(world.guild.id),
        **settings,
    )
    log_path = work / f"{label}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", env=env, cwd=work,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    return Server(process, log_path, ops_port)


# --- the runs ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run found: timings, and every failed check."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def row(self, name: str, value: object) -> None:
        self.rows.append((name, str(value)))

    def check(self, ok: bool, what: str) -> None:
        self.rows.append((f"check: {what}", "ok" if ok else "FAILED"))
        if not ok:
            self.failures.append(what)

    def print(self) -> None:
        print(f"\n{self.title}")
        width = max(len(name) for name, _ in self.rows)
        for name, value in self.rows:
            print(f"  {name:<{width}}  {value}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def _person(world: World, number: int, messages: int, mix: list[str],
                  rng: random.Random, pause: tuple[float, float],
                  arrive_within: float = 0.0) -> list[Request]:  # fmt: skip
    """One simulated person: `messages` messages, each after the previous one's reply.

    They arrive at a random moment within `arrive_within` seconds, as people do, not all
    in the same millisecond.
    """
    await asyncio.sleep(rng.uniform(0, arrive_within))
    done = []
    on_slack = number % 2 == 0
    for n in range(messages):
        text = rng.choice(mix)
        as_slash = (number + n) % 2 == 0
        if on_slack:
            user = f"U-LOAD-{number:02d}"
            send = world.slack_slash if as_slash else world.slack_mention
            request = await send(user, text)
        else:
            discord_user = world.discord_users[number // 2]
            send_d = world.discord_slash if as_slash else world.discord_mention
            request = await send_d(discord_user, text)
        done.append(await world.tracker.wait(request))
        await asyncio.sleep(rng.uniform(*pause))
    return done


async def _admin(world: World, reloads: int, interval: float, broken_every: int,
                 checker: Callable[[], Any]) -> list[tuple[Request, bool, Request | None]]:  # fmt: skip
    """Reload `reloads` times, every `broken_every`th with a broken article in the corpus."""
    done = []
    for n in range(reloads):
        await asyncio.sleep(interval)
        broken = broken_every > 0 and n % broken_every == broken_every - 1
        path = world.corpus / "zz-broken.md"
        if broken:
            path.write_text(BROKEN_ARTICLE, encoding="utf-8")
        try:
            if n % 2 == 0:
                request = await world.slack_slash("UADMIN", "reload")
            else:
                request = await world.discord_slash(world.manager, "reload")
            await world.tracker.wait(request)
        finally:
            path.unlink(missing_ok=True)
        # Right after a failed reload the old corpus must still be answering.
        after = await world.tracker.wait(await checker()) if broken else None
        done.append((request, broken, after))
    return done


Body = Callable[[World, Outcome, dict[str, str], argparse.Namespace], Awaitable[None]]


async def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="casebot-load-"))
    corpus = work / "corpus"
    if args.reload_stall:
        corpus.mkdir()
        write_synthetic(corpus, 10_000)
    else:
        shutil.copytree(SEED_CORPUS, corpus)
    expected = expected_kinds(corpus)

    tracker = Tracker()
    slack = TrackedSlack()
    slack.tracker = tracker
    discord = TrackedDiscord()
    discord.tracker = tracker
    try:
        await slack.start()
        await discord.start()
        guild = discord.add_guild("Load test")
        channel = guild.add_channel("load")
        managers = guild.add_role("Moderators", MANAGE_GUILD)
        manager = user_payload(snowflake(), "manager")
        guild.add_member(manager, [managers])
        users = [user_payload(snowflake(), f"load{n:02d}") for n in range(args.people // 2 + 1)]
        for user in users:
            guild.add_member(user)
        world = World(slack, discord, tracker, guild, channel, users, manager, corpus)

        if args.reload_stall:
            outcome = Outcome("reload stall: a synthetic corpus of 10,000 passages")
            phases: list[tuple[str, dict[str, str], Body]] = [
                ("reload-stall", {"CASEBOT_RATE_LIMIT": str(RATE_LIMIT)}, _reload_stall),
            ]
        else:
            outcome = Outcome("load test: seed corpus, Slack (Socket Mode) and Discord")
            # The flood runs on a server of its own with the shipped limits, so that the
            # load's figures are the load's alone.
            phases = [
                ("load", {"CASEBOT_RATE_LIMIT": str(RATE_LIMIT)}, _load),
                ("flood", {}, _flood),
            ]
        for label, settings, body in phases:
            await _phase(world, work, outcome, label, settings, body, expected, args)
        outcome.check(tracker.unmatched == 0, "every reply matched a message")
        outcome.print()
        print("\nresult:", "PASS" if not outcome.failures else f"FAIL ({len(outcome.failures)})")
        return 0 if not outcome.failures else 1
    finally:
        await slack.close()
        await discord.close()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


async def _phase(
    world: World, work: Path, outcome: Outcome, label: str, settings: dict[str, str],
    body: Body, expected: dict[str, str], args: argparse.Namespace,
) -> None:  # fmt: skip
    """Start a server, run `body` against it, stop it, and read its loop monitor's figure."""
    started = time.perf_counter()
    server = await start_server(world, work, label, settings, args.server_log_level)
    try:
        await server.wait_ready(timeout=180)
        print(f"{label}: casebot serve ready in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)  # fmt: skip
        await body(world, outcome, expected, args)
        outcome.row(f"{label}: /metrics worst-stall gauge", _gauge(await server.metrics()))
    finally:
        code = await server.stop()
    log = server.log()
    outcome.check(code == 0, f"{label}: casebot serve stopped cleanly on SIGTERM (exit {code})")
    stall = parse_worst_stall(log)
    outcome.row(f"{label}: worst event-loop stall", _ms(stall) if stall is not None else "?")
    if args.reload_stall:
        outcome.check(stall is not None and stall < MAX_STALL,
                      f"{label}: worst stall under {_ms(MAX_STALL)}")  # fmt: skip
    if summary := re.findall(r"event loop: worst stall .*", log):
        outcome.row(f"{label}: loop monitor", summary[-1])
    errors = [line for line in log.splitlines() if " ERROR " in line]
    outcome.check(not errors, f"{label}: no ERROR lines in the server log ({len(errors)})")
    for line in errors[:5]:
        print(f"  log: {line}", file=sys.stderr)


def _gauge(metrics: str) -> str:
    found = re.search(r"^casebot_event_loop_worst_stall_seconds (\S+)", metrics, re.MULTILINE)
    return _ms(float(found[1])) if found else "not exported"


def _check_replies(outcome: Outcome, requests: list[Request], expected: dict[str, str],
                   what: str) -> None:  # fmt: skip
    missing = [r for r in requests if not r.replies]
    doubled = [r for r in requests if len(r.replies) > 1]
    errors = [r for r in requests if r.kind == "error"]
    wrong = [r for r in requests if r.replies and not _as_expected(r, expected)]
    outcome.check(not missing, f"{what}: every message answered ({len(missing)} missing)")
    outcome.check(not doubled, f"{what}: none answered twice ({len(doubled)} twice)")
    outcome.check(not errors, f"{what}: no error replies ({len(errors)})")
    outcome.check(not wrong, f"{what}: each reply of the expected kind ({len(wrong)} not)")
    for request in (missing + doubled + errors + wrong)[:5]:
        print(f"  problem: {request.platform} {request.via} {request.text!r}: "
              f"{len(request.replies)} replies, kind {request.kind}: "
              f"{request.replies[0][1][:300] if request.replies else ''}", file=sys.stderr)  # fmt: skip


def _as_expected(request: Request, expected: dict[str, str]) -> bool:
    """A question gets the kind it gets when asked alone; a command anything but a refusal."""
    if request.text in expected:
        return request.kind == expected[request.text]
    return request.kind not in ("error", "limited", "none")


async def _load(
    world: World, outcome: Outcome, expected: dict[str, str], args: argparse.Namespace
) -> None:
    rng = random.Random(args.seed)
    mix = [*QUESTIONS, *QUESTIONS, *COMMANDS]

    async def check_question() -> Request:
        return await world.slack_mention("U-CHECKER", QUESTIONS[0])

    started = time.perf_counter()
    people = [
        asyncio.create_task(_person(world, n, args.messages, mix, random.Random(rng.random()),
                                    (0.05, 0.4), arrive_within=0.5))  # fmt: skip
        for n in range(args.people)
    ]
    admin = asyncio.create_task(_admin(world, args.reloads, 0.45, 3, check_question))
    requests = [r for person in await asyncio.gather(*people) for r in person]
    reloads = await admin
    elapsed = time.perf_counter() - started

    latencies = [r.latency for r in requests if r.replies]
    outcome.row("messages", f"{len(requests)} from {args.people} people "
                f"({Counter(f'{r.platform} {r.via}' for r in requests)})")  # fmt: skip
    outcome.row("duration", f"{elapsed:.1f} s ({len(requests) / elapsed:.0f} messages/s)")
    if latencies:
        outcome.row("reply latency p50", _ms(statistics.median(latencies)))
        outcome.row("reply latency p99", _ms(_percentile(latencies, 0.99)))
        outcome.row("reply latency max", _ms(max(latencies)))
    outcome.row("reply kinds", dict(Counter(r.kind for r in requests)))
    _check_replies(outcome, requests, expected, "load")

    ok = [r for r, broken, _ in reloads if not broken]
    failed = [(r, after) for r, broken, after in reloads if broken]
    outcome.row("reloads", f"{len(ok)} ok, {len(failed)} with a broken article; durations "
                + ", ".join(_ms(r.latency) for r, _, _ in reloads if r.replies))  # fmt: skip
    outcome.check(all(r.kind == "reload" and len(r.replies) == 1 for r in ok),
                  "good reloads succeed, one report each")  # fmt: skip
    outcome.check(
        all(r.kind == "reload_failed" and "zz-broken.md" in r.replies[0][1] for r, _ in failed),
        "reloads with a broken article fail and name it",
    )
    outcome.check(
        all(after is not None and after.kind == expected[QUESTIONS[0]] for _, after in failed),
        "after a failed reload the old corpus still answers with quotes",
    )
    await asyncio.sleep(GRACE)
    _check_replies(outcome, requests, expected, "after the grace period")


async def _flood(
    world: World, outcome: Outcome, expected: dict[str, str], args: argparse.Namespace
) -> None:
    """One person floods; another asks once; the limits keep the other's answer prompt.

    On a server with the shipped limits: 20 a minute per person, 2 at once.
    """
    flood = [await world.slack_mention("U-FLOOD", QUESTIONS[n % 3]) for n in range(150)]
    probe = await world.discord_mention(world.discord_users[-1], QUESTIONS[1])
    await world.tracker.wait(probe)
    for request in flood:
        await world.tracker.wait(request)
    await asyncio.sleep(GRACE)
    kinds = Counter(r.kind for r in flood)
    outcome.row("flood", f"150 mentions at once from one person: {dict(kinds)}")
    outcome.check(all(len(r.replies) == 1 for r in flood), "flood: each message one reply")
    burst = Settings.model_fields["rate_limit"].default
    outcome.check(kinds["limited"] >= 150 - burst and kinds["error"] == 0,
                  f"flood: at least {150 - burst} refused as limited, no errors")  # fmt: skip
    if probe.replies:
        outcome.row("another person's question during the flood", _ms(probe.latency))
    outcome.check(
        probe.kind == expected[QUESTIONS[1]] and probe.latency < PROBE_BOUND,
        f"flood: another person's question answered within {PROBE_BOUND:.0f} s",
    )


async def _reload_stall(
    world: World, outcome: Outcome, expected: dict[str, str], args: argparse.Namespace
) -> None:
    rng = random.Random(args.seed)
    # Questions only: they are what must stay fast while the corpus is rebuilt.
    mix = list(QUESTIONS)
    stop = asyncio.Event()
    asked: list[Request] = []

    async def ask(number: int) -> None:
        person_rng = random.Random(rng.random())
        arrive_within = 1.0
        while not stop.is_set():
            asked.extend(await _person(world, number, 1, mix, person_rng, (0.2, 0.6),
                                       arrive_within))  # fmt: skip
            arrive_within = 0.0

    people = [asyncio.create_task(ask(n)) for n in range(20)]
    reloads = []
    for n in range(3):
        await asyncio.sleep(1.0)
        request = await world.slack_slash("UADMIN", "reload")
        reloads.append(await world.tracker.wait(request))
    stop.set()
    await asyncio.gather(*people)
    latencies = [r.latency for r in asked if r.replies]
    outcome.row("questions asked meanwhile", f"{len(asked)} by 20 people")
    if latencies:
        outcome.row("reply latency p50", _ms(statistics.median(latencies)))
        outcome.row("reply latency p99", _ms(_percentile(latencies, 0.99)))
        outcome.row("reply latency max", _ms(max(latencies)))
    outcome.row("reload durations", ", ".join(_ms(r.latency) for r in reloads if r.replies))
    outcome.check(all(r.kind == "reload" for r in reloads), "3 reloads of 10,000 passages succeed")
    _check_replies(outcome, asked, expected, "questions during reloads")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reload-stall", action="store_true",
                        help="measure the loop's worst stall while 10,000 passages reload")  # fmt: skip
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per person")
    parser.add_argument("--reloads", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--server-log-level", default="INFO", help="CASEBOT_LOG_LEVEL of the server")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except TimeoutError:
        print(f"load test: did not finish within {args.timeout:.0f} s", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
