"""Discord's `/case-admin` command (reload, add, remove) and the Add and Cancel buttons
under an `add` preview (drawn and read here; the client answers a press).

The admin commands are a top-level command of their own because Discord's default member
permissions apply only to top-level commands: registered with Manage Server, members don't
see them by default. That is a hint server admins can change, so the desk's admin gate
(`CasebotClient.is_admin`) stays the real check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.commands import COMMANDS_BY_NAME, CommandSpec

ADMIN_COMMAND = "case-admin"
ADMIN_DESCRIPTION = "casebot admin commands: reload the corpus, add or remove an article."
# Moved out of /case, which keeps the commands everyone may run.
ADMIN_SUBCOMMANDS = ("reload", "add", "remove")
_PREFIX = "casebot-add:"
_YES, _NO = f"{_PREFIX}yes:", f"{_PREFIX}no:"

Runner = Callable[..., Awaitable[None]]
Suggester = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]
CASE_DESCRIPTION = "The case (if casebot follows several): one to reload, or the one to change"


def build_admin_group(run: Runner, suggest: Suggester) -> app_commands.Group:
    """`/case-admin reload | add url | remove source_id`, each with an optional `case`
    (suggested as it is typed), visible by default to Manage Server.

    `run(interaction, spec, text, case)` runs the chat line `text`."""
    group = app_commands.Group(
        name=ADMIN_COMMAND,
        description=ADMIN_DESCRIPTION,
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=False,
    )
    reload_spec, add_spec, remove_spec = (COMMANDS_BY_NAME[n] for n in ADMIN_SUBCOMMANDS)

    @app_commands.describe(case=CASE_DESCRIPTION)
    async def reload(interaction: discord.Interaction, case: str | None = None) -> None:
        await run(interaction, reload_spec, "reload", case)

    @app_commands.describe(url="the article's address, http:// or https://", case=CASE_DESCRIPTION)
    async def add(
        interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000],
        case: str | None = None,
    ) -> None:  # fmt: skip
        await run(interaction, add_spec, f"add {url}", case)

    @app_commands.describe(
        source_id="the article's id, as /case sources lists it", case=CASE_DESCRIPTION
    )
    async def remove(
        interaction: discord.Interaction, source_id: app_commands.Range[str, 1, 200],
        case: str | None = None,
    ) -> None:  # fmt: skip
        await run(interaction, remove_spec, f"remove {source_id}", case)

    for spec, callback in ((reload_spec, reload), (add_spec, add), (remove_spec, remove)):
        command = app_commands.Command(
            name=spec.name, description=spec.description, callback=callback
        )
        command.autocomplete("case")(suggest)
        group.add_command(command)
    return group


def add_buttons(token: str) -> discord.ui.View:
    """Add and Cancel under a preview; the custom ids carry its token."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Add", style=discord.ButtonStyle.success,
                                    custom_id=f"{_YES}{token}"))  # fmt: skip
    view.add_item(discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary,
                                    custom_id=f"{_NO}{token}"))  # fmt: skip
    return view


def is_add_button(custom_id: object) -> bool:
    return isinstance(custom_id, str) and custom_id.startswith((_YES, _NO))


def pressed(custom_id: str) -> tuple[str | None, bool]:
    """What a press of Add or Cancel says: the preview's token (None if absent), and
    whether it is Add."""
    accept = custom_id.startswith(_YES)
    return custom_id.removeprefix(_YES if accept else _NO) or None, accept
