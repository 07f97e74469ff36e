"""Operating casebot: /healthz readiness, /metrics, structured logs, secret redaction.

Readiness runs a real desk and the real Slack adapter in Socket Mode against the fake
Slack (`tests.support.fake_slack`); metrics come from questions sent through `Desk.handle`, the
one place that counts them; logs are captured from the handler `configure_logging`
installs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import __version__
from bot.cli import _serve
from bot.desk import Caller, Desk
from bot.discord.adapter import DiscordAdapter
from bot.ops import logs
from bot.ops.logs import REDACTED, configure_logging, request_scope
from bot.ops.metrics import Metrics
from bot.ops.server import Health, OpsServer, OpsStartError, start_ops_server
from bot.settings import Settings
from bot.slack.adapter import start_slack
from retrieval.answering import ask as real_ask
from tests.support.fake_slack import FakeSlack
from tests.support.queries import Swappable, queries_with

BOT_TOKEN = "xoxb-ops-test-bot-token-must-not-leak"
APP_TOKEN = "xapp-ops-test-app-token-must-not-leak"
SIGNING_SECRET = "ops-test-signing-secret-0123456789"
DISCORD_TOKEN = "discord-ops-test-token-must-not-leak"

SLACK_MEMBER = Caller(platform="slack", user_id="U-MEMBER", is_admin=False)
SLACK_ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)
DISCORD_MEMBER = Caller(platform="discord", user_id="1234", is_admin=False)
ANSWERABLE = "who is suing LinkedIn?"
# A name no source mentions: the sources don't cover it.
UNANSWERABLE = "what did Google say about the lawsuit?"


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
async def stack() -> AsyncIterator[contextlib.AsyncExitStack]:
    async with contextlib.AsyncExitStack() as exit_stack:
        yield exit_stack


@pytest.fixture
def settings_with(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> Callable[..., Settings]:
    """Settings for the small corpus, everything on 127.0.0.1 at free ports; keywords add."""

    def make(**overrides: Any) -> Settings:
        values = {"corpus_dir": small_corpus_dir, "host": "127.0.0.1", "port": 0, "ops_port": 0}
        return make_settings(**{**values, **overrides})

    return make


@pytest.fixture
def settings(settings_with: Callable[..., Settings]) -> Settings:
    return settings_with()


@pytest.fixture
def ask() -> Swappable:
    """The desk's `ask`: the real one until a test sets its `function`."""
    return Swappable(real_ask)


@pytest.fixture
async def desk(settings: Settings, stack: contextlib.AsyncExitStack, ask: Swappable) -> Desk:
    opened = await Desk.open(settings, queries=queries_with(ask=ask))
    stack.push_async_callback(opened.close)
    return opened


@pytest.fixture
async def http(stack: contextlib.AsyncExitStack) -> aiohttp.ClientSession:
    return await stack.enter_async_context(aiohttp.ClientSession())


@pytest.fixture
def captured() -> Iterator[Callable[[Settings], io.StringIO]]:
    """`captured(settings)`: configure logging into a StringIO; the root logger is restored."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {
        name: logging.getLogger(name).level
        for name in ("slack_bolt", "slack_sdk", "discord", "aiohttp")
    }

    def capture(settings: Settings) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(settings, stream=stream)
        return stream

    yield capture
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)


async def healthz(
    http: aiohttp.ClientSession, ops: OpsServer, path: str = "/readyz"
) -> tuple[int, dict[str, Any]]:
    async with http.get(f"http://127.0.0.1:{ops.port}{path}") as response:
        return response.status, await response.json()


async def probes(http: aiohttp.ClientSession, ops: OpsServer) -> tuple[int, int, int]:
    """The status codes of /livez, /readyz and /healthz, in that order."""
    return tuple([(await healthz(http, ops, path))[0]  # type: ignore[return-value]
                  for path in ("/livez", "/readyz", "/healthz")])  # fmt: skip


async def wait_for_health(
    http: aiohttp.ClientSession, ops: OpsServer, status: int, timeout: float = 10.0
) -> dict[str, Any]:
    """Poll /healthz until it answers `status`; returns the body."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = await healthz(http, ops)
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/healthz still {got}: {body}"
        await asyncio.sleep(0.05)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample in a Prometheus text exposition: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return metrics.get((name, frozenset(labels.items())), 0.0)


# --- /livez, /readyz, /healthz -----------------------------------------------------------


