"""The Slack harness: the adapter on the real slack-bolt against tests.support.fake_slack, and its fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.desk import Desk
from bot.queries import DEFAULT, Queries
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter, start_slack
from tests.support.fake_slack import (
    APP_ID,
    BOT_USER_ID,
    TEAM_ID,
    Call,
    FakeSlack,
    block_kit_problems,
    signed_headers,
)


SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-bot-token-do-not-log"
APP_TOKEN = "xapp-test-app-token-do-not-log"
ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"
CHANNEL = "C0GENERAL"
DM = "D0MEMBER1"


# How long a test waits for an answer to come: generous, so a slow machine is not a failure.
ANSWER_WAIT = 120.0
_timestamps = itertools.count(1)
_clicks = itertools.count(1)


def new_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"{int(time.time())}.{next(_timestamps):06d}"


def all_text(payload: dict[str, Any]) -> str:
    """Every text in a message's blocks, one per line; rich text (quotes and their labels)
    written as mrkdwn would show it: bold as *x*, a quote as "> x"."""
    texts = []
    for block in payload.get("blocks", []):
        if block["type"] == "actions":
            continue  # buttons (tests/bot/slack/test_slack_feedback.py reads them)
        if block["type"] == "rich_text":
            for part in block["elements"]:
                runs = "".join(
                    f"*{run['text']}*" if run.get("style", {}).get("bold") else run["text"]
                    for run in part["elements"]
                )
                texts.append(f"> {runs}" if part["type"] == "rich_text_quote" else runs)
            continue
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []))
    return "\n".join(texts)


def outside_quotes(payload: dict[str, Any]) -> str:
    """The message as JSON without its quotes, which Slack shows as written (so they can't
    ping or link); checks they hold nothing but plain text runs, and the links casebot
    makes of its sources' http(s) URLs (a timeline line's citation)."""
    runs = [run for block in payload.get("blocks", []) if block["type"] == "rich_text"
            for part in block["elements"] for run in part["elements"]]  # fmt: skip
    for run in runs:
        if run["type"] == "link":
            assert run.keys() <= {"type", "text", "url"} and run["url"].startswith("http")
        else:
            assert run.keys() <= {"type", "text", "style"} and run["type"] == "text"
    blocks = [block for block in payload.get("blocks", []) if block["type"] != "rich_text"]
    return json.dumps({**payload, "blocks": blocks}, ensure_ascii=False)


@dataclass
class Harness:
    """A running adapter, the fake Slack it talks to, and a way to send it requests."""

    adapter: SlackAdapter
    desk: Desk
    fake: FakeSlack
    session: aiohttp.ClientSession
    corpus_dir: Path
    _keys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    async def send(
        self, body: str, content_type: str, *, secret: str = SIGNING_SECRET,
        timestamp: int | None = None, headers: dict[str, str] | None = None,
    ) -> tuple[int, float]:  # fmt: skip
        """POST a signed request the way Slack does; returns (status, seconds taken)."""
        all_headers = {"Content-Type": content_type, **signed_headers(secret, body, timestamp)}
        all_headers.update(headers or {})
        started = time.monotonic()
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            await resp.read()
            return resp.status, time.monotonic() - started

    def command_body(self, text: str, *, user: str = MEMBER, key: str) -> dict[str, str]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": CHANNEL,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/case",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(key),
            "trigger_id": f"13345224609.738474920.{key}",  # unique: replays are dropped
        }

    async def slash(self, text: str, *, user: str = MEMBER, **send: Any) -> tuple[int, float, str]:
        """Run `/case text`; returns (HTTP status, seconds to the ack, response_url key)."""
        key = f"cmd-{next(self._keys)}"
        body = urlencode(self.command_body(text, user=user, key=key))
        status, seconds = await self.send(body, "application/x-www-form-urlencoded", **send)
        return status, seconds, key

    async def answer(self, text: str, *, user: str = MEMBER) -> dict[str, Any]:
        """Run `/case text`, check the ack, and return what came to the response_url."""
        status, seconds, key = await self.slash(text, user=user)
        assert status == 200
        assert seconds < 3.0
        # A generous wait, never a measurement: a huge corpus's timeline takes seconds
        # on a busy machine.
        call = await self.fake.wait_for_call("response_url", key, timeout=ANSWER_WAIT)
        assert block_kit_problems(call.payload["blocks"]) == []
        return call.payload

    async def event(self, event: dict[str, Any], *, retry: int | None = None) -> int:
        """Deliver one Events API event; returns the HTTP status."""
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": APP_ID,
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self._keys):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = await self.send(body, "application/json", headers=headers if retry else None)
        return status

    async def posts(self, count: int, method: str = "chat.postMessage") -> list[Call]:
        """Wait until `count` calls to `method` were made; return them all."""
        await self.fake.wait_until(lambda: len(self.fake.calls_to(method)) >= count)
        return self.fake.calls_to(method)


def buttons(payload: dict[str, Any]) -> dict[str, str]:
    """The message's buttons: label -> value."""
    return {
        element["text"]["text"]: element["value"]
        for block in payload.get("blocks", []) if block["type"] == "actions"
        for element in block["elements"] if element["type"] == "button"
    }  # fmt: skip


