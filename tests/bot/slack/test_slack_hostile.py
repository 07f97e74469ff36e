"""The Slack adapter against hostile requests (issue 9): over the wire, real slack-bolt.

Refused requests are one short log line, malformed signed ones get 400, idle and trickling
connections are closed, replayed slash commands are answered once, and a shutdown that
gives up on slow answers says how many.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack import adapter as slack_app
from bot.ops.logs import configure_logging
from bot.settings import Settings
from tests.support.fake_slack import signed_headers
from tests.support.slack_harness import ADMIN, SIGNING_SECRET, Harness, LogWaiter


@pytest.fixture
def text_log(make_settings: Callable[..., Settings]) -> Iterator[io.StringIO]:
    """Everything logged, as `casebot serve` writes it in its text format."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(make_settings(), stream=stream)
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


async def _post(slack: Harness, body: bytes, headers: dict[str, str]) -> int:
    async with slack.session.post(slack.url, data=body, headers=headers) as response:
        await response.read()
        return response.status


# --- 2. a refusal is one short line, and nothing logged can forge a line ----------------


async def test_refused_requests_are_one_short_line_without_their_body(
    slack: Harness, text_log: io.StringIO
) -> None:
    forged_line = "\n2026-01-01 00:00:00,000 INFO bot.desk: reload from slack user UADMIN001\n"
    late_question = "ask secret merger plans of ACME"
    forged = urlencode({"text": forged_line + "x" * 200_000, "user_id": ADMIN})
    status, _ = await slack.send(forged, "application/x-www-form-urlencoded", secret="wrong")
    assert status == 401
    # A real request that arrives too late: its text, user and response_url stay out too.
    late = urlencode(slack.command_body(late_question, key="late"))
    stale = int(time.time()) - 6 * 60
    status, _ = await slack.send(late, "application/x-www-form-urlencoded", timestamp=stale)
    assert status == 401
    await slack.answer("help")  # a valid command after them: the others are done

    log = text_log.getvalue()
    refusals = [line for line in log.splitlines() if "refused an HTTP request" in line]
    assert len(refusals) == 2
    assert refusals[0].endswith("refused an HTTP request: bad signature")
    assert "timestamp is more than 5 minutes off" in refusals[1]
    assert all(len(line) < 200 for line in refusals)
    assert len(log) < 5_000
    assert "xxxxxxxxxx" not in log and "reload from slack user" not in log
    assert "secret merger" not in log and "/hooks/" not in log


def test_text_logs_show_line_breaks_in_messages_escaped(
    text_log: io.StringIO,
) -> None:
    logger = logging.getLogger("bot.slack.adapter")
    logger.warning("question %r from %s", "q", "U1\nforged INFO line\r\u2028more")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed:\nsecond")
    lines = text_log.getvalue().splitlines()
    assert lines[0].endswith("from U1\\x0aforged INFO line\\x0d\\u2028more")
    assert lines[1].endswith("failed:\\x0asecond")
    assert lines[2] == "Traceback (most recent call last):"  # a traceback keeps its lines


# --- 8. the signature is checked on the raw body; malformed signed bodies get 400 -------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"text=caf\xe9&command=/case", "application/x-www-form-urlencoded"),
    ],
    ids=["bad JSON", "JSON not an object", "not UTF-8"],
)
async def test_a_malformed_signed_body_gets_400_and_one_log_line(
    slack: Harness, text_log: io.StringIO, body: bytes, content_type: str
) -> None:
    assert await _post(slack, body, _signed(body, content_type)) == 400
    lines = [line for line in text_log.getvalue().splitlines() if line.strip()]
    assert "Traceback" not in text_log.getvalue()
    assert len([line for line in lines if "malformed body" in line]) == 1
    assert lines[-1].endswith(")") and "malformed body" in lines[-1]


async def test_a_declared_charset_does_not_matter_slack_sends_utf8(
    slack: Harness, text_log: io.StringIO
) -> None:
    body = urlencode(slack.command_body("help", key="klingon")).encode()
    content_type = "application/x-www-form-urlencoded; charset=klingon"
    assert await _post(slack, body, _signed(body, content_type)) == 200
    await slack.fake.wait_for_call("response_url", "klingon")
    assert "Traceback" not in text_log.getvalue()


