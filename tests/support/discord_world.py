"""The Discord world: the adapter on the real discord.py against tests.support.fake_discord, and its fixtures."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.desk import Desk
from bot.queries import DEFAULT, Queries
from bot.discord.adapter import DiscordAdapter, start_discord
from bot.discord.embeds import utf16_len
from bot.settings import Settings
from tests.support.fake_discord import (
    MANAGE_GUILD,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    RecordedRequest,
    snowflake,
    user_payload,
)


CALLBACK = r"/interactions/\d+/[^/]+/callback"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"
FOLLOWUP = r"/webhooks/\d+/[^/]+"
THREADS = r"/channels/\d+/messages/\d+/threads"
MESSAGES = r"/channels/\d+/messages"
QUESTION = "who is suing LinkedIn?"
# Intents bits: message_content is privileged and must not be asked for.
MESSAGE_CONTENT_INTENT = 1 << 15
GUILD_MESSAGES_INTENT = 1 << 9
DM_MESSAGES_INTENT = 1 << 12


@dataclass
class World:
    """The fake Discord and who is in it."""

    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    thread: FakeChannel
    manager: dict[str, Any]  # has a role granting Manage Server
    member: dict[str, Any]  # plain member
    stranger: dict[str, Any]  # only ever in DMs
    other_bot: dict[str, Any]

    def mention(self, text: str) -> str:
        return f"<@{self.fake.bot_id}> {text}"

    async def slash(
        self, user: dict[str, Any], subcommand: str, options: dict[str, str] | None = None,
        *, command: str = "case",
    ) -> dict[str, Any]:  # fmt: skip
        """`/case <subcommand>` (or `/<command> <subcommand>`) typed by `user` in #general."""
        return await self.fake.slash_command(
            user, subcommand, options, guild=self.guild, channel_id=self.general.id,
            command=command,
        )  # fmt: skip

    async def mention_in(
        self, channel: FakeChannel, user: dict[str, Any], text: str
    ) -> dict[str, Any]:
        """A message by `user` in `channel` that mentions the bot, then says `text`."""
        return await self.fake.post_message(
            user, self.mention(text), guild=self.guild, channel_id=channel.id,
            mentions=[self.fake.bot_user],
        )  # fmt: skip


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord()
    await fake.start()
    guild = fake.add_guild()
    general = guild.add_channel("general")
    thread = guild.add_thread(general, "case talk", owner_id=snowflake())
    managers = guild.add_role("Moderators", MANAGE_GUILD)
    manager = user_payload(snowflake(), "mod")
    member = user_payload(snowflake(), "member")
    other_bot = user_payload(snowflake(), "otherbot", bot=True)
    guild.add_member(manager, [managers])
    guild.add_member(member)
    guild.add_member(other_bot)
    yield World(
        fake=fake,
        guild=guild,
        general=general,
        thread=thread,
        manager=manager,
        member=member,
        stranger=user_payload(snowflake(), "stranger"),
        other_bot=other_bot,
    )
    await fake.close()


@pytest.fixture
def corpus_copy(tmp_path: Path, seed_corpus_dir: Path) -> Path:
    """A copy of the bundled corpus that a test may change before reloading."""
    return Path(shutil.copytree(seed_corpus_dir, tmp_path / "corpus"))


@pytest.fixture
def bot(
    world: World, make_settings: Callable[..., Settings]
) -> Callable[..., Any]:
    """`async with bot(**settings) as (desk, adapter)`: casebot connected to the fake.

    `queries`: the desk's query functions (`tests.support.queries.queries_with`).
    """

    @asynccontextmanager
    async def run(
        *, queries: Queries = DEFAULT, **overrides: Any
    ) -> AsyncIterator[tuple[Desk, DiscordAdapter]]:
        values: dict[str, Any] = {
            "discord_token": world.fake.token,
            "discord_api_url": world.fake.api_url,
            "discord_gateway_url": world.fake.gateway_url,
            "discord_guild_ids": [world.guild.id],
            # Manage Server makes admins only in the servers listed here.
            "discord_admin_guild_ids": [world.guild.id],
        }
        values.update(overrides)
        settings = make_settings(**values)
        desk = await Desk.open(settings, queries=queries)
        try:
            adapter = await start_discord(
                desk, settings, connect_timeout=15, guild_ready_timeout=0.05
            )
            try:
                yield desk, adapter
            finally:
                await adapter.close()
        finally:
            await desk.close()

    return run


def embed_text(body: dict[str, Any]) -> str:
    """All the text of a sent message: content, and titles, descriptions and footers."""
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts.append(embed.get("footer", {}).get("text", ""))
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def message_body(request: RecordedRequest) -> dict[str, Any]:
    """The message a request sends (an interaction callback wraps it in "data")."""
    if request.path.endswith("/callback"):
        return request.body.get("data") or {}
    return request.body


def sent_messages(fake: FakeDiscord) -> list[RecordedRequest]:
    """Every request that sends or edits a message."""
    patterns = [("POST", CALLBACK), ("PATCH", ORIGINAL), ("POST", FOLLOWUP), ("POST", MESSAGES)]
    return [r for r in fake.requests if any(r.matches(m, p) for m, p in patterns)]


def assert_within_limits(body: dict[str, Any]) -> None:
    embeds = body.get("embeds") or []
    assert utf16_len(body.get("content") or "") <= 2000
    assert len(embeds) <= 10
    total = 0
    for embed in embeds:
        title = embed.get("title", "")
        description = embed.get("description", "")
        footer = embed.get("footer", {}).get("text", "")
        fields = embed.get("fields", [])
        assert utf16_len(title) <= 256
        assert utf16_len(description) <= 4096
        assert utf16_len(footer) <= 2048
        assert len(fields) <= 25
        for field in fields:
            assert utf16_len(field["name"]) <= 256 and utf16_len(field["value"]) <= 1024
        total += utf16_len(title) + utf16_len(description) + utf16_len(footer)
        total += sum(utf16_len(f["name"]) + utf16_len(f["value"]) for f in fields)
    assert total <= 6000


def assert_answer_with_quotes(body: dict[str, Any]) -> None:
    """The message quotes the sources: "> " lines, each cited with an outlet and a date."""
    text = embed_text(body)
    assert re.search(r"^> \S", text, re.MULTILINE), text
    citation = r"^— [^\n]+, (\d{4}-\d\d-\d\d|undated)$"
    assert re.search(citation, text, re.MULTILINE), text
    assert_within_limits(body)


def _replies_to(request: RecordedRequest, message: dict[str, Any]) -> bool:
    reference = request.body.get("message_reference") or {}
    return str(reference.get("message_id")) == message["id"]


async def dm_to(world: World, user: dict[str, Any]) -> RecordedRequest:
    """The first message the bot sent to `user` in a DM channel."""

    def to_user(request: RecordedRequest) -> bool:
        channel = int(request.path.split("/")[2])
        return world.fake.dm_channels.get(channel, {}).get("id") == user["id"]

    return await world.fake.wait_for_request("POST", MESSAGES, to_user)


async def answered(world: World, interaction: dict[str, Any]) -> RecordedRequest:
    """The request that carries the answer to an interaction (callback or edited original)."""
    token = interaction["token"]
    callback = await world.fake.wait_for_request("POST", CALLBACK, lambda r: token in r.path)
    if callback.body["type"] == 4:
        return callback
    return await world.fake.wait_for_request(
        "PATCH|POST", rf"/webhooks/\d+/{token}(/messages/@original)?"
    )
