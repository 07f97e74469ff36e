"""Reading and checking rendered Block Kit: its texts, and that Slack would take a message."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.format import utf16_len as width
from bot.slack.blocks import MAX_FALLBACK_CHARS, MAX_TOTAL_CHARS, render_slack
from retrieval.model import Answer
from tests.support.fake_slack import block_kit_problems


def texts(blocks: Any) -> list[str]:
    """Every mrkdwn text in `blocks`, in order (rich text is in `rich_texts`)."""
    found = []
    for block in blocks:
        if block["type"] == "rich_text":
            continue
        if "text" in block:
            found.append(block["text"]["text"])
        found.extend(element["text"] for element in block.get("elements", []))
    return found


def rich_texts(blocks: Any) -> list[str]:
    """The text of every quote in `blocks`: what Slack shows as written."""
    return [
        run["text"]
        for block in blocks
        if block["type"] == "rich_text"
        for part in block["elements"]
        if part["type"] == "rich_text_quote"
        for run in part["elements"]
    ]


def check_limits(answer: Answer) -> dict[str, Any]:
    """Render `answer`, assert Slack would take it, and return the message."""
    message = render_slack(answer).to_dict()
    assert block_kit_problems(message["blocks"]) == []
    # slack_sdk's Block Kit models read every block back unchanged and find it valid.
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
        parsed.validate_json()
    assert sum(width(json.dumps(b, ensure_ascii=False)) for b in message["blocks"]) <= (
        MAX_TOTAL_CHARS
    )
    assert 1 <= width(message["text"]) <= MAX_FALLBACK_CHARS
    return message
