"""A fake Discord on 127.0.0.1: the REST API and the gateway, enough for discord.py's client.

Tests (and a load test) point casebot at it with DISCORD_API_URL = `fake.api_url` and
DISCORD_GATEWAY_URL = `fake.gateway_url`, then drive the bot by dispatching gateway events
and assert on the REST requests it makes, all of which are recorded.

The gateway speaks the real protocol: HELLO (op 10) with a heartbeat interval, IDENTIFY
(op 2), heartbeat ACKs (op 11), READY then GUILD_CREATE, RESUME → RESUMED, then whatever
dispatches the test sends, compressed the way the client asked in the query string
(`compress=zlib-stream`: one zlib stream per connection, each message ending in a
Z_SYNC_FLUSH, as Discord does). Connection trouble on demand: `request_reconnect` (op 7),
`invalidate_session` (op 9) and `drop_connections` (a close with a given code); the
bot's RESUMEs and IDENTIFYs can be counted and waited for (`wait_gateway_op`).

Permissions are computed the way Discord does (guild owner, @everyone and member roles,
Administrator, then channel overwrites for @everyone, roles and the member; a thread
uses its parent's), both for the `member.permissions` of interactions and to refuse the
bot's own requests (403, code 50013) where its permissions fall short.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

# --- permission bits (https://discord.com/developers/docs/topics/permissions) ----------
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
# What @everyone gets in a new server, roughly: read, write, use commands, mention.
MEMBER_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS | MENTION_EVERYONE
)  # fmt: skip
# The permissions the README ("Connect to Discord") asks for when inviting the bot.
BOT_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
    | READ_MESSAGE_HISTORY | EMBED_LINKS
)  # fmt: skip

GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
EPHEMERAL = 1 << 6

HEARTBEAT_INTERVAL_MS = 41_250
_SNOWFLAKES = itertools.count(1_330_000_000_000_000_000)


def snowflake() -> int:
    """A new, unique id (Discord ids are 64-bit integers, sent as strings)."""
    return next(_SNOWFLAKES)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


# --- the fake's world ------------------------------------------------------------------


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int

    def payload(self, position: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    """A guild text channel or a public thread (then `parent_id` is set)."""

    id: int
    name: str
    guild_id: int
    type: int = GUILD_TEXT
    parent_id: int | None = None
    # Overwrites as Discord sends them: {"id", "type" (0 role, 1 member), "allow", "deny"}.
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    owner_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "guild_id": str(self.guild_id),
            "position": 0,
            "permission_overwrites": self.overwrites,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "topic": None,
            "flags": 0,
        }
        if self.type == PUBLIC_THREAD:
            data.update(
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id or 0),
                message_count=0,
                member_count=1,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": _now(),
                    "locked": False,
                    "create_timestamp": _now(),
                },
            )
        return data


@dataclass
class FakeMember:
    user: dict[str, Any]
    roles: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(role) for role in self.roles],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
        }
        if with_user:
            data["user"] = self.user
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)

    @property
    def everyone(self) -> FakeRole:
        # Discord's @everyone role has the guild's id.
        return self.roles[self.id]

    def add_role(self, name: str, permissions: int) -> FakeRole:
        role = FakeRole(id=snowflake(), name=name, permissions=permissions)
        self.roles[role.id] = role
        return role

    def add_channel(
        self, name: str, *, overwrites: list[dict[str, Any]] | None = None
    ) -> FakeChannel:
        channel = FakeChannel(
            id=snowflake(), name=name, guild_id=self.id, overwrites=overwrites or []
        )
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self, parent: FakeChannel, name: str, owner_id: int, *, thread_id: int | None = None
    ) -> FakeChannel:
        thread = FakeChannel(
            id=thread_id or snowflake(),
            name=name,
            guild_id=self.id,
            type=PUBLIC_THREAD,
            parent_id=parent.id,
            owner_id=owner_id,
        )
        self.channels[thread.id] = thread
        return thread

    def add_member(self, user: dict[str, Any], roles: Iterable[FakeRole] = ()) -> FakeMember:
        member = FakeMember(user=user, roles=[role.id for role in roles])
        self.members[member.id] = member
        return member

    def permissions(self, user_id: int, channel_id: int | None = None) -> int:
        """The member's permissions in the channel, computed as Discord does."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members[user_id]
        allowed = self.everyone.permissions
        for role_id in member.roles:
            allowed |= self.roles[role_id].permissions
        if allowed & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None:
            return allowed
        channel = self.channels[channel_id]
        if channel.parent_id is not None:
            channel = self.channels[channel.parent_id]
        by_id = {int(o["id"]): o for o in channel.overwrites}
        if (everyone := by_id.get(self.id)) is not None:
            allowed = (allowed & ~int(everyone["deny"])) | int(everyone["allow"])
        deny = allow = 0
        for role_id in member.roles:
            if (overwrite := by_id.get(role_id)) is not None:
                deny |= int(overwrite["deny"])
                allow |= int(overwrite["allow"])
        allowed = (allowed & ~deny) | allow
        if (own := by_id.get(user_id)) is not None:
            allowed = (allowed & ~int(own["deny"])) | int(own["allow"])
        return allowed

    def payload(self) -> dict[str, Any]:
        text_channels = [c for c in self.channels.values() if c.type != PUBLIC_THREAD]
        threads = [c for c in self.channels.values() if c.type == PUBLIC_THREAD]
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "features": [],
            "roles": [role.payload(i) for i, role in enumerate(self.roles.values())],
            "channels": [channel.payload() for channel in text_channels],
            "threads": [thread.payload() for thread in threads],
            "members": [member.payload() for member in self.members.values()],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "joined_at": _now(),
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One REST request the bot made: method, path after the API base, query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None

    def matches(self, method: str, pattern: str) -> bool:
        """Whether the method matches `method` and the path `pattern` (both regexes)."""
        return bool(re.fullmatch(method, self.method) and re.fullmatch(pattern, self.path))


