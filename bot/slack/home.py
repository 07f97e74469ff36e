"""Slack's App Home tab: where the case stands, the sources, and how to ask; or, in a
deployment of several cases, the cases and how a question finds its case.

Drawn from the cases being served, with the same blocks as the `/case status`, `/case
sources` and `/case cases` answers (bot/slack/blocks.py), so the Home tab never says
anything the answers wouldn't. The Slack adapter publishes it when someone opens the tab
and, for the people who opened it, again after each reload.
"""

from __future__ import annotations

from typing import Any

from bot.case_replies import case_line
from bot.commands import HELP_INTRO, HELP_INTRO_SEVERAL, Command, help_lines
from bot.docket import Docket
from bot.queries import query
from bot.slack.blocks import SOURCES_PAGES_BLOCK, Block, clip, context, render_slack, section
from retrieval.index import Index

# Slack's limit on the blocks of a Home tab view.
MAX_HOME_BLOCKS = 100
_MAX_TEXT = 3000


def home_view(docket: Docket, *, max_quotes: int) -> dict[str, Any]:
    """The Home tab's view for `views.publish`: for one case, its status, how to ask and
    its sources; for several, the cases (each with its latest development) and how to ask."""
    only = docket.only
    if only is not None and not docket.several:
        return _view(_one_case(only.index, max_quotes=max_quotes), more="`/case sources`")
    how = [section(clip(HELP_INTRO_SEVERAL, _MAX_TEXT))]
    how += [section(clip(line, _MAX_TEXT)) for line in help_lines(several=True)]
    cases = [section(clip(case_line(case), _MAX_TEXT)) for case in docket.cases.values()]
    return _view([(f"Cases ({len(cases)})", cases), ("How to ask", how)], more="`/case cases`")


def _one_case(index: Index, *, max_quotes: int) -> list[tuple[str, list[Block]]]:
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
    how = [section(clip(HELP_INTRO, _MAX_TEXT)), *(section(clip(line, _MAX_TEXT)) for line in help_lines())]
    return [("Where the case stands", list(status)), ("How to ask", how), ("Sources", sources)]


def _view(parts: list[tuple[str, list[Block]]], *, more: str) -> dict[str, Any]:
    blocks: list[Block] = []
    for title, part in parts:
        blocks += [_header(title), *part, {"type": "divider"}]
    blocks.pop()  # no divider after the last part
    if len(blocks) > MAX_HOME_BLOCKS:
        # Each part keeps within a message's 50 blocks; together they may not, and what is
        # cut is what `more` shows in full.
        blocks = blocks[: MAX_HOME_BLOCKS - 1] + [context([f"… more in {more}"])]
    return {"type": "home", "blocks": blocks}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}
