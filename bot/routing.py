"""Which case answers a command: the one place that decides it (the desk asks `route`).

In a deployment of several cases, in order:

1. the case named in the command: an option or `--case` (`named`), typed before a colon
   ("ask linkedin: who sued?", "add linkedin: https://…", "linkedin: who sued?"), or the
   whole argument of a command that takes nothing else ("status linkedin");
2. the case the question names by a party, an alias, its name or its id ("what did
   LinkedIn say?"), or for `remove` the case holding that source: only when exactly one
   case is named;
3. the case of the thread's previous question (a follow-up stays with its case);
4. the channel's case (`/case use`);
5. the only case;

otherwise casebot asks which case, offering the cases the question named (or, for
`unfollow`, those the channel follows), else all of them. A deployment of one case routes
everything to it, as casebot always did.

Names are matched whole-word and regardless of case; a leading "the" is optional
("the inmail case", "inmail case"). Reading a question for names is one regular
expression over it (`Names`), built once per set of cases.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.cases import CaseInfo
from bot.commands import Command

# Commands answered from one case's snapshot, and so routed.
ROUTED = frozenset({"ask", "status", "timeline", "sources", "follow", "unfollow", "add", "remove"})
# Commands whose whole argument can only be a case ("status linkedin").
_CASE_ARGUMENT = frozenset({"status", "timeline", "sources", "follow", "unfollow"})
# "linkedin: who is suing?", "add linkedin: https://…": a case before a colon.
_PREFIXED = re.compile(r"^\s*(?P<ref>[^:\n]{1,200}?)\s*:\s*(?P<rest>.*)$", re.DOTALL)
# Names shorter than this are too likely to be an ordinary word of a question.
_MIN_MATCHED_CHARS = 3
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def fold(name: str) -> str:
    """A name as it is compared: lower case, one space between words, no leading "the"."""
    return _LEADING_THE.sub("", " ".join(name.casefold().split()))


class Names:
    """What a set of cases may be called, for naming one in a command or a question.

    Args:
        cases: the cases served.
    """

    def __init__(self, cases: Sequence[CaseInfo]) -> None:
        self._ids = {case.id for case in cases}
        self._owners: dict[str, tuple[str, ...]] = {}
        for case in cases:
            for name in case.names:
                key = fold(name)
                if key and case.id not in self._owners.get(key, ()):
                    self._owners[key] = (*self._owners.get(key, ()), case.id)
        matched = sorted(
            (key for key in self._owners if len(key) >= _MIN_MATCHED_CHARS), key=len, reverse=True
        )
        alternatives = "|".join(r"\s+".join(map(re.escape, key.split())) for key in matched)
        # Longest first, so "de la torre" wins over a shorter name inside it.
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if matched else None

    def resolve(self, reference: str) -> tuple[str, ...]:
        """The cases `reference` names, as typed in a command: its id first, else every
        case it is a name of (several when they share it; none when it names none)."""
        key = fold(reference.strip().rstrip(":"))
        if key in self._ids:
            return (key,)
        return self._owners.get(key, ())

    def mentioned(self, text: str) -> tuple[str, ...]:
        """The cases `text` names anywhere in it, each once, in the order named."""
        if self._pattern is None:
            return ()
        found: dict[str, None] = {}
        for match in self._pattern.finditer(" ".join(text.casefold().split())):
            for case_id in self._owners[fold(match.group())]:
                found[case_id] = None
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a command goes.

    Args:
        command: the command to run, with a case named in it taken out of its argument.
        case: the case that answers; None when casebot must ask (or refuse).
        candidates: when `case` is None, the cases to offer.
        unknown: a case reference that names no case ("status foo"), to refuse with.
        how: which rule decided ("named", "question", "thread", "channel", "only"), for
            the log and the tests.
    """

    command: Command
    case: str | None
    candidates: tuple[str, ...] = ()
    unknown: str | None = None
    how: str = ""


async def route(
    command: Command,
    names: Names,
    case_ids: Sequence[str],
    *,
    named: str | None = None,
    hinted: Sequence[str] = (),
    thread: str | None = None,
    channel: Callable[[], Awaitable[str | None]] | None = None,
) -> Route:
    """The case that answers `command` (see the module's docstring for the order).

    Args:
        command: the parsed command (one of `ROUTED`).
        names: the names of the cases served.
        case_ids: the ids of the cases served, in order.
        named: a case named outside the text (a Discord option, `--case`).
        hinted: cases the command's content points at besides names: for `remove`, the
            cases holding the source; for `unfollow`, those the channel follows.
        thread: the case of the thread's previous question, if any.
        channel: looks up the channel's case (`/case use`); awaited only when needed.
    """
    if named is not None:
        found = names.resolve(named)
        if len(found) != 1:
            return Route(command, None, found, unknown=named if not found else None)
        return Route(_without_reference(command, names), found[0], how="named")
    reference, command = _reference(command, names)
    if reference is not None:
        found = names.resolve(reference)
        if len(found) == 1:
            return Route(command, found[0], how="named")
        if not found and len(case_ids) > 1:
            return Route(command, None, unknown=reference)
        if found:
            return Route(command, None, found)
    if len(case_ids) == 1:
        return Route(command, case_ids[0], how="only")
    if command.name == "ask":
        hinted = names.mentioned(command.argument) or hinted
    if len(hinted) == 1:
        return Route(command, hinted[0], how="question")
    if thread is not None and command.name == "ask" and thread in case_ids:
        return Route(command, thread, how="thread")
    chosen = await channel() if channel is not None else None
    # The channel's case, unless the command points at others ("compare LinkedIn and
    # Parcelo" in a channel about a third case asks which of the two).
    if chosen is not None and chosen in case_ids and (not hinted or chosen in hinted):
        return Route(command, chosen, how="channel")
    return Route(command, None, tuple(hinted) or tuple(case_ids))


def _reference(command: Command, names: Names) -> tuple[str | None, Command]:
    """A case typed in the command's argument, and the command without it.

    "status linkedin": the whole argument. "ask linkedin: who sued?", "add linkedin: URL":
    the words before a colon, only when they name a case (a question may hold a colon of
    its own: "quick one: who sued?").
    """
    argument = command.argument.strip()
    if not argument:
        return None, command
    if command.name in _CASE_ARGUMENT:
        return argument, replace(command, argument="")
    match = _PREFIXED.match(argument)
    if match is not None and names.resolve(match["ref"]):
        return match["ref"], replace(command, argument=match["rest"].strip())
    return None, command


def _without_reference(command: Command, names: Names) -> Command:
    """The command with any case typed in it taken out too (a case given twice)."""
    return _reference(command, names)[1]
