"""The Discord adapter against hostile or unlucky input (issue 9), over the wire.

Manage Server makes an admin only in the servers the operator listed (a reload is global,
and any server may add a public bot); reload reports and errors never show in a channel;
interactions that don't match the registered command get private help; a fatal gateway
close stops `casebot serve` with an error instead of leaving it running without Discord.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import _serve
from bot.commands import HELP_INTRO
from bot.settings import Settings
from tests.support.fake_discord import EPHEMERAL, FakeDiscord, snowflake, user_payload
from tests.support.discord_world import CALLBACK, World, answered, dm_to, embed_text


async def _reload_in_dm(world: World, user: dict[str, Any]) -> str:
    interaction = await world.fake.slash_command(user, "reload", command="case-admin")
    return (await answered(world, interaction)).body["content"]


# --- 3. who is an admin on Discord -------------------------------------------------------


async def test_owning_a_server_that_is_not_listed_gives_no_admin_rights(
    world: World, bot: Callable[..., Any]
) -> None:
    elsewhere = world.fake.add_guild("Someone else's server")
    lobby = elsewhere.add_channel("lobby")
    owner = user_payload(snowflake(), "other-owner")
    elsewhere.add_member(owner)
    elsewhere.owner_id = int(owner["id"])  # all permissions there, Manage Server included
    async with bot(discord_guild_ids=[world.guild.id, elsewhere.id]) as (desk, _):
        before = desk.index
        interaction = await world.fake.slash_command(
            owner, "reload", guild=elsewhere, channel_id=lobby.id, command="case-admin"
        )
        refusal = await answered(world, interaction)
        assert refusal.body["content"] == "Sorry, only casebot admins can use “reload”."
        assert desk.index is before
        (audit,) = await desk.store.recent_audit(10)
        assert (audit.user_id, audit.allowed) == (owner["id"], False)

        # The same owner's Manage Server, in a server the operator listed, would count.
        world.guild.add_member(owner)
        world.guild.owner_id = int(owner["id"])
        listed = await world.slash(owner, "reload", command="case-admin")
        assert (await answered(world, listed)).body["content"].startswith("Reloaded the corpus")


async def test_the_application_owner_is_an_admin_anywhere_dms_included(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        assert (await _reload_in_dm(world, world.fake.owner_user)).startswith("Reloaded")
        assert (await _reload_in_dm(world, world.stranger)).startswith("Sorry, only casebot")


async def test_an_application_teams_members_are_admins_but_read_only_ones(
    world: World, bot: Callable[..., Any]
) -> None:
    developer = user_payload(snowflake(), "developer")
    viewer = user_payload(snowflake(), "viewer")
    world.fake.team = [(developer, "admin"), (viewer, "read_only")]
    async with bot():
        assert (await _reload_in_dm(world, developer)).startswith("Reloaded the corpus")
        assert (await _reload_in_dm(world, viewer)).startswith("Sorry, only casebot admins")
        # With a team, the owner field is the team's bot account, not a person to trust.
        assert (await _reload_in_dm(world, world.fake.owner_user)).startswith("Sorry")


async def test_a_failed_reload_asked_by_mention_is_sent_privately_without_paths(
    world: World, bot: Callable[..., Any], corpus_copy: Path, tmp_path: Path
) -> None:
    async with bot(corpus_dir=corpus_copy) as (desk, _):
        before = desk.index
        (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
        (corpus_copy / "leak.md").symlink_to(tmp_path / "passwd")
        (corpus_copy / "broken-article.md").write_text("no front matter\n")
        asked = await world.mention_in(world.general, world.manager, "reload")
        report = await dm_to(world, world.manager)
        text = embed_text(report.body)
        assert report.body["content"].startswith("Reload failed; still serving")
        assert "broken-article.md" in text and "leak.md" in text
        assert desk.index is before
        # Nothing of it in the channel, and no path outside the corpus anywhere.
        channel = rf"/channels/{world.general.id}/messages"
        assert world.fake.requests_to("POST", channel) == []
        for request in world.fake.requests:
            assert str(tmp_path) not in str(request.body)
        assert asked["id"]


# --- 5. interactions that don't match the registered command -----------------------------


@pytest.mark.parametrize(
    ("subcommand", "raw_options"),
    [
        ("status", []),  # no subcommand at all
        ("frobnicate", None),  # a subcommand casebot doesn't have (a stale registration)
        ("ask", None),  # ask without its question
    ],
    ids=["no subcommand", "unknown subcommand", "missing option"],
)
async def test_an_interaction_that_does_not_match_the_command_gets_private_help(
    world: World,
    bot: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    subcommand: str,
    raw_options: list[dict[str, Any]] | None,
) -> None:
    async with bot():
        interaction = await world.fake.slash_command(
            world.member, subcommand, guild=world.guild, channel_id=world.general.id,
            raw_options=raw_options,
        )  # fmt: skip
        token = interaction["token"]
        callback = await world.fake.wait_for_request("POST", CALLBACK, lambda r: token in r.path)
    # Answered at once (type 4, not deferred: Discord's 3 seconds are kept), privately.
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert callback.body["data"]["content"] == HELP_INTRO
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("discord")]


# --- 6. a fatal gateway close stops casebot serve ----------------------------------------


@pytest.mark.parametrize("code", [4004, 4014], ids=["bad token", "disallowed intents"])
async def test_a_fatal_gateway_close_after_start_is_logged_and_serve_exits_non_zero(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture, code: int
) -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        settings = make_settings(
            discord_token=fake.token,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            ops_enabled=False,
        )
        caplog.set_level(logging.INFO, logger="bot")
        serving = asyncio.create_task(_serve(settings))
        async with asyncio.timeout(30):  # until casebot serve has started serving
            while not any("connected to Discord as" in r.getMessage() for r in caplog.records):
                assert not serving.done()
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        assert not serving.done()
        await fake.drop_connections(code)
        assert await asyncio.wait_for(serving, timeout=30) == 1
    finally:
        if not serving.done():
            serving.cancel()
        await fake.close()
    (record,) = [r for r in caplog.records if r.name == "bot.cli" and r.levelno == logging.ERROR]
    assert record.getMessage().startswith("discord: the connection ended and will not be resumed")
