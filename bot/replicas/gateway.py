"""The Discord gateway once: of all the replicas, only the one holding a PostgreSQL advisory
lock connects to Discord's gateway.

Discord delivers every event of a bot's session to each connection that identifies for
it, so two replicas connected would each answer every mention. Each replica tries for the
lock (`pg_try_advisory_lock`) on a connection of its own every `RETRY_SECONDS`; the one
that gets it logs in and connects, and holds the lock exactly as long as that connection
lives. When the holder dies, its connection closes and the server lets go of the lock at
once (a host that vanishes without closing: after the keepalives of bot/replicas/connect.py,
about 11 s); another replica gets it within `RETRY_SECONDS` and connects, a few seconds
more. A holder that loses its own connection (checked every `CHECK_SECONDS`) leaves the
gateway at once, before the server could give the lock to another, so two replicas never
hold the gateway together for long.

Mentions sent while no replica is connected are not delivered again: Discord replays
missed events only to a session that resumes, and the new holder starts its own (README,
"Several replicas").

Shards: past what one connection may carry (Discord requires sharding from 2,500 guilds),
`DISCORD_SHARD_COUNT` = N splits the guilds into N shards, and each shard has a lock of its
own (`GATEWAY_LOCK + shard id`): a replica holds at most one shard, the first free one it
finds, and connects with discord.py's explicit `shard_id`/`shard_count`, so Discord sends
it only that shard's guilds (and shard 0 the DMs). Run at least N replicas; the others
stand by for whichever shard's holder dies. With N = 1 there is one lock, as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.replicas.connect import CHECK_SECONDS, alive, close_quietly, connect, why

if TYPE_CHECKING:
    from bot.desk import Desk
    from bot.settings import Settings

logger = logging.getLogger(__name__)

# The advisory lock's key: "casebot1" as a 64-bit number, so it is no other program's;
# shard k's is this plus k.
GATEWAY_LOCK = int.from_bytes(b"casebot1", "big")
# How often a replica without the gateway tries for it.
RETRY_SECONDS = 1.0
# How long a replica that got the gateway but could not connect to Discord waits before
# trying for it again.
FAILED_START_SECONDS = 10.0

Start = Callable[..., Awaitable[Any]]  # (desk, settings, **shard options) -> adapter


class ElectedDiscord:
    """Discord on whichever replica holds the gateway lock: an adapter for `casebot serve`
    (`platform`, `is_connected`, `wait`, `close`) that is on standby until elected.

    Args:
        desk: the desk that answers.
        settings: Discord's settings.
        dsn: the database's URL (a secret: never logged).
        start: connects Discord and returns its adapter (bot.discord.adapter.start_discord).
    """

    platform = "discord"

    def __init__(self, desk: Desk, settings: Settings, dsn: str, start: Start) -> None:
        self._desk = desk
        self._settings = settings
        self._dsn = dsn
        self._start = start
        self._adapter: Any = None
        self._connection: Any = None
        self._using = asyncio.Lock()
        self._runner: asyncio.Task[None] | None = None
        # Set with what ended Discord for good (a refused token): `wait` raises it.
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.holding = asyncio.Event()
        self.shards = settings.discord_shard_count
        self.shard: int | None = None  # the shard this replica holds, if any

    @property
    def state(self) -> str:
        """What `/readyz` says of Discord here: "connected" (holding the gateway),
        "standby" (another replica holds it, or none yet) or "disconnected"."""
        return "standby" if self._adapter is None else "connected"

    async def start(self) -> None:
        """Start trying for the gateway (in the background); returns at once."""
        self._runner = asyncio.create_task(self._run(), name="casebot-discord-election")

    async def is_connected(self) -> bool:
        """For `/readyz`: on standby, whether this replica can reach the database (to take
        over); holding the gateway, whether Discord is connected."""
        if self._adapter is not None:
            return bool(await self._adapter.is_connected())
        return await alive(self._connection, self._using)

    async def wait(self) -> None:
        """Until Discord has ended for good on this replica (raises what ended it)."""
        await asyncio.shield(self._ended)

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        await self._leave()
        await close_quietly(self._connection)
        self._connection = None

    async def _run(self) -> None:
        while True:
            try:
                self._connection = await connect(self._dsn)
                await self._until_elected()
                await self._hold()
            except asyncio.CancelledError:
                raise
            except _Ended:
                return
            except Exception as error:
                logger.warning("the database connection for the Discord gateway failed (%s)",
                               why(error))  # fmt: skip
            await self._leave()
            await close_quietly(self._connection)
            self._connection = None
            await asyncio.sleep(RETRY_SECONDS)

    async def _until_elected(self) -> None:
        announced = False
        while True:
            for shard in range(self.shards):
                async with self._using:
                    got = await self._connection.fetchval(
                        "SELECT pg_try_advisory_lock($1)", GATEWAY_LOCK + shard, timeout=CHECK_SECONDS * 2
                    )
                if got:
                    self.shard = shard
                    return
            if not announced:
                logger.info("Discord: other replicas hold the gateway (%d shard(s)); standing by", self.shards)
                announced = True
            await asyncio.sleep(RETRY_SECONDS)

    async def _hold(self) -> None:
        sharding = {"shard_id": self.shard, "shard_count": self.shards} if self.shards > 1 else {}
        logger.info("Discord: this replica holds the gateway%s; connecting",
                    f" (shard {self.shard} of {self.shards})" if sharding else "")  # fmt: skip
        try:
            self._adapter = await self._start(self._desk, self._settings, **sharding)
        except Exception as error:
            if _refused_token(error):
                # As without replicas, serve stops (the lock goes with it), so the operator
                # hears of it: every replica would be refused the same.
                if not self._ended.done():
                    self._ended.set_exception(error)
                raise _Ended from error
            # Discord unreachable or slow now: let go of the gateway (another replica may
            # fare better) and try again later, still serving Slack meanwhile.
            logger.error("Discord: could not connect (%s); trying again in %g s", error,
                         FAILED_START_SECONDS)  # fmt: skip
            await close_quietly(self._connection)
            await asyncio.sleep(FAILED_START_SECONDS)
            return
        self.holding.set()
        ending = asyncio.ensure_future(self._adapter.wait())
        try:
            while True:
                done, _ = await asyncio.wait({ending}, timeout=CHECK_SECONDS)
                if done:
                    error = ending.exception()
                    if not self._ended.done():
                        if error is not None:
                            self._ended.set_exception(error)
                        else:
                            self._ended.set_result(None)
                    raise _Ended
                if not await alive(self._connection, self._using):
                    # Another replica may get the lock now: leave the gateway first.
                    logger.warning("Discord: lost the database connection that holds the "
                                   "gateway; leaving it to another replica")  # fmt: skip
                    return
        finally:
            ending.cancel()
            self.holding.clear()

    async def _leave(self) -> None:
        adapter, self._adapter = self._adapter, None
        self.shard = None
        if adapter is not None:
            try:
                await adapter.close()
            except Exception:
                logger.exception("Discord: could not close the gateway connection cleanly")


def _refused_token(error: BaseException) -> bool:
    """Whether Discord refused the token or an intent it asks for (bot.discord.adapter
    raises its DiscordStartError from discord.py's error): no retry can help."""
    import discord  # the discord extra: installed wherever Discord is served

    return isinstance(error.__cause__, (discord.LoginFailure, discord.PrivilegedIntentsRequired))


class _Ended(Exception):
    """Discord ended for good on this replica; `ElectedDiscord.wait` says why."""
