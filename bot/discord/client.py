"""The Discord client: `/case` application commands and @mentions, translated to the desk.

A thin layer: everything casebot says comes from `Desk.handle` and is drawn by
`bot.discord.embeds`. What lives here is Discord's side of things only: registering the
commands, the 3-second interaction deadline, ephemeral or public replies, threads for
answers to mentions, and who counts as an admin.

Start it with `start_discord(desk, settings)`, which returns once the bot is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import discord
from discord import app_commands
from discord.voice_client import VoiceClient

from bot.caller import Caller, Reply, apology, new_request_id
from bot.commands import (
    COMMANDS,
    COMMANDS_BY_NAME,
    EXAMPLE_QUESTION,
    SLASH_COMMAND,
    CommandSpec,
    parse_command,
)
from bot.desk import Desk, handle_safely
from bot.ops.logs import request_scope
from bot.feedback import is_feedback_value
from bot.discord import admin_commands, choose
from bot.discord.embeds import (
    SOURCES_PAGE_ID,
    clip,
    reason_buttons,
    render_discord,
    vote_buttons,
)
from bot.render.pages import read_page
from bot.settings import Settings
from retrieval.model import Answer

logger = logging.getLogger(__name__)

# casebot never joins a voice channel: that PyNaCl and davey (voice libraries) are not
# installed is no news to an operator. discord.py warns once per process unless told.
VoiceClient.warn_nacl = False
VoiceClient.warn_dave = False

PLATFORM = "discord"

# The /case group's own description (Discord shows it in the command picker; ≤100 chars).
GROUP_DESCRIPTION = "Questions about the case, answered by quoting its sources."
QUESTION_DESCRIPTION = f"Your question about the case, e.g. {EXAMPLE_QUESTION}"
CASE_DESCRIPTION = "Which case (if casebot follows several); else the one asked about, or the channel's"
USE_DESCRIPTION = "The case questions in this channel go to; none: no case of its own"
DAYS_DESCRIPTION = "How many days back (default 30)"
# The /case subcommands that take a `case` option: the ones about one case.
CASE_OPTION = frozenset({"status", "timeline", "sources", "follow", "unfollow", "report"})
# Discord's own ceiling for a string option. The question-length rule is the desk's
# (CASEBOT_MAX_QUESTION_CHARS, enforced and explained there for every platform); the
# option repeats the setting's value so Discord stops a longer question as it is typed.
MAX_QUESTION_CHARS = 6000
# Commands whose answer may take longer than Discord's 3-second interaction deadline:
# they are acknowledged first ("casebot is thinking…") and answered by editing that.
# Everything that reads or writes the database is among them: a busy disk must not cost
# an answer.
DEFERRED_COMMANDS = frozenset({
    "status", "ask", "timeline", "reload", "add", "remove", "report", "follow", "unfollow",
    "following",
})  # fmt: skip
# Discord's limit on a thread name, and the name used when a question gives none.
MAX_THREAD_NAME = 100
DEFAULT_THREAD_NAME = "casebot"
# How long an answer thread stays open without messages (minutes; a value Discord accepts).
THREAD_AUTO_ARCHIVE_MINUTES = 1440
# How long a shutdown waits for answers already being worked on before disconnecting.
DRAIN_SECONDS = 10.0
# The private reply to a /case command that arrives while casebot is shutting down.
SHUTTING_DOWN = "casebot is restarting; please ask again in a minute."
# Sent in the channel when the reply to an admin command can't go by DM (see _deliver).
CANNOT_DM = (
    "I couldn't send you that privately: allow direct messages from this server's members, "
    "or use /case, whose replies only you see."
)


# --- the client ------------------------------------------------------------------------


class CasebotClient(discord.Client):
    """A discord.py client that answers `/case` commands and mentions from the desk.

    Args:
        desk: the desk answering every request.
        settings: casebot's settings (admin ids, guilds to register commands in, ...).
        **options: further `discord.Client` options (e.g. `guild_ready_timeout`).
    """

    def __init__(self, desk: Desk, settings: Settings, **options: Any) -> None:
        # Default intents: no privileged ones. Discord sends the content of messages that
        # mention the bot and of DMs without the message_content intent, and that is all
        # casebot reads.
        super().__init__(
            intents=discord.Intents.default(),
            # Also the default for every send; each send sets it again explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.desk = desk
        self.settings = settings
        self._admin_ids = frozenset(settings.discord_admin_ids)
        self._admin_guild_ids = frozenset(settings.discord_admin_guild_ids)
        # The application's owner, or its team: learned when logging in (setup_hook).
        self._owner_ids: frozenset[int] = frozenset()
        self.tree = CaseTree(self)
        self.tree.add_command(build_case_group(self, settings.max_question_chars))
        # reload, add and remove: /case-admin, visible by default to Manage Server only.
        self.tree.add_command(
            admin_commands.build_admin_group(self.run_command, self.suggest_cases)
        )
        # Requests being answered, so that a shutdown can let them finish (see `drain`).
        self._working: set[asyncio.Task[Any]] = set()
        self._accepting = True

    async def setup_hook(self) -> None:
        # Runs inside login(), before the gateway connects: commands are registered and the
        # owners known by the time the bot is online.
        self._owner_ids = await application_owners(self)
        await sync_commands(self.tree, self.settings.discord_guild_ids)

    # The one place that decides who is an admin; the desk gates and audits with it.
    def is_admin(
        self, user_id: int, permissions: discord.Permissions | None, guild_id: int | None
    ) -> bool:
        """Whether a user may run admin commands (reload).

        A reload changes what every server sees, so Manage Server counts only in the
        servers the operator named: the owner of any server that added the bot (a public
        bot, by default) has it there.

        Args:
            user_id: the Discord user.
            permissions: their permissions where they asked, as Discord resolves them for
                that member in that channel; None outside a guild (DMs).
            guild_id: the guild they asked in; None in a DM.

        Returns:
            True for DISCORD_ADMIN_IDS and the application's owner or team anywhere, and
            for members with Manage Server (or Administrator) in a guild of
            DISCORD_ADMIN_GUILD_IDS.
        """
        if user_id in self._admin_ids or user_id in self._owner_ids:
            return True
        return (
            guild_id in self._admin_guild_ids
            and permissions is not None
            and (permissions.manage_guild or permissions.administrator)
        )

    def caller(
        self,
        user: discord.abc.User,
        permissions: discord.Permissions | None,
        guild_id: int | None,
        channel_id: int | None = None,
        thread_id: str | None = None,
    ) -> Caller:
        return Caller(
            platform=PLATFORM,
            user_id=str(user.id),
            is_admin=self.is_admin(user.id, permissions, guild_id),
            channel_id=str(channel_id) if channel_id is not None else None,
            # Manage Channels where they asked lets them choose what is posted there.
            manages_channel=permissions is not None
            and (permissions.manage_channels or permissions.administrator),
            thread_id=thread_id,
            # A DM with casebot: outside any server.
            private=guild_id is None,
        )

    def interaction_caller(self, interaction: discord.Interaction) -> Caller:
        """Who sent an interaction, with the permissions Discord computed for them there."""
        # interaction.permissions is what Discord computed for the member in this channel
        # (roles and overwrites); outside a guild there are none to speak of.
        permissions = interaction.permissions if interaction.guild_id is not None else None
        return self.caller(
            interaction.user, permissions, interaction.guild_id, interaction.channel_id
        )

    def _failed(self, interaction: discord.Interaction, what: str) -> Answer:
        """Log the failure being handled under a new request id; the apology to send."""
        request_id = new_request_id()
        with request_scope(request_id):
            logger.exception(
                "request %s failed: %s from Discord user %s",
                request_id, what, self.desk.pseudonym(PLATFORM, str(interaction.user.id)),
            )  # fmt: skip
        return apology(request_id)

    async def suggest_cases(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The cases a `case` option suggests as it is typed (bot/discord/choose.py)."""
        return choose.suggestions(self.desk.docket, current)

    # --- application commands ---

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, text: str,
        case: str | None = None,
    ) -> None:  # fmt: skip
        """Answer one `/case` subcommand: `text` is the chat line it stands for, `case` the
        case its option named."""
        if not self._accepting:
            # Unanswered, Discord would tell the user "the application did not respond".
            await interaction.response.send_message(SHUTTING_DOWN, ephemeral=True)
            return
        with self._in_flight():
            await self._run_command(interaction, spec, text, case)

    async def _run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, text: str, case: str | None
    ) -> None:
        caller = self.interaction_caller(interaction)
        deferred = spec.name in DEFERRED_COMMANDS
        # Visibility of a deferred reply is fixed when deferring, so it comes from the
        # command's table flag; a private reply to a public command is handled below.
        public_by_default = spec.public and not self.settings.ephemeral_answers
        if deferred:
            await interaction.response.defer(ephemeral=not public_by_default, thinking=True)

        reply = await handle_safely(
            self.desk,
            text,
            caller,
            what=f"/{SLASH_COMMAND} {spec.name} from Discord user "
            f"{self.desk.pseudonym(PLATFORM, str(interaction.user.id))}",
            log=logger,
            case=case,
        )
        message = _send_kwargs(reply)

        if not deferred:
            await interaction.response.send_message(**message, ephemeral=not reply.public)
        elif reply.public == public_by_default:
            # Replaces the "thinking…" placeholder, with the visibility chosen at defer.
            await interaction.edit_original_response(**message)
        else:
            # A public command whose reply must stay private (an error): remove the public
            # placeholder and answer the asker alone.
            await interaction.delete_original_response()
            await interaction.followup.send(**message, ephemeral=True)

    # --- mentions and DMs ---

    async def on_message(self, message: discord.Message) -> None:
        """Answer a message that mentions the bot, or any message in a DM."""
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        in_dm = message.guild is None
        if not in_dm and not any(user.id == self.user.id for user in message.mentions):
            return
        if not self._accepting:
            # Shutting down: only answers already started are finished.
            logger.info("not answering Discord message %s: shutting down", message.id)
            return
        with self._in_flight():
            question = strip_mention(message.content, self.user.id)
            reply = await handle_safely(
                self.desk,
                question,
                lambda: self.caller(
                    message.author,
                    _author_permissions(message),
                    message.guild.id if message.guild is not None else None,
                    message.channel.id,
                    _answer_thread(message),
                ),
                what=f"Discord message {message.id}",
                log=logger,
            )
            try:
                await self._deliver(message, reply, question)
            except Exception:
                logger.exception("could not answer Discord message %s", message.id)

    # --- feedback buttons ---

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on a feedback button: recorded, and thanked privately (bot/feedback.py).

        The custom_id holds all the click needs, so buttons sent before a restart work too;
        other interactions are left to the command tree.
        """
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = (interaction.data or {}).get("custom_id")
        if admin_commands.is_add_button(custom_id):
            # Add or Cancel under an `add` preview (bot/discord/admin_commands.py).
            with self._in_flight():
                await self._answer_add_button(interaction, str(custom_id))
            return
        if isinstance(custom_id, str) and custom_id.startswith(SOURCES_PAGE_ID):
            with self._in_flight():
                await self._answer_sources_page(interaction, custom_id)
            return
        if choose.is_case_menu(custom_id):
            # A case chosen under "Which case do you mean?" (bot/discord/choose.py).
            if not self._accepting:
                await interaction.response.send_message(SHUTTING_DOWN, ephemeral=True)
                return
            with self._in_flight():
                await self._answer_case_choice(interaction, str(custom_id))
            return
        if not is_feedback_value(custom_id):
            return
        if not self._accepting:
            await interaction.response.send_message(SHUTTING_DOWN, ephemeral=True)
            return
        with self._in_flight():
            try:
                caller = self.caller(
                    interaction.user, None, interaction.guild_id, interaction.channel_id
                )
                thanks = await self.desk.vote(caller, str(custom_id))
                rendered = render_discord(thanks.answer).send_kwargs()
                if thanks.ask_reason_for is not None:
                    rendered["view"] = reason_buttons(thanks.ask_reason_for)
                await interaction.response.send_message(**rendered, ephemeral=True)
            except Exception:
                # Who clicked stays out of the log: a vote is recorded under a hash only.
                logger.exception("could not answer a feedback click on Discord")

    async def _answer_sources_page(self, interaction: discord.Interaction, custom_id: str) -> None:
        """Another page of a source listing, for the person who clicked only: a public
        listing opens a private copy at that page, and paging the private copy edits it."""
        if not self._accepting:
            await interaction.response.send_message(SHUTTING_DOWN, ephemeral=True)
            return
        page, case = read_page(custom_id.removeprefix(SOURCES_PAGE_ID))
        caller = self.caller(interaction.user, None, interaction.guild_id, interaction.channel_id)
        reply = await handle_safely(
            self.desk, "sources", caller, log=logger, case=case,
            what="a Discord sources page from user "
            f"{self.desk.pseudonym(PLATFORM, str(interaction.user.id))}",
        )  # fmt: skip
        rendered = render_discord(reply.answer, page=page).send_kwargs()
        try:
            message = interaction.message
            if message is not None and message.flags.ephemeral:
                # No buttons if the listing now fits one message (a reload since).
                await interaction.response.edit_message(**{"view": None, **rendered})
            else:
                await interaction.response.send_message(**rendered, ephemeral=True)
        except discord.HTTPException as error:
            logger.error("could not send a page of the sources on Discord: %s", error)

    async def _answer_case_choice(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A case chosen for a question that was asked which case it meant.

        Not answered (not the asker's, expired): said to them alone, and the menu stays.
        Otherwise a private "Which case?" (after a slash command) says what was chosen and
        the answer follows, public or private as the command's would be; a public one
        (after a mention) becomes the answer itself.
        """
        # Answering can take longer than Discord's 3 seconds: acknowledged first (the
        # message with the menu is what gets edited).
        await interaction.response.defer()
        try:
            values = (interaction.data or {}).get("values") or []
            chosen = choose.chosen(custom_id, values)
            reply = await self.desk.choose(self.interaction_caller(interaction), chosen)
        except Exception:
            reply = Reply(answer=self._failed(interaction, "a case chosen"), public=False)
        rendered = _send_kwargs(reply)
        if reply.answer.kind in ("refused", "limited", "error") and not reply.answer.quotes:
            await interaction.followup.send(**rendered, ephemeral=True)
            return
        message = interaction.message
        if message is not None and message.flags.ephemeral:
            note = f"You chose {reply.answer.case}." if reply.answer.case else "Answered below."
            await interaction.edit_original_response(content=note, embeds=[], view=None)
            await interaction.followup.send(**rendered, ephemeral=not reply.public)
        else:
            rendered.setdefault("view", None)  # the menu goes; feedback buttons may come
            await interaction.edit_original_response(**rendered)

    async def _answer_add_button(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A press of Add or Cancel: the preview message is replaced by the outcome."""
        # Writing and reloading can take longer than Discord's 3 seconds: acknowledged first.
        await interaction.response.defer()
        try:
            token, accept = admin_commands.pressed(custom_id)
            caller = self.interaction_caller(interaction)
            answer = await self.desk.intake.confirm(caller, token, accept=accept)
        except Exception:
            answer = self._failed(interaction, "an add button")
        rendered: dict[str, Any] = render_discord(answer).send_kwargs()
        await interaction.edit_original_response(**rendered, view=None)

    # --- shutting down ---

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        """Count the running task as a request being answered, until the block ends."""
        task = asyncio.current_task()
        if task is not None:
            self._working.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._working.discard(task)

    async def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Stop taking requests, then wait up to `timeout` s for those being answered.

        Answers still unfinished after `timeout` are cancelled, so that a stuck request
        can't hold up a shutdown.
        """
        self._accepting = False
        working = {task for task in self._working if task is not asyncio.current_task()}
        if not working:
            return
        logger.info("finishing %d Discord answer(s) in flight", len(working))
        _, pending = await asyncio.wait(working, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("gave up on %d Discord answer(s) still running", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def _deliver(self, message: discord.Message, reply: Reply, question: str) -> None:
        rendered = _send_kwargs(reply)
        channel = message.channel
        if message.guild is not None and _is_admin_report(question, reply):
            await self._deliver_privately(message, rendered)
            return
        # A public answer to a mention in a text channel goes into a thread on the
        # question, so a conversation about the case doesn't bury the channel. Threads
        # and DMs are answered where they are. A reply meant for the asker alone (help,
        # refusals) can't be private on a message, so it answers the message itself
        # rather than opening a thread.
        if reply.public and isinstance(channel, discord.TextChannel):
            try:
                thread = await message.create_thread(
                    name=thread_name(question), auto_archive_duration=THREAD_AUTO_ARCHIVE_MINUTES
                )
            except discord.HTTPException as error:
                # Missing Create Public Threads (Forbidden), or a thread exists already.
                logger.info("could not start a thread on message %s: %s", message.id, error)
            else:
                await thread.send(**rendered)
                return
        reference = message.to_reference(fail_if_not_exists=False)
        try:
            await channel.send(**rendered, reference=reference)
        except discord.Forbidden:
            # Replying needs Read Message History; a plain message still answers.
            await channel.send(**rendered)


    async def _deliver_privately(self, message: discord.Message, rendered: dict[str, Any]) -> None:
        """Send the reply to a mention in a server by DM; say so in the channel if that fails."""
        try:
            await message.author.send(**rendered)
        except discord.HTTPException as error:
            # The member doesn't take DMs from server members (Forbidden), or Discord failed.
            logger.info("could not DM the reply to message %s: %s", message.id, error)
            await message.channel.send(
                CANNOT_DM, reference=message.to_reference(fail_if_not_exists=False),
                allowed_mentions=discord.AllowedMentions.none(),
            )  # fmt: skip


def _is_admin_report(question: str, reply: Reply) -> bool:
    """Whether `reply` reports on an admin command (a reload, or why it failed).

    Such reports describe the corpus files and are only ever for the admin who asked. A
    reply to a mention in a server can't be private, so they go by DM; a refusal or a
    limit carries nothing and answers in the channel as other private replies do.
    """
    return parse_command(question).spec.admin_only and reply.answer.kind not in (
        "refused", "limited"
    )  # fmt: skip


def _send_kwargs(reply: Reply) -> dict[str, Any]:
    """The reply as `send` arguments, with 👍/👎 buttons if it is an ask or status answer."""
    rendered = render_discord(reply.answer).send_kwargs()
    if reply.feedback_id is not None:
        rendered["view"] = vote_buttons(reply.feedback_id)
    if reply.confirm_token is not None:
        rendered["view"] = admin_commands.add_buttons(reply.confirm_token)
    if reply.choice is not None:
        rendered["view"] = choose.case_menu(reply.choice)
    return rendered


def _answer_thread(message: discord.Message) -> str | None:
    """The thread a mention is answered in, for its follow-ups (bot/threads.py): the thread
    it was written in, or in a text channel the one `_deliver` starts on it, which takes
    the message's id. None in DMs and other channels."""
    if isinstance(message.channel, discord.Thread):
        return str(message.channel.id)
    if isinstance(message.channel, discord.TextChannel):
        return str(message.id)
    return None


def _author_permissions(message: discord.Message) -> discord.Permissions | None:
    """The author's permissions in the message's channel, as Discord resolves them."""
    author = message.author
    if message.guild is None or not isinstance(author, discord.Member):
        return None
    channel = message.channel
    if isinstance(channel, (discord.abc.GuildChannel, discord.Thread)):
        # Roles from the guild, the member's roles from the message, channel overwrites
        # (a thread's are its parent's): Discord's own computation.
        with contextlib.suppress(discord.ClientException):
            return channel.permissions_for(author)
    # A channel not in the cache: the member's guild-wide permissions.
    return author.guild_permissions


# --- the /case command -----------------------------------------------------------------

CommandRunner = Callable[..., Awaitable[None]]
Suggester = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]


def build_case_group(client: CasebotClient, max_question_chars: int) -> app_commands.Group:
    """The `/case` group, one subcommand per entry of the command table.

    Discord has no per-subcommand default permissions (`default_member_permissions` is
    only for top-level commands), and status/ask must be open to everyone, so the group is
    registered without any: `/case reload` is gated when it runs (`CasebotClient.is_admin`
    and the desk). `max_question_chars` is CASEBOT_MAX_QUESTION_CHARS (0: no limit).
    """
    group = app_commands.Group(name=SLASH_COMMAND, description=GROUP_DESCRIPTION)
    longest = min(max_question_chars or MAX_QUESTION_CHARS, MAX_QUESTION_CHARS)
    for spec in COMMANDS:
        if spec.name in admin_commands.ADMIN_SUBCOMMANDS:
            continue  # in /case-admin (bot/discord/admin_commands.py)
        group.add_command(_subcommand(spec, client.run_command, client.suggest_cases, longest))
    return group


def _subcommand(
    spec: CommandSpec, run: CommandRunner, suggest: Suggester, longest: int
) -> app_commands.Command[Any, ..., None]:
    """One `/case` subcommand; those about one case take a `case` option, suggested as it
    is typed."""
    callback: Callable[..., Awaitable[None]]
    if spec.name == "ask":

        async def ask(
            interaction: discord.Interaction, question: str, case: str | None = None
        ) -> None:
            await run(interaction, spec, f"ask {question}", case)

        # The limit is a setting, so its annotation is made here, at run time (discord.py
        # reads it when the command is built; annotations in the source are strings).
        ask.__annotations__["question"] = app_commands.Range[str, 1, longest]
        describe = app_commands.describe(question=QUESTION_DESCRIPTION, case=CASE_DESCRIPTION)
        callback = describe(ask)
    elif spec.name == "use":

        @app_commands.describe(case=USE_DESCRIPTION)
        async def use(interaction: discord.Interaction, case: str) -> None:
            await run(interaction, spec, f"use {case}")

        callback = use
    elif spec.name == "report":

        @app_commands.describe(case=CASE_DESCRIPTION, days=DAYS_DESCRIPTION)
        async def report(
            interaction: discord.Interaction,
            case: str | None = None,
            days: app_commands.Range[int, 0, 3650] | None = None,
        ) -> None:
            await run(interaction, spec, "report" if days is None else f"report {days}", case)

        callback = report
    elif spec.name in CASE_OPTION:

        @app_commands.describe(case=CASE_DESCRIPTION)
        async def about_a_case(interaction: discord.Interaction, case: str | None = None) -> None:
            await run(interaction, spec, spec.name, case)

        callback = about_a_case
    else:

        async def command(interaction: discord.Interaction) -> None:
            await run(interaction, spec, spec.name)

        callback = command
    built = app_commands.Command(name=spec.name, description=spec.description, callback=callback)
    if any(parameter.name == "case" for parameter in built.parameters):
        built.autocomplete("case")(suggest)
    return built


class CaseTree(app_commands.CommandTree):
    """The command tree; an interaction that doesn't match the registered `/case` gets help.

    After a stale registration (or from a forged client) an interaction can name an
    unknown subcommand, none, or lack the question. discord.py would log a traceback and
    leave it unanswered, so the user saw "the application did not respond".
    """

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        mismatch = (
            app_commands.CommandNotFound,
            app_commands.CommandSignatureMismatch,
            app_commands.TransformerError,
        )
        client = interaction.client
        if not isinstance(error, mismatch) or not isinstance(client, CasebotClient):
            await super().on_error(interaction, error)
            return
        logger.warning(
            "a Discord interaction from user %s does not match the registered /%s command "
            "(%s): answered with the help",
            client.desk.pseudonym(PLATFORM, str(interaction.user.id)), SLASH_COMMAND,
            type(error).__name__,
        )  # fmt: skip
        if not interaction.response.is_done():
            # Through the desk like any command (limits, metrics); help answers at once.
            await client.run_command(interaction, COMMANDS_BY_NAME["help"], "help")


async def application_owners(client: discord.Client) -> frozenset[int]:
    """Who owns the application: its owner, or its team's members (except read-only ones).

    They are admins everywhere. If Discord won't say, only DISCORD_ADMIN_IDS and Manage
    Server in DISCORD_ADMIN_GUILD_IDS make admins.
    """
    try:
        info = await client.application_info()
    except discord.HTTPException as error:
        logger.warning("could not look up the Discord application's owner: %s", error)
        return frozenset()
    if info.team is None:
        return frozenset({info.owner.id})
    members = {m.id for m in info.team.members if m.role is not discord.TeamMemberRole.read_only}
    return frozenset(members | ({info.team.owner_id} if info.team.owner_id else set()))


async def sync_commands(tree: app_commands.CommandTree, guild_ids: list[int]) -> None:
    """Register the commands in `guild_ids` (they appear at once), or globally if none.

    A guild that refuses (the bot is not in it, or was invited without the
    applications.commands scope) is logged and skipped: mentions still work there.
    """
    if not guild_ids:
        synced = await tree.sync()
        logger.info("registered %d global Discord command(s)", len(synced))
        return
    for guild_id in guild_ids:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as error:
            logger.error("could not register the /%s command in guild %s: %s",
                         SLASH_COMMAND, guild_id, error)  # fmt: skip
        else:
            logger.info("registered %d Discord command(s) in guild %s", len(synced), guild_id)


def strip_mention(content: str, bot_id: int) -> str:
    """The message text without the bot's mentions (`<@id>`, `<@!id>`), spaces folded."""
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", content).split())


def thread_name(question: str) -> str:
    """A thread name from the question: at most 100 characters, never empty."""
    name = " ".join(question.split())
    return clip(name, MAX_THREAD_NAME) if name else DEFAULT_THREAD_NAME


__all__ = [
    "CasebotClient",
    "strip_mention",
    "thread_name",
]