async def act(
    slack: Harness, payload: dict[str, Any], action: dict[str, Any], *, user: str = MEMBER,
    ephemeral: bool = False, channel: str = CHANNEL,
) -> str:  # fmt: skip
    """Send `action` (a click, a choice in a menu) on a message of casebot's (`ephemeral`:
    one only its reader sees) as Slack sends it (block_actions); returns the key of the
    click's response_url."""
    key = f"click-{next(_clicks)}"
    body = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": channel,
                      "is_ephemeral": ephemeral},
        "trigger_id": f"13345224609.738474920.{key}",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "ts": "1.0", "text": payload.get("text", ""),
                    "blocks": payload["blocks"]},
        "response_url": slack.fake.response_url(key),
        "actions": [{**action, "action_ts": "2.0"}],
    }  # fmt: skip
    status, _ = await slack.send(
        urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    return key


async def click(
    slack: Harness, payload: dict[str, Any], label: str, *, user: str = MEMBER,
    ephemeral: bool = False,
) -> dict[str, Any]:
    """Click the button `label` of a message (`ephemeral`: one only its reader sees) as
    Slack sends it (block_actions); returns what came to the click's response_url."""
    key = await click_key(slack, payload, label, user=user, ephemeral=ephemeral)
    thanks = (await slack.fake.wait_for_call("response_url", key)).payload
    assert block_kit_problems(thanks["blocks"]) == []
    return thanks


async def click_key(
    slack: Harness, payload: dict[str, Any], label: str, **where: Any
) -> str:
    """Click the button `label` (as `click`); returns the key of its response_url."""
    (block, element) = next(
        (block, element) for block in payload["blocks"] if block["type"] == "actions"
        for element in block["elements"] if element.get("text", {}).get("text") == label
    )  # fmt: skip
    action = {"type": "button", "action_id": element["action_id"], "block_id": block["block_id"],
              "text": element["text"], "value": element["value"]}  # fmt: skip
    return await act(slack, payload, action, **where)


async def choose_option(
    slack: Harness, payload: dict[str, Any], label: str, **where: Any
) -> str:
    """Choose the option `label` in the message's menu (a static select); returns the key
    of its response_url."""
    (block, element, option) = next(
        (block, element, option) for block in payload["blocks"] if block["type"] == "actions"
        for element in block["elements"] if element["type"] == "static_select"
        for option in element["options"] if option["text"]["text"] == label
    )  # fmt: skip
    action = {"type": "static_select", "action_id": element["action_id"],
              "block_id": block["block_id"], "selected_option": option}  # fmt: skip
    return await act(slack, payload, action, **where)


def mention(text: str, **extra: Any) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "app_mention", "user": MEMBER, "text": text, "ts": ts, "event_ts": ts,
        "channel": CHANNEL, **extra,
    }  # fmt: skip


def direct_message(text: str, **extra: Any) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message", "channel_type": "im", "user": MEMBER, "text": text, "ts": ts,
        "event_ts": ts, "channel": DM, **extra,
    }  # fmt: skip


class LogWaiter(logging.Handler):
    """Collects log records and lets a test wait for one containing some text."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self._arrived.set()

    async def wait_for(self, text: str, timeout: float = 10.0) -> str:
        async def found() -> str:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(found(), timeout)


@pytest.fixture
async def stack() -> AsyncIterator[contextlib.AsyncExitStack]:
    async with contextlib.AsyncExitStack() as exit_stack:
        yield exit_stack


@pytest.fixture
async def fake(stack: contextlib.AsyncExitStack) -> FakeSlack:
    return await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN))


@pytest.fixture
def corpus_copy(tmp_path: Path, seed_corpus_dir: Path) -> Path:
    """A copy of the bundled corpus that tests may add files to."""
    return Path(shutil.copytree(seed_corpus_dir, tmp_path / "live-corpus"))


@pytest.fixture
def start(
    stack: contextlib.AsyncExitStack,
    fake: FakeSlack,
    make_settings: Callable[..., Settings],
    corpus_copy: Path,
) -> Callable[..., Awaitable[Harness]]:
    """`await start(**settings)`: open a desk and start the adapter against the fake.

    `queries`: the desk's query functions (`tests.support.queries.queries_with`).
    """

    async def start(*, queries: Queries = DEFAULT, **overrides: Any) -> Harness:
        values: dict[str, Any] = {
            "corpus_dir": corpus_copy,
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake.api_url,
            "slack_admin_ids": [ADMIN],
            "host": "127.0.0.1",
            "port": 0,
        }
        values.update(overrides)
        settings = make_settings(**values)
        desk = await Desk.open(settings, queries=queries)
        stack.push_async_callback(desk.close)
        adapter = await start_slack(desk, settings)
        stack.push_async_callback(adapter.close)
        session = aiohttp.ClientSession()
        stack.push_async_callback(session.close)
        return Harness(adapter, desk, fake, session, Path(settings.corpus_dir))

    return start


@pytest.fixture
async def slack(start: Callable[..., Awaitable[Harness]]) -> Harness:
    return await start()


@pytest.fixture
def log_waiter() -> Iterator[LogWaiter]:
    waiter = LogWaiter()
    target = logging.getLogger("bot.slack.adapter")
    target.addHandler(waiter)
    previous = target.level
    target.setLevel(logging.DEBUG)
    yield waiter
    target.removeHandler(waiter)
    target.setLevel(previous)
