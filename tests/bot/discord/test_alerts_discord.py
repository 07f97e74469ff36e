"""Following the case on Discord: the real discord.py client against the fake Discord.

`/case follow` and the rest arrive as interactions; alerts are the messages casebot posts
to channels (POST /channels/{id}/messages), which the fake records and refuses (403, 404)
as Discord would. Corpora in tmp_path are reloaded for real, as an admin's reload does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.desk import Caller, Desk
from bot.discord.adapter import start_discord
from bot.settings import Settings
from tests.support.alert_corpus import FILED, RE_REPORT, REFILED, WITHDRAWAL_SENTENCE, WITHDRAWN
from tests.support.fake_discord import (
    MANAGE_CHANNELS,
    SEND_MESSAGES,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    snowflake,
    user_payload,
)
from tests.support.discord_world import assert_within_limits, embed_text


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    news: FakeChannel
    other: FakeChannel
    member: dict[str, Any]
    channel_mod: dict[str, Any]  # Manage Channels in #news only

    @property
    def admin(self) -> dict[str, Any]:
        return self.fake.owner_user  # the application's owner

    async def command(
        self, user: dict[str, Any], name: str, channel: FakeChannel | None = None
    ) -> str:
        """`/case name` by `user` in `channel` (None: a DM); the reply's text."""
        interaction = await self.fake.slash_command(
            user, name, guild=self.guild if channel else None,
            channel_id=channel.id if channel else None,
        )  # fmt: skip
        token = interaction["token"]
        callback = await self.fake.wait_for_request(
            "POST", r"/interactions/\d+/[^/]+/callback", lambda r: token in r.path
        )
        if callback.body["type"] == 4:
            return embed_text(callback.body["data"])
        edited = await self.fake.wait_for_request(
            "PATCH", rf"/webhooks/\d+/{token}/messages/@original"
        )
        return embed_text(edited.body)

    def alerts(self, channel_id: int) -> list[dict[str, Any]]:
        return [r.body for r in self.fake.requests_to("POST", rf"/channels/{channel_id}/messages")]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord()
    await fake.start()
    guild = fake.add_guild()
    news = guild.add_channel("news")
    other = guild.add_channel("other")
    member = user_payload(snowflake(), "member")
    channel_mod = user_payload(snowflake(), "channel-mod")
    guild.add_member(member)
    guild.add_member(channel_mod)
    news.overwrites.append(
        {"id": channel_mod["id"], "type": 1, "allow": str(MANAGE_CHANNELS), "deny": "0"}
    )
    yield World(fake, guild, news, other, member, channel_mod)
    await fake.close()


@pytest.fixture
def corpus(make_corpus: Callable[..., Path]) -> Path:
    return make_corpus(FILED)


@pytest.fixture
def bot(world: World, corpus: Path, make_settings: Callable[..., Settings]) -> Callable[..., Any]:
    """`async with bot(**settings) as desk`: casebot connected to the fake (again: a restart)."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Desk]:
        values: dict[str, Any] = {
            "corpus_dir": corpus, "discord_token": world.fake.token,
            "discord_api_url": world.fake.api_url, "discord_gateway_url": world.fake.gateway_url,
            "discord_guild_ids": [world.guild.id], "alert_retry_seconds": 0, "alert_attempts": 3,
        }  # fmt: skip
        values.update(overrides)
        settings = make_settings(**values)
        desk = await Desk.open(settings)
        try:
            adapter = await start_discord(
                desk, settings, connect_timeout=15, guild_ready_timeout=0.05
            )
            try:
                yield desk
            finally:
                await adapter.close()
        finally:
            await desk.close()

    return run


async def reload(world: World, desk: Desk) -> None:
    """The reload an admin's reload command runs (where Discord registers that command is
    the adapter's business), then every alert it brings has been tried."""
    admin = Caller("discord", world.admin["id"], is_admin=True)
    assert (await desk.reload(admin)).kind == "reload"
    await desk.alerts.idle()