async def test_readyz_is_ready_only_with_the_corpus_loaded_and_slack_connected(
    settings_with: Callable[..., Settings],
    stack: contextlib.AsyncExitStack,
    http: aiohttp.ClientSession,
) -> None:
    fake = await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN))
    settings = settings_with(
        slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, slack_api_url=fake.api_url
    )
    health = Health()
    metrics = Metrics()
    ops = await start_ops_server(settings, health, metrics)
    stack.push_async_callback(ops.close)

    # Started before anything else: starting, no corpus yet; but alive.
    assert await probes(http, ops) == (200, 503, 503)
    status, body = await healthz(http, ops)
    assert status == 503
    assert body["status"] == "starting"
    assert "corpus: not loaded yet" in body["problems"]

    desk = await Desk.open(settings, metrics=metrics)
    stack.push_async_callback(desk.close)
    health.loaded(desk)
    status, body = await healthz(http, ops)
    assert (status, body["status"]) == (503, "starting")
    assert body["corpus"]["articles"] == 3
    assert body["corpus"]["passages"] == len(desk.index.corpus.passages)

    adapter = await start_slack(desk, settings)
    stack.push_async_callback(adapter.close)
    health.serving([adapter])
    body = await wait_for_health(http, ops, 200)
    assert body["status"] == "ready" and "problems" not in body
    assert body["adapters"] == {"slack": "connected"}
    assert await probes(http, ops) == (200, 200, 200)

    # Slack drops the connection and, for now, refuses a new one: not ready.
    fake.fail["apps.connections.open"] = "ratelimited"
    await fake.drop_socket()
    body = await wait_for_health(http, ops, 503)
    assert body["status"] == "not_ready"
    assert body["problems"] == ["slack: not connected"]
    assert body["adapters"] == {"slack": "disconnected"}
    # A Slack outage is no reason to restart casebot: still alive.
    assert await probes(http, ops) == (200, 503, 503)

    health.stopping()
    status, body = await healthz(http, ops)
    assert (status, body["status"]) == (503, "stopping")
    # Alive while it finishes the answers in flight.
    assert await healthz(http, ops, "/livez") == (200, {"status": "alive", "phase": "stopping"})


async def test_http_mode_slack_is_connected_while_listening(
    settings_with: Callable[..., Settings], desk: Desk, stack: contextlib.AsyncExitStack
) -> None:
    fake = await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN))
    slack_settings = settings_with(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url
    )
    adapter = await start_slack(desk, slack_settings)
    assert adapter.platform == "slack"
    assert await adapter.is_connected()
    await adapter.close()
    assert not await adapter.is_connected()


async def test_discord_is_connected_only_while_ready_and_open() -> None:
    ws = SimpleNamespace(open=True)
    client = SimpleNamespace(is_ready=lambda: True, is_closed=lambda: False, ws=ws)
    adapter = DiscordAdapter(client, task=None)  # type: ignore[arg-type]
    assert adapter.platform == "discord"
    assert await adapter.is_connected()
    ws.open = False  # reconnecting: is_ready() is still true
    assert not await adapter.is_connected()
    client.ws = None
    assert not await adapter.is_connected()


async def test_ops_server_names_the_setting_when_its_port_is_taken(
    settings: Settings, desk: Desk
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OpsStartError, match="CASEBOT_OPS_PORT"):
            await start_ops_server(
                settings.model_copy(update={"ops_port": port}), Health(), desk.metrics
            )


# --- /metrics ----------------------------------------------------------------------------


