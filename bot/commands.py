"""The chat grammar every front end speaks: the command table, the parser and the help text.

Slack's `/case status`, a Discord slash command, a mention in a thread and a console line all
go through `parse_command`, so a user gets the same behaviour wherever they type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from retrieval.model import Answer

CommandName = Literal[
    "status", "ask", "timeline", "sources", "cases", "use", "reload", "add", "remove", "follow",
    "unfollow", "following", "report", "help",
]

# The slash command users type; adapters register it under this name.
SLASH_COMMAND = "case"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of the grammar, as users see it and as the desk gates it.

    Args:
        name: the subcommand word.
        usage: how to type it after the slash command, e.g. "ask <question>".
        description: one line saying what it does (short enough for a Discord description).
        admin_only: only admins may run it; the desk refuses everyone else.
        public: its answer is shown to the whole channel by default (otherwise only to the
            person who asked). Refusals and errors are always private.
        channel_managers: besides admins, whoever may manage the channel it is typed in
            may run it (on Discord, Manage Channels there); for follow and unfollow, with
            CASEBOT_ANYONE_CAN_FOLLOW, anyone; for use, anyone in their own DM (or the
            console). The desk gates and audits it like an admin command.
        case_usage: how it is typed in a deployment of several cases, when that differs
            (the help shows it then).
    """

    name: CommandName
    usage: str
    description: str
    admin_only: bool = False
    public: bool = False
    channel_managers: bool = False
    case_usage: str | None = None

    @property
    def audited(self) -> bool:
        """Whether every attempt to run it goes into the audit log."""
        return self.admin_only or self.channel_managers


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        name="status",
        usage="status",
        description="Where the case stands, quoted from the latest reports.",
        public=True,
        case_usage="status [case]",
    ),
    CommandSpec(
        name="ask",
        usage="ask <question>",
        description="Answer a question about the case by quoting the news articles.",
        public=True,
        case_usage="ask [case:] <question>",
    ),
    CommandSpec(
        name="timeline",
        usage="timeline",
        description="The dated events of the case, each with the quote that reports it.",
        public=True,
        case_usage="timeline [case]",
    ),
    CommandSpec(
        name="sources",
        usage="sources",
        description="The articles casebot quotes from.",
        public=True,
        case_usage="sources [case]",
    ),
    CommandSpec(
        name="cases",
        usage="cases",
        description="The cases casebot follows, each with its latest development.",
        public=True,
    ),
    CommandSpec(
        name="use",
        usage="use <case>",
        description="Make a case this channel's own: questions here go to it (admins).",
        channel_managers=True,
    ),
    CommandSpec(
        name="reload",
        usage="reload",
        description="Reload the articles from disk (admins only).",
        admin_only=True,
        case_usage="reload [case]",
    ),
    CommandSpec(
        name="follow",
        usage="follow",
        description="Post each new development of the case in this channel, once (admins).",
        channel_managers=True,
        case_usage="follow [case]",
    ),
    CommandSpec(
        name="unfollow",
        usage="unfollow",
        description="Stop posting new developments in this channel (admins).",
        channel_managers=True,
        case_usage="unfollow [case]",
    ),
    CommandSpec(
        name="following",
        usage="following",
        description="List the channels that follow the case (admins only).",
        admin_only=True,
    ),
    CommandSpec(
        name="add",
        usage="add <url>",
        description="Preview a news article by its URL, then add it to the corpus (admins only).",
        admin_only=True,
        case_usage="add [case:] <url>",
    ),
    CommandSpec(
        name="remove",
        usage="remove <source id>",
        description="Take an article out of the corpus; the file is kept aside (admins only).",
        admin_only=True,
        case_usage="remove [case:] <source id>",
    ),
    CommandSpec(
        name="report",
        usage="report [days]",
        description="What people asked, what was declined, and their votes (admins only).",
        admin_only=True,
        case_usage="report [case] [days]",
    ),
    CommandSpec(
        name="help",
        usage="help",
        description="Show what casebot can do.",
    ),
)