async def test_a_reload_with_news_posts_one_alert_to_each_following_channel(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with bot() as desk:
        assert "now follows" in await world.command(world.admin, "follow", world.news)
        assert "now follows" in await world.command(world.admin, "follow")  # in a DM
        (dm,) = world.fake.dm_channels
        make_corpus(WITHDRAWN)
        await reload(world, desk)

        (alert,) = world.alerts(world.news.id)
        (dm_alert,) = world.alerts(dm)
        assert (dm_alert["content"], dm_alert["embeds"]) == (alert["content"], alert["embeds"])
        assert world.alerts(world.other.id) == []
        assert alert["allowed_mentions"] == {"parse": []}  # never pings, whatever it quotes
        assert_within_limits(alert)
        text = embed_text(alert)
        # Quoted verbatim (Discord's markdown escaped, so it shows as written).
        assert "> " + " ".join(WITHDRAWAL_SENTENCE.split()) in text.replace("\\", "")
        assert "Beta Daily" in text and "2025-01-31" in text and "/case status" in text


async def test_a_restart_and_reload_post_nothing_and_a_re_report_posts_nothing(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with bot() as desk:
        await world.command(world.admin, "follow", world.news)
        make_corpus(WITHDRAWN)
        await reload(world, desk)
        assert len(world.alerts(world.news.id)) == 1
    async with bot() as desk:
        await desk.alerts.idle()
        await reload(world, desk)
        assert len(world.alerts(world.news.id)) == 1
        make_corpus(RE_REPORT)
        await reload(world, desk)
        assert len(world.alerts(world.news.id)) == 1
        make_corpus(REFILED)
        await reload(world, desk)
        assert len(world.alerts(world.news.id)) == 2


async def test_unfollow_stops_alerts(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with bot() as desk:
        await world.command(world.admin, "follow", world.news)
        assert "no longer follows" in await world.command(world.admin, "unfollow", world.news)
        make_corpus(WITHDRAWN)
        await reload(world, desk)
        assert world.alerts(world.news.id) == []


async def test_channels_discord_refuses_with_403_or_404_are_dropped_after_the_retries(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    locked = world.guild.add_channel("locked")
    gone = world.guild.add_channel("gone")
    async with bot() as desk:
        for channel in (world.news, locked, gone):
            await world.command(world.admin, "follow", channel)
        bot_role = next(r for r in world.guild.roles.values() if r.name == "casebot")
        locked.overwrites.append(
            {"id": str(bot_role.id), "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}
        )
        del world.guild.channels[gone.id]  # deleted: Unknown Channel
        make_corpus(WITHDRAWN)
        await reload(world, desk)

        assert len(world.alerts(world.news.id)) == 1
        assert len(world.alerts(locked.id)) == len(world.alerts(gone.id)) == 3
        listing = await world.command(world.admin, "following", world.news)
        assert str(world.news.id) in listing
        assert str(locked.id) not in listing and str(gone.id) not in listing
        registry = desk.metrics.registry
        labels = {"platform": "discord"}
        assert registry.get_sample_value("casebot_follows_dropped_total", labels) == 2
        make_corpus(REFILED)
        await reload(world, desk)
        assert len(world.alerts(locked.id)) == 3 and len(world.alerts(world.news.id)) == 2


async def test_follow_needs_an_admin_or_manage_channels_there_unless_anyone_may(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot() as desk:
        assert (await world.command(world.member, "follow", world.news)).startswith("Sorry")
        # Manage Channels in #news counts in #news only.
        assert (await world.command(world.channel_mod, "follow", world.other)).startswith("Sorry")
        assert "now follows" in await world.command(world.channel_mod, "follow", world.news)
        assert (await world.command(world.channel_mod, "following", world.news)).startswith("Sorry")
        audit = await desk.store.recent_audit(4)
        assert [(a.command, a.allowed) for a in reversed(audit)] == [
            ("follow", False), ("follow", False), ("follow", True), ("following", False)
        ]  # fmt: skip
    async with bot(anyone_can_follow=True) as desk:
        assert "now follows" in await world.command(world.member, "follow", world.other)
