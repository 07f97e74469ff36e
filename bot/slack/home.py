"""Slack's App Home tab: where the case stands, the sources, and how to ask.

Drawn from the index being served, with the same blocks as the `/case status` and
`/case sources` answers (bot/slack/blocks.py), so the Home tab never says anything the
answers wouldn't. The Slack adapter publishes it when someone opens the tab and, for the
people who opened it, again after each reload.
"""

from __future__ import annotations

from typing import Any

from bot.commands import HELP_INTRO, Command, help_lines
from bot.queries import query
from bot.slack.blocks import SOURCES_PAGES_BLOCK, Block, clip, context, render_slack, section
from retrieval.index import Index

# Slack's limit on the blocks of a Home tab view.
MAX_HOME_BLOCKS = 100


def home_view(index: Index, *, max_quotes: int) -> dict[str, Any]:
    """The Home tab's view for `views.publish`: status, sources, how to ask."""
    status = render_slack(query(index, Command(name="status"), max_quotes=max_quotes)).blocks
    listing = query(index, Command(name="sources"), max_quotes=max_quotes)
    sources = list(render_slack(listing).blocks)
    if any(block.get("block_id") == SOURCES_PAGES_BLOCK for block in sources):
        # The first page of a long listing: a Home tab has no response_url to page with,
        # so it points to the command that pages through them all.
        sources = [block for block in sources if block.get("block_id") != SOURCES_PAGES_BLOCK]
        sources.append(
            context([f"All {len(listing.sources)}, a page at a time: `/case sources`"])
        )
    how = [section(clip(HELP_INTRO, 3000)), *(section(clip(line, 3000)) for line in help_lines())]
    parts: list[tuple[str, tuple[Block, ...] | list[Block]]] = [
        ("Where the case stands", status),
        ("How to ask", how),
        ("Sources", sources),
    ]
    blocks: list[Block] = []
    for title, part in parts:
        blocks += [_header(title), *part, {"type": "divider"}]
    blocks.pop()  # no divider after the last part
    if len(blocks) > MAX_HOME_BLOCKS:
        # Each part keeps within a message's 50 blocks; together they may not, and the
        # sources are what `/case sources` shows in full.
        blocks = blocks[: MAX_HOME_BLOCKS - 1] + [
            context(["… more in `/case sources`"])
        ]
    return {"type": "home", "blocks": blocks}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}
