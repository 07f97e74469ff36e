"""A fake Slack on 127.0.0.1: Web API, response_url endpoint and Socket Mode WebSocket.

Enough of Slack for casebot's adapter to run against over real HTTP and WebSocket:

* Web API at `api_url`: auth.test, apps.connections.open, chat.postMessage,
  chat.postEphemeral, views.publish. Tokens are checked; every call is recorded. Messages
  and Home tab views are checked against the Block Kit limits as Slack would (buttons and
  views also with slack_sdk's Block Kit models), and refused with `invalid_blocks`.
* response_url endpoints: `response_url(key)` gives a URL whose posts are recorded under
  that key.
* Socket Mode: apps.connections.open returns a ws:// URL on this server; a client that
  connects gets a "hello", `send_envelope` pushes an envelope, and the client's
  acknowledgements are recorded, as are connections opening and closing
  ("socket_connect", "socket_close"). `send_disconnect` asks the client to reconnect, as
  Slack does before it recycles a connection; `drop_socket` closes it from this end.

Also the request signing Slack does (`signed_headers`), for sending events and commands to
an app in HTTP mode. Reusable as is by load tests: nothing here is specific to one test.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER_ID = "UCASEBOT"
BOT_ID = "BCASEBOT"
TEAM_ID = "T0FAKE"
APP_ID = "A0FAKE"

# Block Kit limits, as Slack enforces them.
_MAX_BLOCKS = 50
_MAX_TEXT = 3000
_MAX_CONTEXT_ELEMENTS = 10
_MAX_HEADER = 150


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake received.

    Args:
        method: the Web API method ("chat.postMessage"), "response_url", or "socket_ack".
        payload: the request's arguments (JSON or form fields), or the acknowledgement.
        key: for "response_url", the key in the URL; for "socket_ack", the envelope id.
        token: the token the request carried, if any.
    """

    method: str
    payload: dict[str, Any]
    key: str | None = None
    token: str | None = None


@dataclass
class FakeSlack:
    """The fake Slack server. Use as `async with FakeSlack(...) as slack:`.

    Args:
        bot_token: the only bot token auth.test and chat.* accept.
        app_token: the only app-level token apps.connections.open accepts.
        fail: Web API method -> error code to answer it with (ok: false).
        channel_errors: channel id -> the error chat.postMessage to it gets: a code for
            every post (e.g. "not_in_channel"), or a list of codes used up one per post.
        response_url_status: the HTTP status response_url posts get.
    """

    bot_token: str = "xoxb-fake"
    app_token: str = "xapp-fake"
    fail: dict[str, str] = field(default_factory=dict)
    channel_errors: dict[str, str | list[str]] = field(default_factory=dict)
    response_url_status: int = 200
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._web_api)
        app.router.add_post("/hooks/{key}", self._response_url)
        app.router.add_get("/link/", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL, for SLACK_API_URL."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str) -> str:
        """A response_url whose posts are recorded under `key`."""
        return f"{self.base_url}/hooks/{key}"

    def socket_mode_environment(self) -> dict[str, str]:
        """The settings that make a `casebot serve` connect to this fake in Socket Mode."""
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_APP_TOKEN": self.app_token,
            "SLACK_API_URL": self.api_url,
        }

    # --- looking at what happened ------------------------------------------------------

    def calls_to(self, method: str, key: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (key is None or c.key == key)]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `condition()` holds (checked whenever a call is recorded)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def wait_for_call(
        self, method: str, key: str | None = None, timeout: float = 10.0
    ) -> Call:
        """The first call to `method` (with `key`), waiting for it if need be."""
        await self.wait_until(lambda: bool(self.calls_to(method, key)), timeout)
        return self.calls_to(method, key)[0]

    async def wait_until_calls(
        self, method: str, key: str | None, count: int, timeout: float = 10.0
    ) -> list[Call]:
        """The first `count` calls to `method` (with `key`), waiting for them if need be."""
        await self.wait_until(lambda: len(self.calls_to(method, key)) >= count, timeout)
        return self.calls_to(method, key)[:count]

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- Socket Mode -------------------------------------------------------------------

    @property
    def socket_connected(self) -> bool:
        return any(not socket.closed for socket in self._sockets)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope ("slash_commands", "events_api", …) on the newest connection.

        Returns:
            its envelope_id, which the client's acknowledgement carries back.
        """
        envelope_id = f"env-{next(self._envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    @property
    def connections(self) -> int:
        """How many Socket Mode connections have been opened so far."""
        return len(self.calls_to("socket_connect"))

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send a `disconnect` message on the newest connection, as Slack does before it
        recycles one ("refresh_requested", "warning", "link_disabled")."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
        await self._sockets[-1].send_str(json.dumps(message))

    async def drop_socket(self, code: int = 1001) -> None:
        """Close the newest connection from Slack's end (1001: going away)."""
        await self._sockets[-1].close(code=code, message=b"fake Slack: connection dropped")

    async def wait_for_connections(self, count: int, timeout: float = 15.0) -> None:
        """Wait until `count` connections have been opened and one is still open."""
        await self.wait_until(
            lambda: self.connections >= count and self.socket_connected, timeout
        )

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        await self._record(Call("socket_connect", {}))
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                await self._record(Call("socket_ack", data, key=data.get("envelope_id")))
        finally:
            self._sockets.remove(socket)
            await self._record(Call("socket_close", {}))
        return socket

    # --- HTTP --------------------------------------------------------------------------

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await request.json()
        await self._record(Call("response_url", payload, key=request.match_info["key"]))
        if self.response_url_status != 200:
            return web.Response(status=self.response_url_status, text="expired_url")
        problems = block_kit_problems(payload.get("blocks", []))
        if problems:
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            payload = await request.json() if request.can_read_body else {}
        else:
            payload = dict(parse_qsl(await request.text()))
        token = _bearer(request) or payload.get("token")
        await self._record(Call(method, payload, token=token))

        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.fail:
            return web.json_response({"ok": False, "error": self.fail[method]})
        match method:
            case "auth.test":
                return web.json_response(
                    {
                        "ok": True,
                        "url": "https://fake.slack.test/",
                        "team": "Fake team",
                        "user": "casebot",
                        "team_id": TEAM_ID,
                        "user_id": BOT_USER_ID,
                        "bot_id": BOT_ID,
                        "is_enterprise_install": False,
                    }
                )
            case "apps.connections.open":
                url = f"ws://127.0.0.1:{self._port}/link/?ticket=fake-{next(self._ts)}"
                return web.json_response({"ok": True, "url": url})
            case "chat.postMessage" | "chat.postEphemeral":
                if not payload.get("channel") or not (payload.get("text") or payload.get("blocks")):
                    return web.json_response({"ok": False, "error": "invalid_arguments"})
                if block_kit_problems(payload.get("blocks", [])):
                    return web.json_response({"ok": False, "error": "invalid_blocks"})
                error = self._channel_error(str(payload["channel"]))
                if error is not None:
                    return web.json_response({"ok": False, "error": error})
                ts = f"{int(time.time())}.{next(self._ts):06d}"
                if method == "chat.postEphemeral":
                    return web.json_response({"ok": True, "message_ts": ts})
                return web.json_response({"ok": True, "channel": payload["channel"], "ts": ts})
            case "views.publish":
                view = payload.get("view")
                if isinstance(view, str):
                    view = json.loads(view)
                if not payload.get("user_id") or not isinstance(view, dict):
                    return web.json_response({"ok": False, "error": "invalid_arguments"})
                problems = model_problems(view) + block_kit_problems(
                    view.get("blocks", []), max_blocks=_MAX_HOME_BLOCKS
                )
                if view.get("type") != "home" or problems:
                    return web.json_response({"ok": False, "error": "invalid_blocks"})
                published = {"id": f"V{next(self._ts)}", **view}
                return web.json_response({"ok": True, "view": published})
        return web.json_response({"ok": False, "error": "unknown_method"})


    def _channel_error(self, channel: str) -> str | None:
        errors = self.channel_errors.get(channel)
        if isinstance(errors, list):
            return errors.pop(0) if errors else None
        return errors


