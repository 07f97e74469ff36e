"""The Slack adapter: `/case`, mentions and direct messages in, the desk's replies out.

A thin translation layer over slack-bolt's AsyncApp. Everything casebot says comes from
`Desk.handle` and is drawn by `bot.slack.blocks`; this module only decides where a reply
goes and who may see it:

* `/case …` is acknowledged at once (Slack allows 3 seconds), then answered through the
  command's response_url, to the channel ("in_channel") or only to the caller
  ("ephemeral"), as `Reply.public` says.
* A mention is answered in the thread of the mention, a direct message in the DM. Private
  replies to a mention are ephemeral, to the person who mentioned casebot.
* Messages from bots (casebot included), edits, deletions and other non-person messages
  are ignored, and no message is answered twice.

It connects in Socket Mode when SLACK_APP_TOKEN is set, else serves Slack's HTTP events at
CASEBOT_HOST:CASEBOT_PORT/slack/events, checking every request's signature.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import PostFailed
from bot.caller import Caller, Reply, apology, new_request_id
from bot.desk import Desk, handle_safely
from bot.ops.logs import request_scope
from bot.choices import CHOICE_SECONDS
from bot.replicas import shared as replicas
from bot.replicas.shared import first_time
from bot.render.pages import read_page
from bot.slack import add_buttons, choose
from bot.slack.add_buttons import with_add_buttons
from bot.slack.blocks import (
    REASON_ACTION,
    SOURCES_PAGE_ACTION,
    VOTE_ACTION,
    SlackMessage,
    render_slack,
    render_thanks,
)
from bot.settings import Settings
from bot.slack.home import home_view
from retrieval.errors import StartError
from retrieval.model import Answer

logger = logging.getLogger(__name__)


class _DropTokenUnused(logging.Filter):
    """Drops bolt's "`token` will be unused" warning, which is no news to an operator.

    bolt reads SLACK_BOT_TOKEN from the environment (casebot's setting has that name) even
    when given a client, and then warns that it won't use it; the client it is given
    carries that same token.
    """

    _MESSAGE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._MESSAGE


logging.getLogger("slack_bolt.AsyncApp").addFilter(_DropTokenUnused())

PLATFORM = "slack"
# Where Slack sends slash commands and events in HTTP mode: bolt's default path.
EVENTS_PATH = "/slack/events"

# Message subtypes that are a person writing; every other subtype (message_changed,
# message_deleted, channel_join, bot_message, …) is not a question.
_PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
# How many recent messages to remember, to answer each once even when Slack redelivers it.
_SEEN_MESSAGES = 2000
# How many people's Home tabs to redraw after a reload (the latest to open it).
_HOME_VIEWERS = 1000
# How long a shutdown waits for answers already being written.
_DRAIN_SECONDS = 10.0
# How long `start_slack` waits for the Socket Mode connection.
_CONNECT_SECONDS = 30.0
_POST_TIMEOUT = aiohttp.ClientTimeout(total=15)
# HTTP mode: an idle connection (or one still trickling in its headers) is closed after
# this long, as slack-bolt's own server does; aiohttp's default holds it for an hour.
_KEEPALIVE_SECONDS = 75.0
# ...and a request's body must have arrived this long after its headers.
_READ_SECONDS = 10.0
_LINGER_SECONDS = 1.0
# Slack's rule: a request signed longer ago than this is a replay.
_MAX_SIGNATURE_AGE = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

# What Slack answers when casebot can no longer post in a channel at all: a following
# channel that keeps answering this is dropped (bot/alerts.py).
_GONE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})

_USER_MENTION = r"<@{user}(?:\|[^>]*)?>"
_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


class SlackStartError(StartError):
    """Slack could not be served: a setting is missing, or Slack refused the tokens."""


class SlackAdapter:
    """casebot in one Slack workspace. Create with `await start_slack(desk, settings)`.

    Attributes:
        app: the slack-bolt app (its listeners are registered here).
        mode: "socket" or "http".
        port: in HTTP mode, the port actually listened on (useful with CASEBOT_PORT=0).
        platform: "slack", as /healthz names it.
    """

    platform = PLATFORM

    def __init__(self, desk: Desk, settings: Settings) -> None:
        if settings.slack_bot_token is None:
            raise SlackStartError("SLACK_BOT_TOKEN is not set.")
        if settings.slack_app_token is None and settings.slack_signing_secret is None:
            raise SlackStartError(
                "Set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events)."
            )
        self._desk = desk
        self._settings = settings
        # The only place that decides who is an admin; the desk does the gating.
        self._admins = frozenset(settings.slack_admin_ids)
        self.mode: Literal["socket", "http"] = (
            "socket" if settings.slack_app_token is not None else "http"
        )
        self.port: int | None = None
        self._client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
        )
        secret = settings.slack_signing_secret
        self.app = AsyncApp(
            client=self._client,
            # Never None: bolt would read SLACK_SIGNING_SECRET from the environment instead.
            signing_secret=secret.get_secret_value() if secret is not None else "",
            name="casebot",
        )
        self._signing_key = secret.get_secret_value().encode() if secret is not None else b""
        self._bot_user_id: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        # "Which case?" asked in reply to a message (not a slash command): the thread its
        # answer goes to once a case is chosen, by the choice's token.
        self._choosing: OrderedDict[str, str | None] = OrderedDict()
        # Who opened the Home tab lately, newest last: their tab is redrawn after a reload.
        self._home_viewers: OrderedDict[str, None] = OrderedDict()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._closed = False
        self._register()

    async def start(self) -> None:
        """Check the bot token, then connect (Socket Mode) or start listening (HTTP).

        Raises:
            SlackStartError: Slack refused a token or could not be reached.
        """
        self._http = aiohttp.ClientSession(timeout=_POST_TIMEOUT)
        auth = await self._call_for_start("auth.test", self._client.auth_test(), "SLACK_BOT_TOKEN")
        self._bot_user_id = auth.get("user_id")
        if self.mode == "socket":
            await self._start_socket_mode()
        else:
            await self._start_http()

    async def close(self) -> None:
        """Stop taking requests, let answers in progress finish, and release everything."""
        if self._closed:
            return
        self._closed = True
        self._desk.alerts.detach(self)
        if self.home_outdated in self._desk.reload_listeners:
            self._desk.reload_listeners.remove(self.home_outdated)
        if self._socket is not None:
            # Requests already taken are acknowledged to Slack after their listener returns,
            # in tasks slack_sdk does not keep (process_message's ensure_future): let those
            # finish before the socket closes, or the acknowledgement of a command answered
            # a moment ago fails on the closing connection.
            acknowledging = [
                task
                for task in asyncio.all_tasks()
                if getattr(task.get_coro(), "__qualname__", "").endswith("run_message_listeners")
            ]
            if acknowledging:
                await asyncio.wait(acknowledging, timeout=_DRAIN_SECONDS)
            await self._socket.close_async()
            # close_async cancels the client's tasks without waiting for them.
            client = self._socket.client
            futures = [
                f
                for f in (client.message_processor, client.current_session_monitor,
                          client.message_receiver)
                if f is not None
            ]  # fmt: skip
            await asyncio.gather(*futures, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        # Let listeners that were just acknowledged hand their work over.
        for _ in range(3):
            await asyncio.sleep(0)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=_DRAIN_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                # As the Discord adapter does: the operator learns answers were lost.
                logger.warning("gave up on %d Slack answer(s) still running", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def is_connected(self) -> bool:
        """Whether Slack can reach casebot now (for /healthz).

        Socket Mode: the SDK's own check of the connection (open, not stale, pings
        answered); a coroutine there, hence a method, not a property. HTTP mode: the server
        is listening.
        """
        if self._closed:
            return False
        if self.mode == "socket":
            return self._socket is not None and await self._socket.client.is_connected()
        return self._runner is not None and self.port is not None

    # --- connecting --------------------------------------------------------------------

    async def _start_http(self) -> None:
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._on_http_request)
        self._runner = web.AppRunner(
            web_app, access_log=None, shutdown_timeout=5.0, keepalive_timeout=_KEEPALIVE_SECONDS,
            # After a refused trickle, aiohttp reads on for this long (default 10 s) before
            # it closes the connection.
            lingering_time=_LINGER_SECONDS,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.host, self._settings.port)
        try:
            await site.start()
        except OSError as error:
            raise SlackStartError(
                f"Could not listen on {self._settings.host}:{self._settings.port} for Slack's "
                f"HTTP events ({error.strerror or error}): check CASEBOT_HOST and CASEBOT_PORT."
            ) from None
        self.port = self._runner.addresses[0][1]
        logger.info(
            "Slack: HTTP events mode, listening on %s:%s%s",
            self._settings.host, self.port, EVENTS_PATH,
        )  # fmt: skip

    async def _start_socket_mode(self) -> None:
        assert self._settings.slack_app_token is not None
        app_token = self._settings.slack_app_token.get_secret_value()
        # Socket Mode asks for its WebSocket URL through the same client, so SLACK_API_URL
        # applies to it too.
        self._socket = AsyncSocketModeHandler(
            self.app, app_token=app_token, web_client=self._client
        )
        # Ask for the WebSocket URL ourselves first: a bad app token then fails the start
        # with a clear message, where the SDK would retry forever.
        opened = await self._call_for_start(
            "apps.connections.open",
            self._client.apps_connections_open(app_token=app_token),
            "SLACK_APP_TOKEN",
        )
        self._socket.client.wss_uri = opened["url"]
        try:
            await asyncio.wait_for(self._socket.connect_async(), timeout=_CONNECT_SECONDS)
        except TimeoutError as error:
            raise SlackStartError(
                f"Could not open the Socket Mode connection within {_CONNECT_SECONDS:.0f} s."
            ) from error
        logger.info("Slack: connected in Socket Mode")

    async def _call_for_start(
        self, method: str, call: Coroutine[Any, Any, Any], setting: str
    ) -> Any:
        try:
            return await call
        except SlackApiError as error:
            raise SlackStartError(
                f"Slack refused {method} ({error.response.get('error')}): check {setting}."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SlackStartError(
                f"Could not reach the Slack Web API at {self._settings.slack_api_url} "
                f"({type(error).__name__})."
            ) from None

    async def _on_http_request(self, request: web.Request) -> web.StreamResponse:
        """One request to /slack/events: the signature checked on the raw body, then bolt.

        bolt's own server parses the body first (a malformed one was a 500 and a
        traceback) and logs every refused request with its body at INFO (31 MB of log from
        one client, with forged lines and late requests' text and response_url). Here a
        refusal is one short line with the reason, and nothing unsigned reaches bolt.
        """
        try:
            async with asyncio.timeout(_READ_SECONDS):
                body = await request.read()
        except TimeoutError:
            logger.warning("Slack: refused an HTTP request: its body took over %g s", _READ_SECONDS)
            response = web.Response(status=408)
            response.force_close()  # not kept alive
            return response
        reason = self._refusal(request, body)
        if reason is not None:
            logger.warning("Slack: refused an HTTP request: %s", reason)
            return web.Response(status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"), query=request.query_string, headers=request.headers
            )
        except Exception as error:  # noqa: BLE001 - any malformed body is the sender's fault
            logger.warning(
                "Slack: a signed HTTP request had a malformed body (%s)", type(error).__name__
            )
            return web.Response(status=400)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def _refusal(self, request: web.Request, body: bytes) -> str | None:
        """Why a request is not from Slack (or no longer), or None if it is signed and fresh."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not _TIMESTAMP.fullmatch(timestamp):
            return "no valid X-Slack-Request-Timestamp"
        if abs(time.time() - int(timestamp)) > _MAX_SIGNATURE_AGE:
            return "its timestamp is more than 5 minutes off (a replay, or a wrong clock)"
        # Slack signs the bytes it sends, whatever they are: checked as bytes, a signed body
        # that is not UTF-8 is found malformed later, not mistaken for a forgery.
        signed = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._signing_key, signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode(errors="replace")):
            return "bad signature"
        return None

    # --- listeners ---------------------------------------------------------------------

    def _register(self) -> None:
        # Any command name: the workspace may have installed casebot's command under
        # another name (e.g. /case-dev next to a production /case).
        self.app.command(re.compile(r"^/"))(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        # 👍/👎 under answers and the "Wrong source?" choices (bot/feedback.py).
        self.app.action(re.compile(f"^({VOTE_ACTION}|{REASON_ACTION})"))(self._on_feedback)
        # ‹ Previous and Next › under a long source listing (bot/slack/blocks.py).
        self.app.action(re.compile(f"^{SOURCES_PAGE_ACTION}"))(self._on_sources_page)
        # The Home tab: status, sources and how to ask (bot/slack/home.py).
        self.app.event("app_home_opened")(self._on_home_opened)
        # The Add and Cancel buttons under an `add` preview (bot/slack/add_buttons.py).
        self.app.action(add_buttons.ACTIONS)(self._on_add_button)
        # The buttons or menu under "Which case do you mean?" (bot/slack/choose.py).
        self.app.action(choose.ACTIONS)(self._on_case_choice)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        # Acknowledge first, within Slack's 3 seconds; the answer follows by response_url.
        await ack()
        # A signed command can be replayed for 5 minutes: answer each trigger once.
        trigger = body.get("trigger_id")
        if not trigger or await self._first_time(("command", str(trigger))):
            self._spawn(self._answer_command(body))

    async def _on_feedback(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        # Like a command, a click can arrive again: recorded and thanked once.
        trigger = body.get("trigger_id")
        if not trigger or await self._first_time(("action", str(trigger))):
            self._spawn(self._answer_feedback(body))

    async def _on_sources_page(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        trigger = body.get("trigger_id")
        if not trigger or await self._first_time(("action", str(trigger))):
            self._spawn(self._answer_sources_page(body))

    async def _answer_sources_page(self, body: dict[str, Any]) -> None:
        """Another page of a source listing, for the person who clicked only.

        Drawn from the corpus served now, like `/case sources`. Paging a listing in a
        channel opens a private copy at that page; paging the private copy replaces it.
        """
        user_id = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        actions = body.get("actions") or [{}]
        page, case = read_page(actions[0].get("value") if isinstance(actions[0], dict) else None)
        reply = await handle_safely(
            self._desk, "sources", self._caller(user_id, channel),
            what=f"a Slack sources page from user {self._desk.pseudonym(PLATFORM, user_id)}",
            log=logger, case=case,
        )  # fmt: skip
        payload = {
            **render_slack(reply.answer, page=page).to_dict(),
            "response_type": "ephemeral",
            "replace_original": bool((body.get("container") or {}).get("is_ephemeral")),
        }
        await self._post_to_response_url(body.get("response_url"), payload)

    async def _on_case_choice(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        # Like a command, a click can arrive again: answered once.
        trigger = body.get("trigger_id")
        if not trigger or await self._first_time(("action", str(trigger))):
            self._spawn(self._answer_case_choice(body))

    async def _on_add_button(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()  # within Slack's 3 seconds; writing and reloading come after
        self._spawn(self._answer_add_button(body))

    async def _on_home_opened(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        user = event.get("user")
        # The event comes for the Messages tab too; only the Home tab is drawn.
        if event.get("tab") != "home" or not isinstance(user, str) or not user:
            return
        self._home_viewers[user] = None
        self._home_viewers.move_to_end(user)
        if len(self._home_viewers) > _HOME_VIEWERS:
            self._home_viewers.popitem(last=False)
        self._spawn(self._publish_home([user]))

    def home_outdated(self, index: object) -> None:
        """After a reload (`Desk.reload_listeners`): redraw the Home tab of those who
        opened it lately."""
        if self._home_viewers and not self._closed:
            self._spawn(self._publish_home(list(self._home_viewers)))

    async def _publish_home(self, users: list[str]) -> None:
        """Publish the Home tab, drawn from the index served now, to each of `users`."""
        try:
            view = home_view(self._desk.docket, max_quotes=self._settings.max_quotes)
        except Exception:
            logger.exception("Slack: could not draw the Home tab")
            return
        for user in users:
            try:
                await self._client.views_publish(user_id=user, view=view)
            except SlackApiError as error:
                logger.error("Slack: views.publish failed: %s", error.response.get("error"))
            except (aiohttp.ClientError, TimeoutError) as error:
                logger.error("Slack: views.publish failed: %s", type(error).__name__)

    async def _on_mention(self, body: dict[str, Any], context: Any) -> None:
        event = body.get("event", {})
        # A mention in a DM also arrives as a message event: that one answers it.
        if str(event.get("channel", "")).startswith("D"):
            return
        if not await self._is_new_question(event):
            return
        self._spawn(self._answer_event(event, context.get("bot_user_id"), in_dm=False))

    async def _on_message(self, body: dict[str, Any], context: Any) -> None:
        event = body.get("event", {})
        if event.get("channel_type") != "im" or not await self._is_new_question(event):
            return
        self._spawn(self._answer_event(event, context.get("bot_user_id"), in_dm=True))

    async def _is_new_question(self, event: dict[str, Any]) -> bool:
        """Whether `event` is a person's message that has not been answered yet."""
        if event.get("bot_id") or event.get("subtype") not in _PERSON_SUBTYPES:
            return False
        user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
        if not user or not channel or not ts or user == self._bot_user_id:
            return False
        # Slack redelivers an event it thinks was not acknowledged in time.
        return await self._first_time((str(channel), str(ts)))

    async def _first_time(self, key: tuple[str, str]) -> bool:
        """Whether `key` (a message, or a command's trigger) is seen for the first time, by
        this replica and, when replicas share a database, by any (a redelivery may reach
        another replica behind the load balancer)."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _SEEN_MESSAGES:
            self._seen.popitem(last=False)
        return await first_time(self._desk.shared, key)

    def _caller(self, user_id: str, channel_id: str, thread_id: str | None = None) -> Caller:
        return Caller(
            platform=PLATFORM,
            user_id=user_id,
            is_admin=user_id in self._admins,
            channel_id=channel_id or None,
            thread_id=thread_id,
            # A DM with casebot (Slack's DM channel ids start with D).
            private=channel_id.startswith("D"),
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- answering ---------------------------------------------------------------------

    async def _answer_command(self, body: dict[str, Any]) -> None:
        user_id = str(body.get("user_id", ""))
        reply = await handle_safely(
            self._desk,
            _unescape(str(body.get("text", ""))),
            self._caller(user_id, str(body.get("channel_id", ""))),
            what=f"a Slack slash command from user {self._desk.pseudonym(PLATFORM, user_id)}",
            log=logger,
        )
        await self._post_to_response_url(body.get("response_url"), _payload(reply))

    async def _answer_feedback(self, body: dict[str, Any]) -> None:
        """Record a click on a feedback button; thank the clicker privately.

        The button's value holds the answer's id and the vote, so a button posted before
        a restart works the same. The thanks goes through the response_url: ephemeral, and
        the answer itself is left as it is.
        """
        user_id = str((body.get("user") or {}).get("id", ""))
        actions = body.get("actions") or [{}]
        value = actions[0].get("value") if isinstance(actions[0], dict) else None
        channel = str((body.get("channel") or {}).get("id", ""))
        thanks = await self._desk.vote(self._caller(user_id, channel), str(value or ""))
        payload = {
            **render_thanks(thanks).to_dict(),
            "response_type": "ephemeral",
            "replace_original": False,
        }
        await self._post_to_response_url(body.get("response_url"), payload)

    async def _answer_case_choice(self, body: dict[str, Any]) -> None:
        """A case chosen for a question that was asked which case it meant: the "Which
        case?" message says what was chosen, and the answer goes where the question was
        asked (a slash command's channel, or the thread of a mention or DM)."""
        user_id = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        value = choose.chosen(body)
        caller = self._caller(user_id, channel)
        try:
            reply = await self._desk.choose(caller, value)
        except Exception:
            request_id = new_request_id()
            with request_scope(request_id):
                logger.exception(
                    "request %s failed: a case chosen by user %s",
                    request_id, self._desk.pseudonym(PLATFORM, user_id),
                )  # fmt: skip
            reply = Reply(answer=apology(request_id), public=False)
        url = body.get("response_url")
        if reply.answer.kind in ("refused", "limited", "error") and not reply.answer.quotes:
            # Not answered (not theirs, expired, limited): said to them alone, menu kept.
            await self._post_to_response_url(url, {**_payload(reply), "replace_original": False})
            return
        token = value.split(":")[1] if value.count(":") == 2 else ""
        if reply.answer.case:
            note = f"You chose {reply.answer.case}."
            await self._post_to_response_url(url, {"text": note, "replace_original": True})
        asked_in = await self._thread_of_choice(token)
        if asked_in is not None:
            # Asked by a mention or in a DM: answered in its thread.
            thread_ts = asked_in[0]
            await self._post(
                _message(reply), channel=channel, thread_ts=thread_ts,
                only_to=None if reply.public or channel.startswith("D") else user_id,
            )  # fmt: skip
        else:
            await self._post_to_response_url(url, {**_payload(reply), "replace_original": False})

    async def _thread_of_choice(self, token: str) -> tuple[str | None] | None:
        """(the thread) where the question a choice answers was asked by a mention or in a
        DM, on this replica or (replicas) another; None for a slash command's."""
        kept = await replicas.take(self._desk.shared, "slack-thread", token)
        if token in self._choosing:
            return (self._choosing.pop(token),)
        return (json.loads(kept),) if kept is not None else None

    async def _answer_add_button(self, body: dict[str, Any]) -> None:
        """Add or Cancel under an `add` preview: the preview is replaced by the outcome."""
        user_id = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        token, accept = add_buttons.pressed(body)
        try:
            answer = await self._desk.intake.confirm(
                self._caller(user_id, channel), token, accept=accept
            )
        except Exception:
            request_id = new_request_id()
            with request_scope(request_id):
                logger.exception(
                    "request %s failed: an add button from user %s",
                    request_id, self._desk.pseudonym(PLATFORM, user_id),
                )  # fmt: skip
            answer = apology(request_id)
        await self._post_to_response_url(
            body.get("response_url"), add_buttons.outcome_payload(answer)
        )

    async def _answer_event(
        self, event: dict[str, Any], bot_user_id: str | None, *, in_dm: bool
    ) -> None:
        user_id, channel = str(event["user"]), str(event["channel"])
        text = _strip_mentions(str(event.get("text") or ""), bot_user_id or self._bot_user_id)
        # A mention is answered in its thread (one it starts, or the one it is in): that
        # thread's follow-ups are read with its previous question (bot/threads.py).
        thread = None if in_dm else f"{channel}:{event.get('thread_ts') or event.get('ts')}"
        reply = await handle_safely(
            self._desk,
            _unescape(text),
            self._caller(user_id, channel, thread),
            what=f"a Slack message from user {self._desk.pseudonym(PLATFORM, user_id)}",
            log=logger,
        )
        # A DM is private already; keep its top-level messages out of threads.
        thread_ts = event.get("thread_ts") if in_dm else event.get("thread_ts") or event.get("ts")
        if reply.choice is not None:
            # Its answer, once a case is chosen, goes to this thread too.
            self._choosing[reply.choice.token] = thread_ts
            while len(self._choosing) > _SEEN_MESSAGES:
                self._choosing.popitem(last=False)
            # Replicas: the choice may be clicked on another one.
            await replicas.keep(
                self._desk.shared, "slack-thread", reply.choice.token, json.dumps(thread_ts),
                ttl=CHOICE_SECONDS,
            )  # fmt: skip
        await self._post(
            _message(reply),
            channel=channel,
            thread_ts=thread_ts,
            only_to=None if reply.public or in_dm else user_id,
        )

    async def _post(
        self,
        message: SlackMessage,
        *,
        channel: str,
        thread_ts: str | None,
        only_to: str | None = None,
    ) -> None:
        """Post `message` to `channel` (in a thread if given); ephemeral when `only_to` is set."""
        method = "chat.postMessage" if only_to is None else "chat.postEphemeral"
        try:
            if only_to is None:
                await self._client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                    **message.to_dict(),
                )
            else:
                await self._client.chat_postEphemeral(
                    channel=channel, user=only_to, thread_ts=thread_ts, **message.to_dict()
                )
        except SlackApiError as error:
            logger.error(
                "Slack: %s to channel %s failed: %s",
                method, channel, error.response.get("error"),
            )  # fmt: skip
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error(
                "Slack: %s to channel %s failed: %s", method, channel, type(error).__name__
            )

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        """Post an alert to a channel that follows the case (bot.alerts.Poster).

        The renderer escapes everything from outside casebot, so nothing in it can ping.

        Raises:
            PostFailed: Slack refused it (gone: casebot can't post in that channel at all).
        """
        try:
            await self._client.chat_postMessage(
                channel=channel_id,
                unfurl_links=False,
                unfurl_media=False,
                **render_slack(answer).to_dict(),
            )
        except SlackApiError as error:
            code = str(error.response.get("error"))
            wait = error.response.headers.get("Retry-After") if code == "ratelimited" else None
            raise PostFailed(
                code,
                gone=code in _GONE_ERRORS,
                retry_after=float(wait) if wait and str(wait).isdigit() else None,
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PostFailed(type(error).__name__, gone=False) from None

    async def _post_to_response_url(self, url: object, payload: dict[str, Any]) -> None:
        # The response_url itself stays out of the logs: anyone holding it can post as
        # casebot in that channel for half an hour.
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            logger.error("Slack: a slash command came without a usable response_url")
            return
        assert self._http is not None
        try:
            async with self._http.post(url, json=payload) as response:
                if response.status != 200:
                    detail = (await response.text())[:200]
                    logger.error(
                        "Slack: the response_url refused the answer (HTTP %s: %s)",
                        response.status, detail,
                    )  # fmt: skip
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error("Slack: posting to the response_url failed: %s", type(error).__name__)


async def start_slack(desk: Desk, settings: Settings) -> SlackAdapter:
    """Serve `desk` on Slack: Socket Mode if SLACK_APP_TOKEN is set, else HTTP events.

    Returns once connected (Socket Mode) or listening (HTTP). Close with `await
    adapter.close()`; the desk stays open (it belongs to the caller).

    Raises:
        SlackStartError: settings are missing, Slack refused a token, or Slack could not be
            reached.
    """
    adapter = SlackAdapter(desk, settings)
    try:
        await adapter.start()
    except BaseException:
        await adapter.close()
        raise
    # Connected: alerts for Slack channels that follow the case go out through it.
    desk.alerts.attach(adapter)
    desk.reload_listeners.append(adapter.home_outdated)
    return adapter


def _message(reply: Reply) -> SlackMessage:
    """A reply as a Slack message, with whatever buttons it carries: 👍/👎, Add and Cancel,
    or the choice of case."""
    rendered = render_slack(reply.answer, feedback_id=reply.feedback_id)
    return choose.with_case_choice(with_add_buttons(rendered, reply.confirm_token), reply.choice)


def _payload(reply: Reply) -> dict[str, Any]:
    """A reply as a response_url payload: to the channel when public, else to the asker."""
    return {
        **_message(reply).to_dict(),
        "response_type": "in_channel" if reply.public else "ephemeral",
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _strip_mentions(text: str, bot_user_id: str | None) -> str:
    """The text without casebot's own mentions (without a leading mention if its id is unknown)."""
    if bot_user_id:
        return re.sub(_USER_MENTION.format(user=re.escape(bot_user_id)), " ", text).strip()
    return _LEADING_MENTION.sub(" ", text, count=1).strip()


def _unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > in message text, so the desk sees what was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
