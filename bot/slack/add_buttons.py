"""Slack's Add and Cancel buttons under an `add` preview: drawing them, and reading a press.

The buttons carry the preview's token; the adapter answers a press like a command:
privately, by the message's response_url, replacing the preview so it can't be pressed
twice (`outcome_payload`).
"""

from __future__ import annotations

import re
from typing import Any

from bot.slack.blocks import SlackMessage, render_slack
from retrieval.model import Answer

ADD, CANCEL = "casebot_add_yes", "casebot_add_no"
ACTIONS = re.compile(rf"^(?:{ADD}|{CANCEL})$")
_MAX_BLOCKS = 50  # Slack's limit for one message


def with_add_buttons(message: SlackMessage, token: str | None) -> SlackMessage:
    """`message` with Add and Cancel buttons when it is a preview (`token` set)."""
    if token is None:
        return message
    buttons = {
        "type": "actions",
        "block_id": "casebot_add",
        "elements": [
            {"type": "button", "action_id": ADD, "style": "primary", "value": token,
             "text": {"type": "plain_text", "text": "Add"}},
            {"type": "button", "action_id": CANCEL, "value": token,
             "text": {"type": "plain_text", "text": "Cancel"}},
        ],
    }  # fmt: skip
    blocks = list(message.blocks)[: _MAX_BLOCKS - 1]
    return SlackMessage(text=message.text, blocks=(*blocks, buttons))


def pressed(body: dict[str, Any]) -> tuple[str | None, bool]:
    """What a press says: the preview's token (None if absent) and whether it is Add."""
    action = (body.get("actions") or [{}])[0]
    return str(action.get("value", "")) or None, action.get("action_id") == ADD


def outcome_payload(answer: Answer) -> dict[str, Any]:
    """The response_url payload that replaces the preview with what the press did."""
    payload = render_slack(answer).to_dict()
    return {**payload, "response_type": "ephemeral", "replace_original": True}
