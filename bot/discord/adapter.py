"""The Discord front end's running connection: log in, connect, post alerts, close.

`start_discord(desk, settings)` returns once the bot is connected; the client that answers
(`bot.discord.client`) and where it connects (`bot.discord.endpoints`) live beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import discord

from bot.alerts import PostFailed
from bot.desk import Desk
from bot.discord.client import (
    PLATFORM,
    SHUTTING_DOWN,
    CasebotClient,
    strip_mention,
    thread_name,
)
from bot.discord.embeds import render_discord
from bot.discord.endpoints import ENDPOINTS
from bot.settings import Settings
from retrieval.errors import StartError
from retrieval.model import Answer

logger = logging.getLogger(__name__)


class DiscordStartError(StartError):
    """Discord could not be served: no token, a refused token, or no connection in time.

    Raised `from` what discord.py (or the network) raised, when there is one.
    """


# --- running it ------------------------------------------------------------------------


async def _login(client: CasebotClient, settings: Settings) -> None:
    """Log in (and so register the commands), with errors that name the setting to fix."""
    assert settings.discord_token is not None
    try:
        await client.login(settings.discord_token.get_secret_value())
    except discord.LoginFailure as error:
        raise DiscordStartError(
            "Discord refused the bot token: check DISCORD_TOKEN (Developer Portal → Bot → "
            "Reset Token)"
        ) from error
    except discord.HTTPException as error:
        raise DiscordStartError(
            f"Discord's API at {settings.discord_api_url} (DISCORD_API_URL) refused to log in "
            f"or register /case: {error.status} {error.text}"
        ) from error
    except (aiohttp.ClientError, OSError) as error:
        raise DiscordStartError(
            f"could not reach Discord's API at {settings.discord_api_url} (DISCORD_API_URL): "
            f"{error}"
        ) from error


class DiscordAdapter:
    """A running Discord connection. Stop it with `await adapter.close()`."""

    # As /healthz names it.
    platform = PLATFORM

    def __init__(self, client: CasebotClient, task: asyncio.Task[None]) -> None:
        self.client = client
        self._task = task
        self._closed = False

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        """Post an alert to a channel that follows the case (bot.alerts.Poster).

        Sent with AllowedMentions.none() (render_discord), so nothing in it can ping.

        Raises:
            PostFailed: Discord refused it (gone on 403/404: casebot can't post there).
        """
        # A partial channel: a DM or a channel not in the cache needs no lookup first.
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            await channel.send(**render_discord(answer).send_kwargs())
        except (discord.Forbidden, discord.NotFound) as error:
            raise PostFailed(f"{error.status} {error.text}", gone=True) from None
        except discord.HTTPException as error:
            raise PostFailed(f"{error.status} {error.text}", gone=False) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PostFailed(type(error).__name__, gone=False) from None

    async def is_connected(self) -> bool:
        """Whether the gateway connection is up and ready (for /healthz).

        A method for the same shape as the Slack adapter's, whose check is a coroutine.
        """
        client = self.client
        # is_ready() stays true while discord.py reconnects; the open socket says it is up.
        return (
            not self._closed
            and client.is_ready()
            and not client.is_closed()
            and client.ws is not None
            and client.ws.open
        )

    async def wait(self) -> None:
        """Run until the connection ends; raises what ended it, if it failed."""
        await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop taking requests, let answers in flight finish (bounded), then disconnect.

        Also restores discord.py's addresses. Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        self.client.desk.alerts.detach(self)
        try:
            # Answers go out over REST, which client.close() shuts: finish them first.
            await self.client.drain()
            await self.client.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        finally:
            ENDPOINTS.release()


async def start_discord(
    desk: Desk,
    settings: Settings,
    *,
    connect_timeout: float = 60.0,
    **client_options: Any,
) -> DiscordAdapter:
    """Log in, register the commands and connect to the gateway; return once connected.

    Args:
        desk: the desk that answers.
        settings: needs DISCORD_TOKEN; DISCORD_API_URL and DISCORD_GATEWAY_URL say where
            Discord is.
        connect_timeout: seconds to wait for the gateway to be ready.
        **client_options: passed to `discord.Client` (tests shorten `guild_ready_timeout`).

    Raises:
        DiscordStartError: DISCORD_TOKEN is not set, Discord refused it, its API or gateway
            could not be reached, the gateway was not ready in time, or another REST
            failure while logging in (from discord.py's error).
    """
    if settings.discord_token is None:
        raise DiscordStartError("DISCORD_TOKEN is not set")
    ENDPOINTS.acquire(settings.discord_api_url, settings.discord_gateway_url)
    client = CasebotClient(desk, settings, **client_options)
    task: asyncio.Task[None] | None = None
    try:
        await _login(client, settings)
        task = asyncio.create_task(client.connect(reconnect=True), name="casebot-discord")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {task, ready}, timeout=connect_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if task in done:
                # Whatever discord.py raised (a refused connection can surface as an
                # AttributeError from its reconnect code), say what failed.
                raise DiscordStartError(
                    "could not connect to Discord's gateway at "
                    f"{settings.discord_gateway_url} (DISCORD_GATEWAY_URL)"
                ) from task.exception()
            raise DiscordStartError(
                f"Discord's gateway at {settings.discord_gateway_url} (DISCORD_GATEWAY_URL) "
                f"was not ready within {connect_timeout:g} s"
            )
    except BaseException:
        await client.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        ENDPOINTS.release()
        raise
    logger.info("connected to Discord as %s", client.user)
    adapter = DiscordAdapter(client, task)
    # Connected: alerts for Discord channels that follow the case go out through it.
    desk.alerts.attach(adapter)
    return adapter


__all__ = [
    "SHUTTING_DOWN",
    "DiscordStartError",
    "CasebotClient",
    "DiscordAdapter",
    "start_discord",
    "strip_mention",
    "thread_name",
]
