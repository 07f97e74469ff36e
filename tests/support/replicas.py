"""Several `casebot serve` replicas on one PostgreSQL database, against the fakes.

Each replica is the real `casebot serve` in a process of its own (the real slack-bolt and
discord.py inside), sharing one corpus folder (as a volume would be) and one database
(CASEBOT_DATABASE_URL); Slack in HTTP mode, so the tests play the load balancer and send
each request to the replica they choose, signed as Slack signs it; Discord through the
fake gateway, which delivers each event to every connection that identified (as Discord
does), so two replicas on the gateway would both answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.support.corpora import REPO_ROOT, SEED_CORPUS_DIR
from tests.support.fake_discord import FakeDiscord, FakeGuild, RecordedRequest
from tests.support.fake_slack import APP_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlack, signed_headers

SIGNING_SECRET = "replicas-signing-secret-0123456789"
ADMIN = "UADMIN001"
CHANNEL = "C0GENERAL"
# Generous, for a shared machine: timeouts, never measurements.
START_WAIT = 180.0
ANSWER_WAIT = 120.0

_keys = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_ts() -> str:
    return f"{int(time.time())}.{next(_keys):06d}"


class SlowSlack(FakeSlack):
    """The fake Slack, posting to the channels in `slow` only after `delay` seconds (a
    replica can then be killed in the middle of posting alerts), and noting when each call
    arrived (`arrived`, by the call's id(), on time.perf_counter)."""

    slow: set[str]
    delay: float = 0.0
    arrived: dict[int, float]

    async def _record(self, call: Call) -> None:
        self.arrived[id(call)] = time.perf_counter()
        await super()._record(call)

    async def _web_api(self, request: web.Request) -> web.Response:
        if getattr(self, "slow", None) and request.match_info["method"] == "chat.postMessage":
            body = await request.read()  # aiohttp keeps it for the handler's own read
            if any(channel.encode() in body for channel in self.slow):
                await asyncio.sleep(self.delay)
        return await super()._web_api(request)


class TimedDiscord(FakeDiscord):
    """The fake Discord, noting when each REST request arrived (`arrived`, by its id()), and
    when the first answer to each message came (`answered`, by the message's id)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[int, float] = {}
        self.answered: dict[str, float] = {}

    async def _route(self, r: RecordedRequest) -> Any:
        now = self.arrived[id(r)] = time.perf_counter()
        if (answers := answer_to(r)) is not None:
            self.answered.setdefault(answers, now)
        return await super()._route(r)


def answer_to(request: RecordedRequest) -> str | None:
    """The id of the message a Discord request answers: a post in the thread started on it
    (which takes its id) or a reply to it; None for any other request."""
    if request.method != "POST":
        return None
    path_id = re.fullmatch(r"/channels/(\d+)/messages", request.path)
    if path_id is None:
        return None
    reference = (request.body or {}).get("message_reference") or {}
    return str(reference.get("message_id") or path_id[1])


@dataclass
class Replica:
    """One `casebot serve` process."""

    label: str
    process: asyncio.subprocess.Process
    log_path: Path
    ops_port: int
    slack_port: int

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        """(status, report) of /readyz; (0, {}) when nothing answers."""
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                async with http.get(f"http://127.0.0.1:{self.ops_port}/readyz") as response:
                    return response.status, await response.json()
        except (aiohttp.ClientError, TimeoutError):
            return 0, {}

    async def wait_until(self, wanted: Any, timeout: float = START_WAIT) -> dict[str, Any]:
        """Poll /readyz until `wanted(status, report)`; the report."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.returncode is not None:
                raise AssertionError(f"{self.label} exited early:\n{self.log()[-4000:]}")
            status, report = await self.readyz()
            if wanted(status, report):
                return report
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.label}: /readyz {status} {report}\n{self.log()[-4000:]}")
            await asyncio.sleep(0.2)

    async def ready(self) -> dict[str, Any]:
        return await self.wait_until(lambda status, _: status == 200)

    def holds_gateway(self, report: dict[str, Any]) -> bool:
        return report.get("adapters", {}).get("discord") == "connected"

    def kill(self) -> None:
        """SIGKILL: no goodbye to anyone (its sockets close with it)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
        await self.process.wait()


@dataclass
class Cluster:
    """The fakes, the shared corpus folder and database, and the replicas started on them."""

    work: Path
    corpus: Path
    database_url: str
    slack: SlowSlack
    discord: FakeDiscord
    guild: FakeGuild
    channel_id: int
    settings: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)
    _http: aiohttp.ClientSession | None = None

    async def start(self, label: str) -> Replica:
        """Start one more replica (not waiting for it to be ready)."""
        ops_port, slack_port = free_port(), free_port()
        env = {
            name: value for name, value in os.environ.items()
            if not name.startswith(("CASEBOT_", "SLACK_", "DISCORD_"))
        }  # fmt: skip
        env.update(
            PYTHONPATH=str(REPO_ROOT),
            CASEBOT_CORPUS_DIR=str(self.corpus),
            CASEBOT_DB_PATH=str(self.work / f"{label}-unused.db"),
            CASEBOT_HOST="127.0.0.1",
            CASEBOT_PORT=str(slack_port),
            CASEBOT_OPS_PORT=str(ops_port),
            CASEBOT_FETCH_PRIVATE="true",
            SLACK_BOT_TOKEN=self.slack.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.slack.api_url,
            SLACK_ADMIN_IDS=ADMIN,
            DISCORD_TOKEN=self.discord.token,
            DISCORD_API_URL=self.discord.api_url,
            DISCORD_GATEWAY_URL=self.discord.gateway_url,
            DISCORD_GUILD_IDS=str(self.guild.id),
            DISCORD_ADMIN_GUILD_IDS=str(self.guild.id),
            **self.settings,
        )
        if self.database_url:  # else one process on SQLite at CASEBOT_DB_PATH
            env["CASEBOT_DATABASE_URL"] = self.database_url
        log_path = self.work / f"{label}.log"
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", env=env, cwd=self.work,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        replica = Replica(label, process, log_path, ops_port, slack_port)
        self.replicas.append(replica)
        return replica

    async def close(self) -> None:
        await asyncio.gather(*(replica.stop() for replica in self.replicas))
        if self._http is not None:
            await self._http.close()

    async def holder(self, timeout: float = START_WAIT) -> Replica:
        """The one live replica that holds Discord's gateway (waiting for one to)."""
        deadline = time.monotonic() + timeout
        while True:
            live = [r for r in self.replicas if r.process.returncode is None]
            reports = [(r, (await r.readyz())[1]) for r in live]
            holding = [r for r, report in reports if r.holds_gateway(report)]
            assert len(holding) <= 1, f"two replicas hold the gateway: {[r.label for r in holding]}"
            if holding:
                return holding[0]
            if time.monotonic() > deadline:
                raise AssertionError("no replica holds the Discord gateway")
            await asyncio.sleep(0.2)

    # --- Slack, as the load balancer sends it --------------------------------------------

    async def _send(self, replica: Replica, body: str, content_type: str,
                    headers: dict[str, str] | None = None) -> int:  # fmt: skip
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        url = f"http://127.0.0.1:{replica.slack_port}/slack/events"
        all_headers = {"Content-Type": content_type, **signed_headers(SIGNING_SECRET, body)}
        all_headers.update(headers or {})
        async with self._http.post(url, data=body.encode(), headers=all_headers) as response:
            await response.read()
            return response.status

    async def slash(self, replica: Replica, text: str, *, user: str = "UMEMBER01",
                    channel: str = CHANNEL) -> str:  # fmt: skip
        """`/case text` to `replica`; the key its answer comes back under (response_url)."""
        key = f"cmd-{next(_keys)}"
        body = {
            "token": "t", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": channel,
            "channel_name": "general", "user_id": user, "user_name": user.lower(),
            "command": "/case", "text": text, "api_app_id": APP_ID,
            "response_url": self.slack.response_url(key), "trigger_id": f"1.2.{key}",
        }  # fmt: skip
        status = await self._send(replica, urlencode(body), "application/x-www-form-urlencoded")
        assert status == 200, status
        return key

    async def mention(self, replica: Replica, text: str, *, user: str = "UMEMBER01",
                      channel: str = CHANNEL, ts: str | None = None,
                      thread_ts: str | None = None, retry: int | None = None) -> str:  # fmt: skip
        """A mention of casebot sent to `replica` (`retry`: as Slack redelivers it); its ts."""
        ts = ts or new_ts()
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}",
                 "ts": ts, "event_ts": ts, "channel": channel}  # fmt: skip
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        body = json.dumps({
            "token": "t", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
            "type": "event_callback", "event_id": f"Ev{ts.replace('.', '')}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        })  # fmt: skip
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        status = await self._send(replica, body, "application/json", headers if retry else None)
        assert status == 200, status
        return ts

    async def click(self, replica: Replica, payload: dict[str, Any], label: str, *,
                    user: str = ADMIN) -> str:  # fmt: skip
        """Click the button `label` of a message to `replica`; the key of its response_url."""
        block, element = next(
            (block, element) for block in payload["blocks"] if block["type"] == "actions"
            for element in block["elements"] if element.get("text", {}).get("text") == label
        )  # fmt: skip
        key = f"click-{next(_keys)}"
        body = {
            "type": "block_actions", "api_app_id": APP_ID, "token": "t",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "container": {"type": "message", "message_ts": "1.0", "channel_id": CHANNEL,
                          "is_ephemeral": True},
            "trigger_id": f"1.2.{key}", "team": {"id": TEAM_ID, "domain": "fake"},
            "channel": {"id": CHANNEL, "name": "general"},
            "message": {"type": "message", "ts": "1.0", "text": payload.get("text", ""),
                        "blocks": payload["blocks"]},
            "response_url": self.slack.response_url(key),
            "actions": [{"type": "button", "action_id": element["action_id"],
                         "block_id": block["block_id"], "text": element["text"],
                         "value": element["value"], "action_ts": "2.0"}],
        }  # fmt: skip
        status = await self._send(
            replica, urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        )
        assert status == 200, status
        return key

    def answers_to(self, key: str) -> list[Call]:
        """What came back for a slash command or a click (its response_url)."""
        return self.slack.calls_to("response_url", key)

    def replies_in_thread(self, ts: str, channel: str = CHANNEL) -> list[Call]:
        """casebot's posts in the thread of the message `ts`."""
        return [
            call for call in self.slack.calls
            if call.method in ("chat.postMessage", "chat.postEphemeral")
            and call.payload.get("channel") == channel and call.payload.get("thread_ts") == ts
        ]  # fmt: skip

    def posts_to(self, channel: str) -> list[Call]:
        """Top-level messages posted to `channel` (alerts)."""
        return [
            call for call in self.slack.calls_to("chat.postMessage")
            if call.payload.get("channel") == channel and not call.payload.get("thread_ts")
        ]  # fmt: skip

    # --- Discord -------------------------------------------------------------------------

    async def discord_mention(self, user: dict[str, Any], text: str) -> str:
        """A mention of casebot in the guild's channel; the message's id."""
        message = await self.discord.post_message(
            user, f"<@{self.discord.bot_id}> {text}", guild=self.guild,
            channel_id=self.channel_id, mentions=[self.discord.bot_user],
        )  # fmt: skip
        return str(message["id"])

    def discord_answers(self, message_id: str) -> list[RecordedRequest]:
        """casebot's answers to the message `message_id`: posts in the thread started on it
        (which takes its id) or replies to it."""
        return [r for r in self.discord.requests if answer_to(r) == message_id]


async def until(
    condition: Any, timeout: float = ANSWER_WAIT, what: str = "", poll: float = 0.1
) -> None:
    """Wait until `condition()` holds (polled every `poll` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(poll)


@contextlib.asynccontextmanager
async def fakes() -> Any:
    """The fake Slack and Discord, running."""
    slack = SlowSlack(bot_token="xoxb-replicas", app_token="xapp-unused")
    slack.slow, slack.arrived = set(), {}
    discord = TimedDiscord()
    await slack.start()
    await discord.start()
    try:
        yield slack, discord
    finally:
        await discord.close()
        await slack.close()


@contextlib.asynccontextmanager
async def running_cluster(
    work: Path, postgres_server: Any, *, servers: Any, settings: dict[str, str], replicas: int = 3
) -> Any:
    """`replicas` ready `casebot serve` processes on a fresh database of `postgres_server`,
    serving a copy of the seed corpus in `work`, against the fakes. `servers(discord)`
    makes the Discord servers and returns (the guild and channel the cluster addresses,
    anything more the test wants); yields (cluster, that more)."""
    corpus = shutil.copytree(SEED_CORPUS_DIR, work / "corpus")
    if not postgres_server.running:
        postgres_server.start()
    database = postgres_server.create_database()
    async with fakes() as (slack, discord):
        guild, channel_id, more = servers(discord)
        cluster = Cluster(
            work=work, corpus=corpus, database_url=postgres_server.url(database),
            slack=slack, discord=discord, guild=guild, channel_id=channel_id, settings=settings,
        )  # fmt: skip
        try:
            for number in range(replicas):
                await cluster.start(f"replica-{number}")
            for replica in cluster.replicas:
                await replica.ready()
            yield cluster, more
        finally:
            await cluster.close()
            if not postgres_server.running:
                postgres_server.start()
            postgres_server.drop_database(database)