# --- the server ------------------------------------------------------------------------


class FakeDiscord:
    """A fake Discord: `await start()`, point the bot at `api_url`/`gateway_url`, `await close()`.

    Args:
        token: the only bot token accepted (others get 401, as from Discord).
    """

    API_PREFIX = "/api/v10"

    def __init__(self, *, token: str = "fake-bot-token") -> None:
        self.token = token
        self.bot_id = snowflake()
        self.application_id = self.bot_id  # as for every bot made in the Developer Portal
        self.bot_user = user_payload(self.bot_id, "casebot", bot=True)
        self.owner_user = user_payload(snowflake(), "app-owner")
        # Set to a list of (user, role) to make the application owned by a team instead;
        # role is "admin", "developer" or "read_only", as Discord has them.
        self.team: list[tuple[dict[str, Any], str]] | None = None
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, dict[str, Any]] = {}  # channel id -> recipient user
        self.requests: list[RecordedRequest] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.messages: dict[int, dict[str, Any]] = {}
        self._originals: dict[str, dict[str, Any]] = {}  # interaction token -> message
        self._sockets: list[_GatewayConnection] = []
        self.identified_shards: list[tuple[int, int] | None] = []  # per IDENTIFY, in order
        self._sequence = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- life cycle ---

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", self.API_PREFIX + "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for connection in list(self._sockets):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- building the world ---

    def add_guild(self, name: str = "Test server", *, guild_id: int | None = None) -> FakeGuild:
        """A guild with @everyone (member permissions), an owner, the bot and #general."""
        guild_id = snowflake() if guild_id is None else guild_id
        guild = FakeGuild(id=guild_id, name=name, owner_id=int(self.owner_user["id"]))
        guild.roles[guild_id] = FakeRole(guild_id, "@everyone", MEMBER_PERMISSIONS)
        bot_role = guild.add_role("casebot", BOT_PERMISSIONS)
        guild.add_member(self.bot_user, [bot_role])
        guild.add_member(self.owner_user)
        self.guilds[guild_id] = guild
        return guild

    def add_dm(self, user: dict[str, Any]) -> int:
        channel_id = snowflake()
        self.dm_channels[channel_id] = user
        return channel_id

    # --- waiting on what the bot does ---

    async def wait_for_request(
        self,
        method: str,
        pattern: str,
        where: Callable[[RecordedRequest], bool] = lambda _: True,
        *,
        timeout: float = 10.0,
    ) -> RecordedRequest:
        """The first recorded request with `method`, a path matching `pattern`, and `where`."""

        def find() -> RecordedRequest | None:
            for request in self.requests:
                if request.matches(method, pattern) and where(request):
                    return request
            return None

        async with self._changed:
            found = await asyncio.wait_for(self._changed.wait_for(find), timeout)
        assert found is not None
        return found

    def requests_to(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.matches(method, pattern)]

    async def wait_identified(self, *, timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(
                    lambda: any(m.get("op") == 2 for m in self.gateway_received)
                ),
                timeout,
            )

    def gateway_ops(self, op: int) -> int:
        """How many gateway messages with opcode `op` the bot has sent (2 IDENTIFY, 6 RESUME)."""
        return sum(1 for message in self.gateway_received if message.get("op") == op)

    async def wait_gateway_op(self, op: int, count: int, *, timeout: float = 15.0) -> None:
        """Wait until the bot has sent `count` gateway messages with opcode `op`."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.gateway_ops(op) >= count), timeout
            )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- connection trouble ---

    async def request_reconnect(self) -> None:
        """Send RECONNECT (op 7) on every connection, as Discord does before moving a bot."""
        for connection in list(self._sockets):
            await connection.send({"op": 7, "d": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION (op 9): the bot must identify again unless `resumable`."""
        for connection in list(self._sockets):
            await connection.send({"op": 9, "d": resumable})

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection from Discord's end with `code`.

        4000 ("unknown error") and most 4xxx codes let a bot resume; 4004 (authentication
        failed) and 4010-4014 do not.
        """
        for connection in list(self._sockets):
            await connection.ws.close(code=code, message=b"fake Discord: connection dropped")

    # --- driving the bot ---

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway dispatch (op 0) to every connected client whose shard carries it
        (Discord's rule: a guild's events go to shard (guild_id >> 22) % shard_count; DMs
        to shard 0)."""
        guild_id = data.get("guild_id")
        for connection in list(self._sockets):
            if connection.carries(int(guild_id) if guild_id else None):
                await connection.send({"op": 0, "t": event, "s": self._next_sequence(), "d": data})

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    async def slash_command(
        self,
        user: dict[str, Any],
        subcommand: str,
        options: dict[str, str] | None = None,
        *,
        guild: FakeGuild | None = None,
        channel_id: int | None = None,
        raw_options: list[dict[str, Any]] | None = None,
        command: str = "case",
        kind: int = 2,
    ) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE for `/case <subcommand>` (or `/<command> …`);
        returns the payload. `kind`: the interaction's type (2, a command; 4, the
        suggestions for an option being typed).

        In a guild, `member.permissions` is what Discord would compute for the member in
        that channel; outside one (a DM) there is a `user` and no member. `raw_options`,
        if given, is sent as the command's options instead (e.g. [] for no subcommand, as
        a stale registration can produce).
        """
        interaction_id = snowflake()
        sub: dict[str, Any] = {"type": 1, "name": subcommand}
        if options:
            sub["options"] = [{"type": 3, "name": k, "value": v} for k, v in options.items()]
        synced = self.commands.get(guild.id if guild else None) or self.commands.get(None) or []
        command_id = next((c["id"] for c in synced if c["name"] == command), str(snowflake()))
        data: dict[str, Any] = {
            "id": command_id, "name": command, "type": 1,
            "options": [sub] if raw_options is None else raw_options,
        }  # fmt: skip
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": f"interaction-token-{interaction_id}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None and guild.id in self.commands:
            data["guild_id"] = str(guild.id)
        payload.update(self._where(user, guild, channel_id))
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click_button(
        self,
        user: dict[str, Any],
        custom_id: str,
        *,
        guild: FakeGuild | None = None,
        channel_id: int | None = None,
        components: list[dict[str, Any]] | None = None,
        values: list[str] | None = None,
        flags: int = 0,
    ) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE for a click on a button (`custom_id`) of a message of
        the bot's in `channel_id` (with `components`, as the bot sent them, and its
        `flags`: EPHEMERAL for a message only the clicker sees); with `values`, a choice
        made in the select menu `custom_id` instead."""
        interaction_id = snowflake()
        if guild is None and channel_id is None:
            channel_id = self.add_dm(user)
        message = self._new_message(
            channel_id, {"components": components or [], "flags": flags}, webhook=False
        )
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data.update(component_type=3, values=values)  # a string select
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": 3,
            "data": data,
            "message": message,
            "token": f"interaction-token-{interaction_id}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            **self._where(user, guild, channel_id),
        }
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self,
        user: dict[str, Any],
        subcommand: str,
        options: dict[str, str],
        focused: str,
        *,
        guild: FakeGuild | None = None,
        channel_id: int | None = None,
        command: str = "case",
    ) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE for the suggestions of `/command subcommand` while
        `user` types the option `focused` (its text so far in `options`)."""
        typed = [
            {"type": 3, "name": name, "value": value, **({"focused": True} if name == focused else {})}
            for name, value in options.items()
        ]  # fmt: skip
        return await self.slash_command(
            user, subcommand, guild=guild, channel_id=channel_id, command=command,
            raw_options=[{"type": 1, "name": subcommand, "options": typed}],
            kind=4,  # APPLICATION_COMMAND_AUTOCOMPLETE
        )  # fmt: skip

    def _where(
        self, user: dict[str, Any], guild: FakeGuild | None, channel_id: int | None
    ) -> dict[str, Any]:
        """An interaction's fields saying who clicked or typed, where, with what rights."""
        payload: dict[str, Any] = {}
        if guild is not None:
            assert channel_id is not None
            member = guild.members[int(user["id"])]
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                channel_id=str(channel_id),
                channel=guild.channels[channel_id].payload(),
                member={
                    **member.payload(),
                    "permissions": str(guild.permissions(member.id, channel_id)),
                },
                app_permissions=str(guild.permissions(self.bot_id, channel_id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            channel_id = channel_id or self.add_dm(user)
            payload.update(
                channel_id=str(channel_id),
                channel={"id": str(channel_id), "type": DM, "recipients": [user]},
                user=user,
                app_permissions=str(BOT_PERMISSIONS),
                authorizing_integration_owners={"0": str(snowflake())},
                context=1,
            )
        return payload

    async def post_message(
        self,
        author: dict[str, Any],
        content: str,
        *,
        guild: FakeGuild | None = None,
        channel_id: int | None = None,
        mentions: Iterable[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE for a message by `author`; returns the payload."""
        if channel_id is None:
            channel_id = self.add_dm(author)
        message = {
            "id": str(snowflake()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content,
            "mentions": list(mentions),
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if guild is not None:
            message["guild_id"] = str(guild.id)
            member = guild.members.get(int(author["id"]))
            if member is not None:
                message["member"] = member.payload(with_user=False)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    # --- REST ---

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        recorded = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        self.requests.append(recorded)
        try:
            return await self._route(recorded)
        finally:
            await self._notify()

    async def _route(self, r: RecordedRequest) -> web.StreamResponse:
        app = str(self.application_id)
        webhook_paths = r.path.startswith(("/webhooks/", "/interactions/"))
        # Webhook and interaction endpoints authenticate with the token in the path.
        if not webhook_paths and r.authorization != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")

        if r.matches("GET", "/users/@me"):
            return _json(self.bot_user)
        if r.matches("GET", "/oauth2/applications/@me"):
            return _json(self._application())
        if r.matches("GET", "/gateway(/bot)?"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1,
                    },
                }  # fmt: skip
            )
        if m := _match(r, "PUT", rf"/applications/{app}(?:/guilds/(\d+))?/commands"):
            return self._sync_commands(int(m[1]) if m[1] else None, r.body)
        if m := _match(r, "POST", r"/interactions/(\d+)/([^/]+)/callback"):
            return self._interaction_callback(m[1], m[2], r.body)
        if m := _match(r, "POST", rf"/webhooks/{app}/([^/]+)"):
            message = self._new_message(None, r.body, webhook=True)
            return _json(message)
        if m := _match(r, r"PATCH|GET|DELETE", rf"/webhooks/{app}/([^/]+)/messages/@original"):
            return self._original(r.method, m[1], r.body)
        if m := _match(r, "POST", r"/channels/(\d+)/messages/(\d+)/threads"):
            return await self._start_thread(int(m[1]), int(m[2]), r.body)
        if m := _match(r, "POST", r"/channels/(\d+)/messages"):
            return self._channel_message(int(m[1]), r.body)
        if r.matches("POST", "/users/@me/channels"):
            recipient = int(r.body["recipient_id"])
            channel_id = self.add_dm(user_payload(recipient, f"user-{recipient}"))
            return _json(
                {"id": str(channel_id), "type": DM, "recipients": [self.dm_channels[channel_id]]}
            )
        return _error(404, 0, "404: Not Found")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "casebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner_user,
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None if self.team is None else {
                "id": str(snowflake()),
                "name": "casebot team",
                "icon": None,
                "owner_user_id": self.team[0][0]["id"] if self.team else None,
                "members": [
                    {"user": user, "role": role, "membership_state": 2, "permissions": ["*"],
                     "team_id": "0"}
                    for user, role in self.team
                ],
            },
        }  # fmt: skip

    def _sync_commands(self, guild_id: int | None, body: Any) -> web.Response:
        registered = []
        for command in body:
            registered.append(
                {
                    **command,
                    "id": str(snowflake()),
                    "application_id": str(self.application_id),
                    "version": str(snowflake()),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        self.commands[guild_id] = registered
        return _json(registered)

    def _interaction_callback(self, interaction_id: str, token: str, body: Any) -> web.Response:
        kind = body["type"]
        data = body.get("data") or {}
        message = self._new_message(None, data, webhook=True)
        if kind == 5:  # deferred: a "thinking…" placeholder
            message.update(content="", embeds=[])
            message["flags"] = (data.get("flags") or 0) | 128  # LOADING
        self._originals[token] = message
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_id": message["id"],
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
                },
                "resource": {"type": kind, **({"message": message} if kind == 4 else {})},
            }
        )

    def _original(self, method: str, token: str, body: Any) -> web.StreamResponse:
        message = self._originals.get(token)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if method == "DELETE":
            del self._originals[token]
            return web.Response(status=204)
        if method == "PATCH":
            message.update(
                {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
            )
            message["flags"] = message.get("flags", 0) & ~128
        return _json(message)

    async def _start_thread(self, channel_id: int, message_id: int, body: Any) -> web.Response:
        guild = self._guild_of(channel_id)
        if guild is None:
            return _error(400, 50024, "Cannot execute action on this channel type")
        if not guild.permissions(self.bot_id, channel_id) & CREATE_PUBLIC_THREADS:
            return _error(403, 50013, "Missing Permissions")
        # A thread started on a message takes the message's id.
        thread = guild.add_thread(
            guild.channels[channel_id], body["name"], owner_id=self.bot_id, thread_id=message_id
        )
        payload = thread.payload()
        await self.dispatch("THREAD_CREATE", {**payload, "newly_created": True})
        return _json(payload, status=201)

    def _channel_message(self, channel_id: int, body: Any) -> web.Response:
        guild = self._guild_of(channel_id)
        if guild is None and channel_id not in self.dm_channels:
            return _error(404, 10003, "Unknown Channel")
        if guild is not None:
            channel = guild.channels[channel_id]
            needed = SEND_MESSAGES_IN_THREADS if channel.type == PUBLIC_THREAD else SEND_MESSAGES
            if body.get("message_reference"):
                needed |= READ_MESSAGE_HISTORY
            if guild.permissions(self.bot_id, channel_id) & (needed | VIEW_CHANNEL) != (
                needed | VIEW_CHANNEL
            ):
                return _error(403, 50013, "Missing Permissions")
        return _json(self._new_message(channel_id, body, webhook=False))

    def _guild_of(self, channel_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds.values() if channel_id in g.channels), None)

    def _new_message(self, channel_id: int | None, body: Any, *, webhook: bool) -> dict[str, Any]:
        body = body or {}
        message: dict[str, Any] = {
            "id": str(snowflake()),
            "channel_id": str(channel_id or 0),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": body.get("flags") or 0,
        }
        if webhook:
            message["webhook_id"] = str(self.application_id)
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        if body.get("components"):
            message["components"] = body["components"]
        return message

    # --- gateway ---

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self.gateway_queries.append(dict(request.query))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            # discord.py picks zstd-stream when a zstd module is installed; this fake only
            # speaks zlib, so say so instead of sending garbage.
            await ws.close(code=4000, message=f"fake Discord: no {compress}".encode())
            return ws
        connection = _GatewayConnection(ws, zlib.compressobj() if compress else None)
        self._sockets.append(connection)
        try:
            await connection.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                self.gateway_received.append(message)
                await self._on_gateway(connection, message)
                await self._notify()
        finally:
            self._sockets.remove(connection)
        return ws

    async def _on_gateway(self, connection: _GatewayConnection, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == 1:  # heartbeat
            await connection.send({"op": 11})
        elif op == 2:  # identify
            if message["d"].get("token") != self.token:
                await connection.ws.close(code=4004, message=b"Authentication failed.")
                return
            shard = message["d"].get("shard")
            if shard:
                connection.shard = (int(shard[0]), int(shard[1]))
            self.identified_shards.append(connection.shard)
            guilds = [g for g in self.guilds.values() if connection.carries(g.id)]
            await connection.send(
                {
                    "op": 0,
                    "t": "READY",
                    "s": self._next_sequence(),
                    "d": {
                        "v": 10,
                        "user": self.bot_user,
                        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                        "session_id": "fake-session",
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(self.application_id), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                        "presences": [],
                    },
                }
            )
            for guild in guilds:
                await connection.send(
                    {"op": 0, "t": "GUILD_CREATE", "s": self._next_sequence(), "d": guild.payload()}
                )
        elif op == 6:  # resume
            await connection.send({"op": 0, "t": "RESUMED", "s": self._next_sequence(), "d": {}})


@dataclass
class _GatewayConnection:
    ws: web.WebSocketResponse
    compressor: Any  # zlib compressobj, or None for plain JSON text frames
    shard: tuple[int, int] | None = None  # (shard id, shard count) from IDENTIFY

    def carries(self, guild_id: int | None) -> bool:
        """Whether this connection's shard gets the events of a guild (None: a DM)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id

    async def send(self, message: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        text = json.dumps(message)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            data = self.compressor.compress(text.encode())
            await self.ws.send_bytes(data + self.compressor.flush(zlib.Z_SYNC_FLUSH))


def _match(r: RecordedRequest, methods: str, pattern: str) -> re.Match[str] | None:
    """The path's match groups if the method matches the `methods` regex and the path `pattern`."""
    if re.fullmatch(methods, r.method) is None:
        return None
    return re.fullmatch(pattern, r.path)


def _json(data: Any, *, status: int = 200) -> web.Response:
    # Exactly "application/json", no charset: discord.py decodes a body as JSON only when
    # the Content-Type header is that string, as Discord sends it.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)
