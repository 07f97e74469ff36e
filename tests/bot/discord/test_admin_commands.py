"""`/case-admin add` in Discord, through the real discord.py against the fake Discord: the
preview with Add and Cancel buttons, pressing them, and a question answered from the new
article. The admin commands are their own top-level command (tests/bot/discord/test_discord.py checks
its registration with Manage Server as the default permission)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.intake.chat import PREVIEW_SECONDS
from tests.support.fake_discord import snowflake
from tests.support.intake_pages import UPDATE_PARAGRAPH, news_page
from tests.support.intake_server import Route, Site, serve
from tests.support.discord_world import World, answered, embed_text, message_body

NEW_FILE = "example-tech-news-linkedin-sued-over-ai-training-on-private-messages.md"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({"/story": Route(body=news_page().encode())}) as running:
        yield running


async def _preview(world: World, user: dict[str, Any], url: str) -> dict[str, Any]:
    interaction = await world.slash(user, "add", {"url": url}, command="case-admin")
    return message_body(await answered(world, interaction))


def _buttons(body: dict[str, Any]) -> dict[str, str]:
    return {
        item["label"]: item["custom_id"]
        for row in body.get("components") or []
        for item in row["components"]
    }


async def _click(world: World, user: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """A press of a button of the bot's ephemeral preview in #general; returns what the
    preview was edited into."""
    interaction_id = snowflake()
    member = world.guild.members[int(user["id"])]
    channel = world.general.id
    payload = {
        "id": str(interaction_id), "application_id": str(world.fake.application_id), "type": 3,
        "token": f"interaction-token-{interaction_id}", "version": 1, "locale": "en-US",
        "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": world.fake._new_message(channel, {"content": "preview", "flags": 64}, webhook=True),
        "guild_id": str(world.guild.id), "guild_locale": "en-US", "channel_id": str(channel),
        "channel": world.guild.channels[channel].payload(),
        "member": {**member.payload(), "permissions": str(world.guild.permissions(member.id, channel))},
        "app_permissions": str(world.guild.permissions(world.fake.bot_id, channel)),
        "authorizing_integration_owners": {"0": str(world.guild.id)}, "context": 0,
    }  # fmt: skip
    await world.fake.dispatch("INTERACTION_CREATE", payload)
    return message_body(await answered(world, payload))


async def test_add_preview_add_button_writes_reloads_and_the_article_answers(
    world: World, bot, corpus_copy: Path, site: Site
) -> None:
    async with bot(corpus_dir=corpus_copy, fetch_private=True):
        preview = await _preview(world, world.manager, site.url("/story"))
        assert "Title: LinkedIn sued over AI training on private messages" in embed_text(preview)
        buttons = _buttons(preview)
        assert set(buttons) == {"Add", "Cancel"}

        done = await _click(world, world.manager, buttons["Add"])
        assert f"Added {NEW_FILE}" in embed_text(done) and "Reloaded the corpus" in embed_text(done)
        assert (corpus_copy / NEW_FILE).is_file()

        asked = await world.slash(
            world.member, "ask", {"question": "Did the plaintiff file a notice of voluntary dismissal?"}
        )
        assert UPDATE_PARAGRAPH[:60] in embed_text(message_body(await answered(world, asked)))


async def test_a_member_is_refused_and_audited(world: World, bot, corpus_copy: Path, site: Site) -> None:
    async with bot(corpus_dir=corpus_copy, fetch_private=True) as (desk, _):
        refused = await _preview(world, world.member, site.url("/story"))
        assert "only casebot admins" in embed_text(refused) and not _buttons(refused)
        assert site.hits == []
        (audit, *_) = await desk.store.recent_audit()
        assert (audit.command, audit.allowed) == ("add", False)


async def test_cancel_and_an_expired_preview_write_nothing(
    world: World, bot, corpus_copy: Path, site: Site
) -> None:
    async with bot(corpus_dir=corpus_copy, fetch_private=True) as (desk, _):
        buttons = _buttons(await _preview(world, world.manager, site.url("/story")))
        assert "nothing was written" in embed_text(await _click(world, world.manager, buttons["Cancel"]))

        now = [0.0]
        desk.intake.clock = lambda: now[0]
        buttons = _buttons(await _preview(world, world.manager, site.url("/story")))
        now[0] += PREVIEW_SECONDS + 1
        assert "expired" in embed_text(await _click(world, world.manager, buttons["Add"]))
        assert not (corpus_copy / NEW_FILE).exists()