COMMANDS_BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed chat line.

    Args:
        name: the command to run.
        argument: the question for "ask"; any words after other commands (ignored).
        unknown: for "help", the word the user typed that is not a command, if that is
            why help is shown.
    """

    name: CommandName
    argument: str = ""
    unknown: str | None = None

    @property
    def spec(self) -> CommandSpec:
        return COMMANDS_BY_NAME[self.name]


_SLASH_PREFIX = re.compile(rf"^/{SLASH_COMMAND}(?:\s+|$)", re.IGNORECASE)
# "@casebot sources" typed as plain text (the console, or a chat without autocomplete):
# the platforms' real mentions are taken off by the adapters before parsing.
_TYPED_MENTION = re.compile(r"^@casebot\b[:,]?\s*", re.IGNORECASE)
_BARE_PREFIX = re.compile(rf"^{SLASH_COMMAND}(?:\s+|$)", re.IGNORECASE)
# Longer "unknown commands" are echoed back cut to this, so a reply can't be used to post
# an arbitrary long text.
_MAX_UNKNOWN_CHARS = 40
_ONE_WORD_ARGUMENT = frozenset({"add", "remove"})
# "add linkedin: https://…", "remove linkedin: the-article": one word after a case and a colon.
_CASE_AND_WORD = re.compile(r"^[^:\s][^:]{0,199}:\s*\S+$")


def parse_command(text: str) -> Command:
    """Parse one chat line into a command.

    Rules, in order:

    * A leading "@casebot" typed as text is stripped.
    * A leading "/case" is stripped. A leading bare "case" is stripped for recognising a
      subcommand, but stays in a question ("case dismissed?" is asked as typed).
    * Nothing left → help.
    * A subcommand word (any case) → that command. "ask" takes the rest as the question
      (none → help). Any other subcommand followed by more words that end in "?" is a
      question instead ("status of the appeal?").
    * One word that is not a subcommand and has no "?" → help, naming the unknown word.
    * Anything else → a question: the whole text.
    """
    text = _TYPED_MENTION.sub("", text.strip(), count=1)
    question = _SLASH_PREFIX.sub("", text, count=1).strip()
    rest = _BARE_PREFIX.sub("", question, count=1).strip()
    if not rest:
        return Command(name="help")

    first, *more = rest.split(maxsplit=1)
    remainder = more[0].strip() if more else ""
    word = first.lower()

    if word == "ask":
        if not _has_words(remainder):
            return Command(name="help")
        return Command(name="ask", argument=remainder)
    if word in _ONE_WORD_ARGUMENT and len(remainder.split()) > 1 and (
        not _CASE_AND_WORD.match(remainder)
    ):
        # "add <url>" and "remove <id>" take one word (after a case and a colon, if one is
        # named); "add up the damages" is a question.
        return Command(name="ask", argument=question)
    if word in COMMANDS_BY_NAME:
        if remainder and question.endswith("?"):
            return Command(name="ask", argument=question)
        return Command(name=word, argument=remainder)  # type: ignore[arg-type]
    if not remainder and "?" not in first:
        return Command(name="help", unknown=_shorten(first))
    return Command(name="ask", argument=question)


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _shorten(word: str) -> str:
    return word if len(word) <= _MAX_UNKNOWN_CHARS else word[: _MAX_UNKNOWN_CHARS - 1] + "…"


# --- help ------------------------------------------------------------------------------

# No case is named here: the same bot serves whatever case its corpus is about, so the
# example question is one any lawsuit's reporting answers.
EXAMPLE_QUESTION = "who filed the lawsuit?"
HELP_INTRO = (
    "I answer questions about the lawsuit my sources report on, only by quoting those "
    "articles and filings."
)
HELP_INTRO_SEVERAL = (
    "I answer questions about the lawsuits my sources report on, each only by quoting its "
    "own articles and filings."
)


def help_lines(*, console: bool = False, several: bool = False) -> tuple[str, ...]:
    """The help text after the intro: one line per command, then how to ask questions.

    In Slack and Discord commands are typed after /case; in `casebot chat` on their own,
    and there are no threads or mentions to explain. A deployment of `several` cases
    shows where a case may be named, and how a question finds its case.
    """
    typed = "" if console else f"/{SLASH_COMMAND} "
    lines = [
        f"{typed}{(spec.case_usage if several else None) or spec.usage} — {spec.description}"
        for spec in COMMANDS
    ]
    lines.append(f"Any other text is a question, e.g. {typed}{EXAMPLE_QUESTION}")
    if several:
        lines.append(
            "A question goes to the case it names (a party, or a name from cases), else to "
            f"this channel's case ({typed}use), else I ask which case you mean."
        )
    if console:
        lines.append("quit, exit, Ctrl-D or Ctrl-C ends the chat.")
    else:
        lines.append(
            "In Slack threads (where slash commands don't work) and anywhere else, mention "
            "me with a question, e.g. @casebot when was the suit filed?"
        )
        lines.append("On Discord, reload, add and remove are under /case-admin.")
    return tuple(lines)


# A command named in an answer's notes, as chat platforms type it ("`/case sources`").
_NAMED_COMMAND = re.compile(rf"`/{SLASH_COMMAND} ([a-z]+)`")


def for_console(answer: Answer, typed: str = "") -> Answer:
    """`answer` as the console says it: its help and the commands its notes name, typed
    with `typed` before them ("" in `casebot chat`, "casebot " on the command line)."""
    if answer.kind == "help":
        notes = help_lines(console=True)
    else:
        notes = tuple(_NAMED_COMMAND.sub(rf"`{typed}\1`", note) for note in answer.notes)
    return replace(answer, notes=notes)


def help_answer(unknown: str | None = None, *, several: bool = False) -> Answer:
    """The help reply; when `unknown` is given, it first says that word is not a command."""
    text = HELP_INTRO if not several else HELP_INTRO_SEVERAL
    if unknown is not None:
        text = f"I don't know the command “{unknown}”. {text}"
    return Answer(kind="help", text=text, notes=help_lines(several=several))