async def test_metrics_count_questions_abstentions_errors_reloads_and_latency(
    settings: Settings,
    desk: Desk,
    stack: contextlib.AsyncExitStack,
    http: aiohttp.ClientSession,
    make_corpus: Callable[..., Path],
    ask: Swappable,
) -> None:
    health = Health()
    health.loaded(desk)
    ops = await start_ops_server(settings, health, desk.metrics)
    stack.push_async_callback(ops.close)

    assert (await desk.handle(ANSWERABLE, SLACK_MEMBER)).answer.kind == "answer"
    assert (await desk.handle(UNANSWERABLE, SLACK_MEMBER)).answer.kind == "no_answer"
    assert (await desk.handle("/case status", DISCORD_MEMBER)).answer.kind == "status"
    assert (await desk.handle(ANSWERABLE, DISCORD_MEMBER)).answer.kind == "answer"

    # A reload that fails (a broken article), then one that works.
    make_corpus({"broken.md": "no front matter here\n"})
    assert (await desk.handle("/case reload", SLACK_ADMIN)).answer.kind == "error"
    (Path(desk.index.corpus.directory) / "broken.md").unlink()
    assert (await desk.handle("/case reload", SLACK_ADMIN)).answer.kind == "reload"

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the ranking code broke")

    ask.function = explode
    assert (await desk.handle(ANSWERABLE, DISCORD_MEMBER)).answer.kind == "error"

    async with http.get(f"http://127.0.0.1:{ops.port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    got = samples(text)

    def q(platform: str, kind: str) -> float:
        return value(got, "casebot_questions_total", platform=platform, kind=kind)

    def c(platform: str, command: str, kind: str) -> float:
        labels = {"platform": platform, "command": command, "kind": kind}
        return value(got, "casebot_commands_total", **labels)

    # Questions are questions only: not status, not reloads.
    assert (q("slack", "answer"), q("slack", "no_answer"), q("slack", "error")) == (1, 1, 0)
    assert (q("discord", "answer"), q("discord", "error"), q("discord", "status")) == (1, 1, 0)
    questions = [s for s in got if s[0] == "casebot_questions_total"]
    assert sum(got[s] for s in questions) == 4
    # Every command, by name. The failed reload is an "error" reply, not a failure.
    assert (c("slack", "reload", "error"), c("slack", "reload", "reload")) == (1, 1)
    assert (c("discord", "status", "status"), c("discord", "ask", "error")) == (1, 1)
    assert c("slack", "ask", "answer") == 1
    # A question the sources don't cover is a question of kind no_answer: no second counter.
    assert not any(sample[0].startswith("casebot_abstentions") for sample in got)
    assert value(got, "casebot_errors_total", platform="discord") == 1
    assert value(got, "casebot_errors_total", platform="slack") == 0
    assert value(got, "casebot_reloads_total", result="ok") == 1
    assert value(got, "casebot_reloads_total", result="failed") == 1
    assert value(got, "casebot_answer_latency_seconds_count", platform="slack") == 4
    assert value(got, "casebot_answer_latency_seconds_count", platform="discord") == 3
    assert 0 < value(got, "casebot_answer_latency_seconds_sum", platform="slack") < 10
    fastest = value(got, "casebot_answer_latency_seconds_bucket", platform="slack", le="10.0")
    assert fastest == 4
    assert value(got, "casebot_corpus_passages") == len(desk.index.corpus.passages)
    assert value(got, "casebot_corpus_articles") == len(desk.index.corpus.articles)
    assert value(got, "casebot_reload_duration_seconds_count", result="ok") == 1
    assert value(got, "casebot_reload_duration_seconds_count", result="failed") == 1
    assert value(got, "casebot_reload_duration_seconds_sum", result="ok") > 0
    assert value(got, "casebot_corpus_loaded_timestamp_seconds") == pytest.approx(
        desk.index.corpus.loaded_at.timestamp()
    )
    assert ("casebot_event_loop_worst_stall_seconds", frozenset()) in got


class _Connection:
    """An adapter as readiness sees it, connected or not."""

    def __init__(self, platform: str, connected: bool) -> None:
        self.platform, self.connected = platform, connected

    async def is_connected(self) -> bool:
        return self.connected


async def test_metrics_have_build_info_process_and_platform_series_but_no_created(
    settings: Settings, desk: Desk, stack: contextlib.AsyncExitStack, http: aiohttp.ClientSession
) -> None:
    health = Health()
    health.loaded(desk)
    health.serving([_Connection("slack", True), _Connection("discord", False)])
    ops = await start_ops_server(settings, health, desk.metrics)
    stack.push_async_callback(ops.close)
    await desk.handle(ANSWERABLE, SLACK_MEMBER)

    async with http.get(f"http://127.0.0.1:{ops.port}/metrics") as response:
        text = await response.text()
    got = samples(text)
    build = [labels for name, labels in got if name == "casebot_build_info"]
    assert [dict(labels)["version"] for labels in build] == [__version__]
    assert value(got, "casebot_platform_connected", platform="slack") == 1
    assert value(got, "casebot_platform_connected", platform="discord") == 0
    names = {name for name, _ in got}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "python_info"} <= names
    assert "python_gc_objects_collected_total" in names
    assert not [name for name in names if name.endswith("_created")]
    assert "_created" not in text


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.answered("slack", "ask", "answer", 0.001)
    first.set_loop_stall(0.25)
    got, fresh = (samples(m.render()[0].decode()) for m in (first, second))
    assert value(got, "casebot_questions_total", platform="slack", kind="answer") == 1
    assert value(fresh, "casebot_questions_total", platform="slack", kind="answer") == 0
    assert value(got, "casebot_event_loop_worst_stall_seconds") == 0.25
    assert value(fresh, "casebot_event_loop_worst_stall_seconds") == 0