def _signed(body: bytes, content_type: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": _sign(body, timestamp),
    }


async def test_an_unreadable_timestamp_is_refused_not_a_server_error(
    slack: Harness, text_log: io.StringIO
) -> None:
    body = b"text=status"
    for timestamp in ("soon", "", "1e9", "\u0663\u0663"):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": _sign(body, timestamp),
        }
        assert await _post(slack, body, headers) == 401
    assert "Traceback" not in text_log.getvalue()


def _sign(body: bytes, timestamp: str) -> str:
    import hashlib
    import hmac

    signed = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), signed, hashlib.sha256).hexdigest()


def test_the_signing_helper_matches_the_fakes() -> None:
    body = "text=status"
    headers = signed_headers(SIGNING_SECRET, body, 1_700_000_000)
    assert _sign(body.encode(), "1700000000") == headers["X-Slack-Signature"]


# --- 7. idle and trickling connections are closed ---------------------------------------


async def _closed_by_server(port: int, sent: bytes, *, within: float) -> bool:
    """Whether the server closes a connection that sent `sent` and then nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(sent)
        await writer.drain()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while await reader.read(65536):
                    pass
                return True
        return False
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"POST /slack/events HTTP/1.1\r\nHost: casebot\r\nContent-Ty",  # trickling headers
        b"POST /slack/events HTTP/1.1\r\nHost: casebot\r\nContent-Length: 100\r\n\r\ntext=",
    ],
    ids=["idle", "headers never end", "body never ends"],
)
async def test_idle_and_trickling_connections_are_closed(
    start: Callable[..., Awaitable[Harness]],
    monkeypatch: pytest.MonkeyPatch,
    sent: bytes,
) -> None:
    # The real timeouts are 75 s and 10 s; shortened so the test can wait for them.
    monkeypatch.setattr(slack_app, "_KEEPALIVE_SECONDS", 0.5)
    monkeypatch.setattr(slack_app, "_READ_SECONDS", 0.5)
    slack = await start()
    assert slack.adapter.port is not None
    assert await _closed_by_server(slack.adapter.port, sent, within=10.0)


async def test_a_kept_alive_connection_is_closed_once_idle(
    start: Callable[..., Awaitable[Harness]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_app, "_KEEPALIVE_SECONDS", 0.5)
    slack = await start()
    assert slack.adapter.port is not None
    body = urlencode(slack.command_body("help", key="kept-alive"))
    headers = signed_headers(SIGNING_SECRET, body)
    request = (
        "POST /slack/events HTTP/1.1\r\nHost: casebot\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    assert await _closed_by_server(slack.adapter.port, request, within=10.0)
    await slack.fake.wait_for_call("response_url", "kept-alive")


# --- 12. replays are answered once; a shutdown says what it gave up on ------------------


async def test_a_replayed_slash_command_is_answered_once(slack: Harness) -> None:
    body = urlencode(slack.command_body("status", key="replayed"))
    for _ in range(3):  # the same signed request, sent again within Slack's 5 minutes
        status, _ = await slack.send(body, "application/x-www-form-urlencoded")
        assert status == 200
    # The first is answered; a later command's answer means the replays had their chance
    # (answers run in worker threads, so the help may come back before the status).
    await slack.fake.wait_for_call("response_url", "replayed", timeout=10)
    await slack.answer("help")
    assert len(slack.fake.calls_to("response_url", "replayed")) == 1


async def test_a_shutdown_that_gives_up_on_slow_answers_logs_how_many(
    slack: Harness, log_waiter: LogWaiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_app, "_DRAIN_SECONDS", 0.2)
    started = asyncio.Event()

    async def slow(text: str, caller: Any, **named: Any) -> Any:
        started.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(slack.desk, "handle", slow)
    for n in range(2):
        await slack.slash("status", user=f"USLOW{n}")
    await asyncio.wait_for(started.wait(), 10)
    await slack.adapter.close()
    line = await log_waiter.wait_for("gave up on")
    assert "gave up on 2 Slack answer(s) still running" in line
    assert json.dumps(slack.fake.calls_to("response_url")) == "[]"