_MAX_HOME_BLOCKS = 100


def block_kit_problems(blocks: Any, *, max_blocks: int = _MAX_BLOCKS) -> list[str]:
    """What breaks Slack's limits in `blocks` (empty when Slack would take them); a message
    has at most 50 blocks, a Home tab view 100."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (at most {max_blocks})")
    for number, block in enumerate(blocks):
        kind = block.get("type")
        texts = []
        if kind == "section":
            texts.append(block.get("text", {}))
            texts.extend(block.get("fields", []))
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= _MAX_CONTEXT_ELEMENTS:
                problems.append(f"block {number}: context with {len(elements)} elements")
            texts.extend(elements)
        elif kind == "header":
            text = block.get("text", {}).get("text", "")
            if _width(text) > _MAX_HEADER:
                problems.append(f"block {number}: header of {_width(text)} characters")
            texts.append(block.get("text", {}))
        elif kind == "rich_text":
            # Sections and quotes of plain text and link runs: all casebot sends.
            for part in block.get("elements", []):
                if part.get("type") not in ("rich_text_section", "rich_text_quote"):
                    problems.append(f"block {number}: rich text part {part.get('type')!r}")
                for run in part.get("elements", []):
                    kind_ok = run.get("type") == "text" or (
                        run.get("type") == "link" and run.get("url", "").startswith("http")
                    )
                    if not kind_ok or not run.get("text"):
                        problems.append(f"block {number}: rich text element {run!r}")
                    elif _width(run["text"]) > _MAX_TEXT:
                        problems.append(f"block {number}: text of {_width(run['text'])} characters")
        elif kind == "actions":
            # Buttons, as slack_sdk's Block Kit models check them (ids, values, labels).
            problems.extend(f"block {number}: {p}" for p in model_problems(block))
        elif kind != "divider":
            problems.append(f"block {number}: unexpected type {kind!r}")
        for text in texts:
            value = text.get("text", "")
            if not 1 <= _width(value) <= _MAX_TEXT:
                problems.append(f"block {number}: text of {_width(value)} characters")
    return problems


def model_problems(block: dict[str, Any]) -> list[str]:
    """What slack_sdk's Block Kit models find wrong with `block` (or a view)."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block
    from slack_sdk.models.views import View

    try:
        model = View(**block) if block.get("type") == "home" else Block.parse(block)
        if model is None:
            return [f"not a block: {block.get('type')!r}"]
        model.validate_json()
        for element in getattr(model, "elements", None) or []:
            element.validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as error:
        return [f"{type(error).__name__}: {error}"]
    # A model drops what it doesn't know: the block must survive the round trip.
    if model.to_dict() != block:
        return [f"changed by parsing: {model.to_dict()} != {block}"]
    return []


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack signs a request with: v0 HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


def _width(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
