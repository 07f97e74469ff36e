"""Discord's choice of case: a select menu under "Which case do you mean?".

Discord allows 25 options in a select menu and 5 menus in a message, so up to 125 cases
are offered (past that, the person names the case: `/case ask question: … case: …`). Each
menu's custom_id carries the choice's token, each option's value a case id; together
they are the choice's value (bot/choices.py), all a selection needs. The client answers a
selection (`chosen` reads it). The `case` options of the slash commands suggest cases as
they are typed (`suggestions`).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from bot.caller import Choice
from bot.choices import PREFIX, choice_value
from bot.docket import Docket
from bot.routing import fold

MAX_OPTIONS = 25  # in one select menu
MAX_MENUS = 5  # action rows in one message
_MAX_LABEL = 100  # an option's label, description and value
# Discord shows at most 25 suggestions for an option.
MAX_SUGGESTIONS = 25


def case_menu(choice: Choice) -> discord.ui.View:
    """The select menus offering the choice's cases (`view=` for `send`)."""
    view = discord.ui.View(timeout=None)
    chunks = [
        choice.options[start : start + MAX_OPTIONS]
        for start in range(0, min(len(choice.options), MAX_OPTIONS * MAX_MENUS), MAX_OPTIONS)
    ]
    for number, chunk in enumerate(chunks):
        menu = discord.ui.Select(
            # Unique within the message; `chosen` reads the token back from any of them.
            custom_id=f"{PREFIX}:{choice.token}" + (f":{number}" if number else ""),
            placeholder="Choose the case" if len(chunks) == 1 else f"Choose the case ({number + 1})",
            options=[
                discord.SelectOption(
                    label=_clip(option.name), value=option.case_id,
                    description=_clip(option.description) if option.description else None,
                )  # fmt: skip
                for option in chunk
            ],
            row=number,
        )
        view.add_item(menu)
    # Stopped before it is sent, as the feedback buttons are: a selection is answered from
    # its custom_id and value alone, also after a restart (see embeds.vote_buttons).
    view.stop()
    return view


def is_case_menu(custom_id: object) -> bool:
    return isinstance(custom_id, str) and custom_id.startswith(f"{PREFIX}:")


def chosen(custom_id: str, values: Iterable[object]) -> str:
    """The choice's value a selection makes: its menu's token and the case chosen."""
    token = custom_id.split(":")[1] if custom_id.count(":") >= 1 else ""
    case_id = next(iter(values), "")
    return choice_value(token, str(case_id)) if token and case_id else ""


def suggestions(docket: Docket, typed: str) -> list[app_commands.Choice[str]]:
    """The cases whose id or name holds what was typed so far, as a `case` option's
    autocomplete suggestions."""
    key = fold(typed)
    found = [
        case.info
        for case in docket.cases.values()
        if not key or any(key in fold(name) for name in case.info.names)
    ]
    return [
        app_commands.Choice(name=_clip(f"{info.name} ({info.id})"), value=info.id)
        for info in found[:MAX_SUGGESTIONS]
    ]


def _clip(text: str) -> str:
    text = " ".join(text.split()) or "?"
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"