def test_metrics_speak_openmetrics_when_asked() -> None:
    body, content_type = Metrics().render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.decode().rstrip().endswith("# EOF")


async def test_every_known_series_exists_from_the_start(
    settings_with: Callable[..., Settings], stack: contextlib.AsyncExitStack
) -> None:
    # Served platforms have their series at 0 before the first event, so rate() and
    # increase() see that event; and the votes are counted.
    settings = settings_with(
        slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, discord_token=DISCORD_TOKEN
    )
    desk = await Desk.open(settings)
    stack.push_async_callback(desk.close)
    got = samples(desk.metrics.render()[0].decode())

    def at_zero(name: str, **labels: str) -> bool:
        return got.get((name, frozenset(labels.items()))) == 0  # there, and 0

    for platform in ("slack", "discord"):
        assert at_zero("casebot_questions_total", platform=platform, kind="no_answer")
        assert at_zero("casebot_questions_total", platform=platform, kind="error")
        assert at_zero("casebot_commands_total", platform=platform, command="status", kind="status")
        assert at_zero("casebot_commands_total", platform=platform, command="ask", kind="limited")
        assert at_zero("casebot_errors_total", platform=platform)
        assert at_zero("casebot_alerts_sent_total", platform=platform)
        assert at_zero("casebot_follows_dropped_total", platform=platform)
        assert at_zero("casebot_votes_total", platform=platform, vote="down")
        assert at_zero("casebot_answer_latency_seconds_count", platform=platform)
    assert at_zero("casebot_reload_duration_seconds_count", result="failed")
    assert value(got, "casebot_corpus_articles") == 3

    from bot.feedback import button_value

    asked = await desk.handle(ANSWERABLE, SLACK_MEMBER)
    assert asked.feedback_id is not None
    for vote in ("down", "down", "up"):  # the second click repeats the first: no new vote
        await desk.vote(SLACK_MEMBER, button_value(asked.feedback_id, vote))
    await desk.vote(SLACK_MEMBER, button_value(asked.feedback_id, "down", "outdated"))
    got = samples(desk.metrics.render()[0].decode())
    assert value(got, "casebot_votes_total", platform="slack", vote="down") == 2
    assert value(got, "casebot_votes_total", platform="slack", vote="up") == 1


# --- logs --------------------------------------------------------------------------------


async def test_json_log_lines_carry_the_request_id_of_the_apology(
    make_settings: Callable[..., Settings],
    small_corpus_dir: Path,
    stack: contextlib.AsyncExitStack,
    captured: Callable[[Settings], io.StringIO],
    ask: Swappable,
) -> None:
    settings = make_settings(corpus_dir=small_corpus_dir, log_json=True)
    stream = captured(settings)
    desk = await Desk.open(settings, queries=queries_with(ask=ask))
    stack.push_async_callback(desk.close)

    answered = await desk.handle(ANSWERABLE, SLACK_MEMBER)
    assert answered.answer.kind == "answer"

    def explode(*args: object, **kwargs: object) -> None:
        logging.getLogger("retrieval.answering").warning("about to fail")
        raise RuntimeError("the ranking code broke")

    ask.function = explode
    failed = await desk.handle(ANSWERABLE, SLACK_MEMBER)
    match = re.search(r"request id ([0-9a-f]{8})", failed.answer.text)
    assert match is not None
    request_id = match.group(1)
    assert logs._request_id.get() is None  # only while the request is handled

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    mine = [line for line in lines if line.get("request_id") == request_id]
    # The warning made inside the request, the failure with its traceback, the summary.
    assert [line["level"] for line in mine] == ["WARNING", "ERROR", "INFO"]
    assert "RuntimeError: the ranking code broke" in mine[1]["exception"]
    summary = mine[2]
    who = desk.pseudonym("slack", "U-MEMBER")
    assert summary["message"].startswith(f"ask error from slack user {who} in ")
    # The figures are fields of their own, for a log collector to count.
    assert summary["platform"] == "slack" and summary["command"] == "ask"
    assert summary["kind"] == "error" and summary["user"] == who
    assert isinstance(summary["latency_ms"], float)
    # Who asked is never written, only their pseudonym (README: never who asked).
    assert "U-MEMBER" not in stream.getvalue()
    # The first request had an id of its own.
    others = {line.get("request_id") for line in lines} - {request_id, None}
    assert len(others) == 1
    # CASEBOT_STORE_QUESTIONS is off: the question never reaches the log.
    assert "suing" not in stream.getvalue()


