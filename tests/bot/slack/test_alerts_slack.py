"""Following the case on Slack: the real slack-bolt adapter against the fake Slack.

casebot runs in HTTP mode on 127.0.0.1 over a corpus in tmp_path; `/case follow` and the
rest arrive as signed slash commands, DMs as signed events, and alerts are the
chat.postMessage calls the fake records. Corpora are reloaded for real.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.desk import Desk
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter, start_slack
from tests.support.alert_corpus import FILED, RE_REPORT, REFILED, WITHDRAWAL_SENTENCE, WITHDRAWN
from tests.support.fake_slack import APP_ID, TEAM_ID, FakeSlack, block_kit_problems, signed_headers

SECRET = "alerts-signing-secret"
BOT_TOKEN = "xoxb-alerts-test"
ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"
NEWS = "C0NEWS"
OTHER = "C0OTHER"
GONE = "C0GONE"
ADMIN_DM = "D0ADMIN1"

_keys = itertools.count(1)


@dataclass
class Slack:
    """casebot serving Slack, and how to talk to it as Slack does."""

    desk: Desk
    adapter: SlackAdapter
    fake: FakeSlack
    session: aiohttp.ClientSession

    async def _send(self, body: str, content_type: str) -> None:
        url = f"http://127.0.0.1:{self.adapter.port}/slack/events"
        headers = {"Content-Type": content_type, **signed_headers(SECRET, body)}
        async with self.session.post(url, data=body.encode(), headers=headers) as response:
            assert response.status == 200

    async def command(self, text: str, *, channel: str, user: str = ADMIN) -> dict[str, Any]:
        """`/case text` in `channel`; what came back to the response_url."""
        key = f"alerts-{next(_keys)}"
        body = {
            "team_id": TEAM_ID, "channel_id": channel, "user_id": user, "command": "/case",
            "text": text, "api_app_id": APP_ID, "response_url": self.fake.response_url(key),
            "trigger_id": f"1.2.{key}",
        }  # fmt: skip
        await self._send(urlencode(body), "application/x-www-form-urlencoded")
        return (await self.fake.wait_for_call("response_url", key)).payload

    async def dm(self, text: str, *, channel: str = ADMIN_DM, user: str = ADMIN) -> dict[str, Any]:
        """A direct message to casebot; its reply."""
        ts = f"{int(time.time())}.{next(_keys):06d}"
        event = {"type": "message", "channel_type": "im", "user": user, "text": text,
                 "ts": ts, "event_ts": ts, "channel": channel}  # fmt: skip
        envelope = {"team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
                    "type": "event_callback", "event_id": f"Ev{next(_keys)}",
                    "event_time": int(time.time())}  # fmt: skip
        before = len(self.alerts(channel))
        await self._send(json.dumps(envelope), "application/json")
        await self.fake.wait_until(lambda: len(self.alerts(channel)) > before)
        return self.alerts(channel)[-1]

    async def reload(self) -> None:
        """`/case reload` by the admin, then every alert it brings has been tried."""
        reply = await self.command("reload", channel=NEWS)
        assert reply["text"].startswith("Reloaded the corpus"), reply["text"]
        await self.desk.alerts.idle()

    def alerts(self, channel: str) -> list[dict[str, Any]]:
        """What casebot posted (or tried to post) to `channel` with chat.postMessage."""
        return [c.payload for c in self.fake.calls_to("chat.postMessage")
                if c.payload.get("channel") == channel]  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
def corpus(make_corpus: Callable[..., Path]) -> Path:
    return make_corpus(FILED)


@pytest.fixture
def slack(
    fake: FakeSlack, corpus: Path, make_settings: Callable[..., Settings]
) -> Callable[..., Any]:
    """`async with slack(**settings) as s`: casebot serving the fake Slack (again: a restart)."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Slack]:
        values: dict[str, Any] = {
            "corpus_dir": corpus, "slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET,
            "slack_api_url": fake.api_url, "slack_admin_ids": [ADMIN], "host": "127.0.0.1",
            "port": 0, "alert_retry_seconds": 0, "alert_attempts": 3,
        }  # fmt: skip
        values.update(overrides)
        settings = make_settings(**values)
        desk = await Desk.open(settings)
        adapter = await start_slack(desk, settings)
        session = aiohttp.ClientSession()
        try:
            yield Slack(desk, adapter, fake, session)
        finally:
            await session.close()
            await adapter.close()
            await desk.close()

    return run


