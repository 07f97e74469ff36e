"""Slack's Add and Cancel buttons under an `add` preview, and what pressing them does.

The buttons carry the preview's token; pressing one is answered like a command: privately,
by the message's response_url, replacing the preview so it can't be pressed twice.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.desk import apology, new_request_id
from bot.ops.logs import request_scope
from bot.slack.blocks import SlackMessage, render_slack

if TYPE_CHECKING:
    from bot.slack.adapter import SlackAdapter

logger = logging.getLogger("bot.slack.adapter")

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


def register(adapter: SlackAdapter) -> None:
    """Listen for the preview buttons on the adapter's bolt app."""

    async def on_button(ack: Any, body: dict[str, Any]) -> None:
        await ack()  # within Slack's 3 seconds; writing and reloading come after
        adapter._spawn(_answer(adapter, body))

    adapter.app.action(ACTIONS)(on_button)


async def _answer(adapter: SlackAdapter, body: dict[str, Any]) -> None:
    user_id = str((body.get("user") or {}).get("id", ""))
    channel = str((body.get("channel") or {}).get("id", ""))
    action = (body.get("actions") or [{}])[0]
    token = str(action.get("value", "")) or None
    try:
        answer = await adapter._desk.intake.confirm(
            adapter._caller(user_id, channel), token, accept=action.get("action_id") == ADD
        )
    except Exception:
        request_id = new_request_id()
        with request_scope(request_id):
            logger.exception(
                "request %s failed: an add button from user %s",
                request_id, adapter._desk.pseudonym("slack", user_id),
            )  # fmt: skip
        answer = apology(request_id)
    payload = {
        **render_slack(answer).to_dict(),
        "response_type": "ephemeral",
        "replace_original": True,
    }
    await adapter._post_to_response_url(body.get("response_url"), payload)