async def test_question_text_is_logged_only_when_storing_questions_is_allowed(
    make_settings: Callable[..., Settings],
    small_corpus_dir: Path,
    stack: contextlib.AsyncExitStack,
    captured: Callable[[Settings], io.StringIO],
) -> None:
    settings = make_settings(corpus_dir=small_corpus_dir, store_questions=True)
    stream = captured(settings)
    desk = await Desk.open(settings)
    stack.push_async_callback(desk.close)
    await desk.handle(ANSWERABLE, SLACK_MEMBER)
    who = desk.pseudonym("slack", "U-MEMBER")
    (line,) = [line for line in stream.getvalue().splitlines() if who in line]
    assert re.search(rf"INFO bot\.desk \[[0-9a-f]{{8}}\]: ask answer from slack user {who}", line)
    assert repr(ANSWERABLE) in line
    assert "U-MEMBER" not in stream.getvalue()


@pytest.mark.parametrize("log_json", [False, True])
def test_secret_settings_never_reach_the_log_even_when_logged_by_mistake(
    make_settings: Callable[..., Settings],
    captured: Callable[[Settings], io.StringIO],
    log_json: bool,
) -> None:
    settings = make_settings(
        log_json=log_json,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        discord_token=DISCORD_TOKEN,
    )
    stream = captured(settings)
    log = logging.getLogger("bot.careless")
    log.warning("connecting with %s", BOT_TOKEN)
    log.warning(f"headers: {{'Authorization': 'Bearer {APP_TOKEN}'}}")
    log.warning("settings: %r", {"secret": SIGNING_SECRET})
    try:
        raise ConnectionError(f"gateway refused token {DISCORD_TOKEN}")
    except ConnectionError:
        log.exception("could not connect")
    with request_scope("feedc0de"):
        log.error("in a request: %s", BOT_TOKEN, stack_info=True)

    output = stream.getvalue()
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, DISCORD_TOKEN):
        assert secret not in output
    assert output.count(REDACTED) >= 5
    assert "gateway refused token" in output and "feedc0de" in output


# --- casebot serve -----------------------------------------------------------------------


async def test_serve_runs_the_ops_server_until_sigterm(
    settings_with: Callable[..., Settings],
    stack: contextlib.AsyncExitStack,
    http: aiohttp.ClientSession,
) -> None:
    fake = await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_with(
        ops_port=port, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
        slack_api_url=fake.api_url,
    )  # fmt: skip
    serving = asyncio.create_task(_serve(settings))
    url = f"http://127.0.0.1:{port}"
    ready = False
    try:
        deadline = time.monotonic() + 15
        while not ready:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.get(f"{url}/healthz") as response:
                    ready = response.status == 200
                    body = await response.json()
            assert time.monotonic() < deadline and not serving.done()
            await asyncio.sleep(0.05)
        assert body["adapters"] == {"slack": "connected"}
        async with http.get(f"{url}/metrics") as response:
            assert "casebot_corpus_passages" in await response.text()
    finally:
        if ready:
            # Ready means serve is waiting in _until_stopped, with its SIGTERM handler set.
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            serving.cancel()
    assert await asyncio.wait_for(serving, timeout=20) == 0
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(f"{url}/healthz"):
            pass


@pytest.mark.parametrize("store_questions", [False, True])
def test_platform_library_debug_lines_with_messages_follow_the_privacy_setting(
    make_settings: Callable[..., Settings],
    captured: Callable[[Settings], io.StringIO],
    store_questions: bool,
) -> None:
    # slack_bolt gives its app logger a level of its own, so the parent's level alone
    # would not hold this DEBUG line (a whole Socket Mode message) back.
    settings = make_settings(log_level="DEBUG", store_questions=store_questions)
    stream = captured(settings)
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    old = bolt.level
    bolt.setLevel(logging.DEBUG)
    try:
        bolt.debug('Received message: {"text": "a private question"}')
        logging.getLogger("bot.desk").debug("casebot's own debug line")
    finally:
        bolt.setLevel(old)
    logged = stream.getvalue()
    assert ("a private question" in logged) is store_questions
    assert "casebot's own debug line" in logged
