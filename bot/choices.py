"""Questions waiting for their asker to say which case they meant.

When routing can't tell which case a command is about (bot/routing.py), the desk keeps the
command here under a random token and replies with the candidates; each platform shows
them as its people expect (Slack: buttons, or a menu for many; Discord: a select menu;
the console: a numbered list). A choice carries the token and the case id
(`choice_value`); `take` gives the command back once, to the person who asked, within
`CHOICE_SECONDS`. One process keeps them in memory only: a restart forgets the questions
(a choice made after one gets a polite "ask again"). Replicas keep them in the database
too, so that the choice can reach any replica (bot/replicas/choices.py): `share` and
`recall` are where that happens, and do nothing here.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.caller import Caller
from bot.cases import MAX_ID_CHARS
from bot.commands import Command

# Long enough to read the choices and pick one; a question older than this is asked again.
CHOICE_SECONDS = 15 * 60.0
# Questions kept waiting at most; the oldest go first.
MAX_PENDING = 2000
# A choice's value: "cbcase:<token>:<case id>", within Discord's 100-character custom_id
# and option value; the prefix tells casebot's choices from anything else.
PREFIX = "cbcase"
_VALUE = re.compile(rf"{PREFIX}:(?P<token>[0-9a-f]{{16}}):(?P<case>[a-z0-9_-]{{1,{MAX_ID_CHARS}}})")


def choice_value(token: str, case_id: str) -> str:
    """The value of one choice (a Slack button's value, a Discord option's value)."""
    return f"{PREFIX}:{token}:{case_id}"


def parse_choice(value: object) -> tuple[str, str] | None:
    """(token, case id) of a choice's value, or None if it is not one of casebot's."""
    if not isinstance(value, str) or (match := _VALUE.fullmatch(value)) is None:
        return None
    return match["token"], match["case"]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A command waiting for its case: who asked it, where, and until when."""

    caller: Caller
    command: Command
    candidates: tuple[str, ...]
    expires: float


class PendingChoices:
    """The commands waiting for their asker's choice of case, bounded and expiring."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._waiting: OrderedDict[str, Waiting] = OrderedDict()

    def ask(self, caller: Caller, command: Command, candidates: tuple[str, ...]) -> str:
        """Keep `command` until `caller` picks one of `candidates`; returns the token."""
        token = secrets.token_hex(8)
        self._waiting[token] = Waiting(caller, command, candidates, self._clock() + CHOICE_SECONDS)
        while len(self._waiting) > MAX_PENDING:
            self._waiting.popitem(last=False)
        return token

    async def share(self, token: str) -> None:
        """Keep the question `token` where other replicas find it (after `ask`). In
        memory, there is nowhere else."""

    async def recall(self, token: str, clicker: Caller) -> None:
        """Bring the question `token` from wherever other replicas keep it, if it is
        `clicker`'s (before `take`). In memory, there is nowhere else."""

    def take(self, clicker: Caller, token: str, case_id: str) -> Waiting | str:
        """The waiting command the choice answers, given up once; or why there is none."""
        waiting = self._waiting.get(token)
        if waiting is None:
            return (
                "I no longer have that question (it was answered, or casebot restarted): "
                "please ask it again."
            )
        if (waiting.caller.platform, waiting.caller.user_id) != (clicker.platform, clicker.user_id):
            return "Only the person who asked can choose the case for that question."
        del self._waiting[token]
        if self._clock() > waiting.expires:
            return "That question has waited too long: please ask it again."
        if case_id not in waiting.candidates:
            return "That case wasn't one of the choices: please ask again."
        return waiting
