"""Checking a rendered Discord message against Discord's limits."""

from __future__ import annotations

from bot.discord.embeds import (
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FOOTER,
    MAX_TITLE,
    DiscordMessage,
    utf16_len,
)


def assert_within_limits(message: DiscordMessage) -> None:
    assert message.content or message.embeds, "Discord refuses an empty message"
    assert utf16_len(message.content or "") <= MAX_CONTENT
    assert len(message.embeds) <= MAX_EMBEDS
    total = 0
    for embed in message.embeds:
        data = embed.to_dict()
        title, description = data.get("title", ""), data.get("description", "")
        footer = data.get("footer", {}).get("text", "")
        fields = data.get("fields", [])
        assert utf16_len(title) <= MAX_TITLE
        assert utf16_len(description) <= MAX_DESCRIPTION
        assert utf16_len(footer) <= MAX_FOOTER
        assert len(fields) <= 25
        for field in fields:
            assert utf16_len(field["name"]) <= 256 and utf16_len(field["value"]) <= 1024
        total += utf16_len(title) + utf16_len(description) + utf16_len(footer)
        total += sum(utf16_len(f["name"]) + utf16_len(f["value"]) for f in fields)
    assert total <= MAX_EMBED_TOTAL