def blocks_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A posted message's blocks (the SDK sends them as a JSON string in a form post)."""
    blocks = payload["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def shown(payload: dict[str, Any]) -> str:
    """Every text of a message, blocks and fallback alike."""
    texts = [payload.get("text", "")]
    texts.extend(json.dumps(block, ensure_ascii=False) for block in blocks_of(payload))
    return "\n".join(texts)


async def test_a_reload_with_news_posts_one_alert_to_each_following_channel(
    slack: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with slack() as s:
        reply = await s.command("follow", channel=NEWS)
        assert "now follows" in reply["text"] and reply["response_type"] == "ephemeral"
        assert "now follows" in (await s.dm("follow"))["text"]  # a DM follows too
        await s.command("status", channel=OTHER)
        make_corpus(WITHDRAWN)
        await s.reload()

        (alert,) = s.alerts(NEWS)
        _follow_reply, dm_alert = s.alerts(ADMIN_DM)
        assert dm_alert["blocks"] == alert["blocks"]
        assert s.alerts(OTHER) == []
        blocks = blocks_of(alert)
        assert block_kit_problems(blocks) == []
        quotes = [part["elements"][0]["text"] for block in blocks if block["type"] == "rich_text"
                  for part in block["elements"] if part["type"] == "rich_text_quote"]  # fmt: skip
        assert quotes == [" ".join(WITHDRAWAL_SENTENCE.split())]
        text = shown(alert)
        assert "*Beta Daily*" in text and "2025-01-31" in text and "/case status" in text
        # Nothing pings: outside the quote (shown as written) <!channel> is escaped.
        assert "&lt;!channel&gt;" in alert["text"] and "<!channel>" not in alert["text"]
        outside = [json.dumps(b) for b in blocks if b["type"] != "rich_text"]
        assert all("<!" not in part for part in outside)


async def test_a_restart_and_reload_post_nothing_and_a_re_report_posts_nothing(
    slack: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with slack() as s:
        await s.command("follow", channel=NEWS)
        make_corpus(WITHDRAWN)
        await s.reload()
        assert len(s.alerts(NEWS)) == 1
    async with slack() as s:  # a restart on the same database
        await s.desk.alerts.idle()
        await s.reload()
        await s.reload()
        assert len(s.alerts(NEWS)) == 1
        make_corpus(RE_REPORT)  # February 6, about January 30: known
        await s.reload()
        assert len(s.alerts(NEWS)) == 1
        make_corpus(REFILED)  # March 3: news
        await s.reload()
        assert len(s.alerts(NEWS)) == 2


async def test_unfollow_stops_alerts(
    slack: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with slack() as s:
        await s.command("follow", channel=NEWS)
        assert "no longer follows" in (await s.command("unfollow", channel=NEWS))["text"]
        make_corpus(WITHDRAWN)
        await s.reload()
        assert s.alerts(NEWS) == []


async def test_a_channel_answering_not_in_channel_is_dropped_after_the_retries(
    slack: Callable[..., Any], fake: FakeSlack, make_corpus: Callable[..., Path]
) -> None:
    fake.channel_errors[GONE] = "not_in_channel"
    async with slack() as s:
        await s.command("follow", channel=NEWS)
        await s.command("follow", channel=GONE)
        make_corpus(WITHDRAWN)
        await s.reload()
        assert len(s.alerts(NEWS)) == 1
        assert len(s.alerts(GONE)) == 3  # CASEBOT_ALERT_ATTEMPTS tries
        listing = await s.command("following", channel=NEWS)
        assert NEWS in listing["text"] and GONE not in listing["text"]
        _listed, dropped = await s.desk.store.recent_audit(2)
        assert dropped.command == "unfollow" and "not_in_channel" in dropped.result
        make_corpus(REFILED)
        await s.reload()
        assert len(s.alerts(GONE)) == 3 and len(s.alerts(NEWS)) == 2


async def test_a_passing_slack_error_is_retried_until_it_posts(
    slack: Callable[..., Any], fake: FakeSlack, make_corpus: Callable[..., Path]
) -> None:
    fake.channel_errors[NEWS] = ["internal_error", "ratelimited"]
    async with slack() as s:
        await s.command("follow", channel=NEWS)
        make_corpus(WITHDRAWN)
        await s.reload()
        tries = s.alerts(NEWS)
        assert len(tries) == 3  # two refused, the third posted
        registry = s.desk.metrics.registry
        assert registry.get_sample_value("casebot_alerts_sent_total", {"platform": "slack"}) == 1


async def test_a_member_may_not_follow_unless_the_setting_lets_anyone(
    slack: Callable[..., Any],
) -> None:
    async with slack() as s:
        reply = await s.command("follow", channel=NEWS, user=MEMBER)
        assert reply["text"].startswith("Sorry, only casebot admins")
        assert (await s.command("following", channel=NEWS, user=MEMBER))["text"].startswith("Sorry")
        assert "No channel follows" in (await s.command("following", channel=NEWS))["text"]
    async with slack(anyone_can_follow=True) as s:
        assert "now follows" in (await s.command("follow", channel=NEWS, user=MEMBER))["text"]
        assert (await s.command("following", channel=NEWS, user=MEMBER))["text"].startswith("Sorry")
        (audit, *_) = await s.desk.store.recent_audit(2)
        assert audit.command == "following" and not audit.allowed
