"""Slack's choice of case: buttons under "Which case do you mean?", or a menu for many.

A few cases are buttons, one click each; more than `MAX_BUTTONS` are a static select menu
(Slack's limit is 100 options; past that, the cases the menu can't hold are named in the
message, and the person can still name one: `/case ask linkedin: …`). Each button's value,
and each option's, is the choice's value (bot/choices.py): all a click needs. The adapter
answers a click (`chosen` reads it).
"""

from __future__ import annotations

import re
from typing import Any

from bot.caller import Choice
from bot.choices import choice_value
from bot.slack.blocks import MAX_BLOCKS, SlackMessage, context

ACTION = "casebot_case"
ACTIONS = re.compile(rf"^{ACTION}")
MAX_BUTTONS = 10
MAX_OPTIONS = 100  # Slack's limit for a static select
_MAX_LABEL = 75  # a button's or an option's text
_MAX_DESCRIPTION = 75


def with_case_choice(message: SlackMessage, choice: Choice | None) -> SlackMessage:
    """`message` with the choice's buttons or menu under it (unchanged without one)."""
    if choice is None:
        return message
    blocks = [*message.blocks][: MAX_BLOCKS - 2]
    if len(choice.options) <= MAX_BUTTONS:
        elements = [
            {
                "type": "button",
                "action_id": f"{ACTION}_{n}",
                "text": {"type": "plain_text", "text": _label(option.name), "emoji": True},
                "value": choice_value(choice.token, option.case_id),
            }
            for n, option in enumerate(choice.options)
        ]
    else:
        shown = choice.options[:MAX_OPTIONS]
        options = []
        for option in shown:
            entry: dict[str, Any] = {
                "text": {"type": "plain_text", "text": _label(option.name), "emoji": True},
                "value": choice_value(choice.token, option.case_id),
            }
            if option.description:
                entry["description"] = {
                    "type": "plain_text", "text": _label(option.description, _MAX_DESCRIPTION),
                }  # fmt: skip
            options.append(entry)
        elements = [
            {
                "type": "static_select",
                "action_id": f"{ACTION}_menu",
                "placeholder": {"type": "plain_text", "text": "Choose the case"},
                "options": options,
            }
        ]
        hidden = len(choice.options) - len(shown)
        if hidden:
            blocks.append(context([f"… and {hidden} more: name the case in your question."]))
    blocks.append({"type": "actions", "block_id": "casebot_case", "elements": elements})
    return SlackMessage(text=message.text, blocks=tuple(blocks))


def chosen(body: dict[str, Any]) -> str:
    """The value a click carries: the button's, or the option chosen in the menu."""
    action = (body.get("actions") or [{}])[0]
    if not isinstance(action, dict):
        return ""
    selected = action.get("selected_option")
    value = selected.get("value") if isinstance(selected, dict) else action.get("value")
    return str(value or "")


def _label(text: str, limit: int = _MAX_LABEL) -> str:
    text = " ".join(text.split()) or "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"
