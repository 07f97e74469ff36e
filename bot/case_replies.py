"""What casebot says about its cases: the list (`/case cases`), the choice of a channel's
case (`/case use`), which case a question is about, and what a reload did to each case.

Everything here is casebot's own words around quotes: a case's latest development is
quoted verbatim, with its outlet and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.caller import Option
from bot.docket import Docket, LiveCase, Outcome
from bot.render.format import counted, format_date, format_time
from retrieval.model import Answer, Corpus

# Longest quotation of a case's latest development in the list of cases.
_LATEST_CHARS = 240
# Cases listed in full by `/case cases` (and the Home tab); more are listed a line each.
FULL_LISTING = 10
# Most cases named in a reply that lists them inline ("the cases: a, b, …").
_NAMED_INLINE = 12


def cases_answer(docket: Docket, channel_case: str | None = None) -> Answer:
    """`/case cases`: each case with its description, article count and latest
    development (quoted), and the case this channel chose, if any.

    More than `FULL_LISTING` cases are listed a line each, with the date of their latest
    development and a pointer to where it is quoted, so that every case fits one message
    of either platform.
    """
    if len(docket.cases) <= FULL_LISTING:
        lines = [case_line(case) for case in docket.cases.values()]
    else:
        lines = ["Where each stands, quoted from its sources: `/case status <case>`."]
        lines += [short_case_line(case) for case in docket.cases.values()]
    if channel_case is not None:
        named = docket.cases.get(channel_case)
        where = (
            f"{named.info.name} ({channel_case})" if named else f"{channel_case} (not served now)"
        )
        lines.append(f"This channel's case (`/case use`): {where}.")
    count = counted(len(docket.cases), "case")
    return Answer(kind="answer", text=f"casebot follows {count}:", notes=tuple(lines))


def case_line(case: LiveCase) -> str:
    """One case as `/case cases` and the Home tab list it."""
    info, index = case.info, case.index
    line = f"{info.name} ({info.id})"
    if info.description:
        line += f" — {info.description}"
    line += f": {counted(len(index.corpus.articles), 'article')}"
    latest = index.latest_development
    if latest is not None:
        text = " ".join(latest.text.split())
        if len(text) > _LATEST_CHARS:
            text = text[: _LATEST_CHARS - 1].rstrip() + "…"
        source = index.sources[latest.passage.source_id]
        line += f"; latest: “{text}” ({source.name}, {format_date(latest.date)})"
    return line


def short_case_line(case: LiveCase) -> str:
    """One case in a long list: name, id, article count, and the date of its latest
    development."""
    index = case.index
    line = f"{case.info.name} ({case.id}): {counted(len(index.corpus.articles), 'article')}"
    latest = index.latest_development
    if latest is not None:
        line += f", latest development reported {format_date(latest.date)}"
    return line


def options(docket: Docket, case_ids: Sequence[str]) -> tuple[Option, ...]:
    """The cases offered by a "choose" reply."""
    return tuple(
        Option(case_id, docket.cases[case_id].info.name, docket.cases[case_id].info.description)
        for case_id in case_ids
    )


def choose_answer(docket: Docket, case_ids: Sequence[str], *, console: bool = False) -> Answer:
    """The reply asking which case a command is about (the adapters add the buttons)."""
    several = len(case_ids) < len(docket.cases)
    text = (
        "Which case do you mean? Your question names more than one."
        if several
        else "Which case do you mean? Choose one and I'll answer."
    )
    how = (
        "Answer with its number or its id."
        if console
        else "Next time, name it (`/case ask linkedin: …`), or make it this channel's case "
        "(`/case use …`)."
    )
    lines = [f"{n}. {docket.cases[c].info.name} ({c})" for n, c in enumerate(case_ids, 1)]
    return Answer(kind="choose", text=text, notes=(*lines, how))


def unknown_case(reference: str, docket: Docket) -> Answer:
    """The refusal for a case reference that names no case served."""
    return Answer(
        kind="refused",
        text=f"I don't follow a case called “{reference[:60]}”. {named_cases(docket)}",
    )


def named_cases(docket: Docket) -> str:
    """"The cases: linkedin, couriers-v-parcelo." (or how to list them, when many)."""
    ids = list(docket.cases)
    if len(ids) > _NAMED_INLINE:
        return f"`/case cases` lists the {len(ids)} cases."
    return f"The cases: {', '.join(ids)}."


def use_answer(docket: Docket, case_id: str | None, before: str | None) -> Answer:
    """What `/case use` did."""
    if case_id is None:
        text = (
            "This channel has no case of its own now: a question that names no case is "
            "asked which case it means."
            if before is not None
            else "This channel had no case of its own."
        )
        return Answer(kind="answer", text=text)
    info = docket.cases[case_id].info
    return Answer(
        kind="answer",
        text=(
            f"This channel's case is now {info.name} ({case_id}): questions here that name no "
            "other case are answered from its sources."
        ),
        case=docket.label(case_id),
    )


def reload_answer(
    outcomes: Sequence[Outcome], docket: Docket, *, removed_follows: dict[str, list[str]]
) -> Answer:
    """What a reload did: for a deployment of one case, as casebot always said it; for
    several, a line per case that changed, failed, appeared or went.

    Args:
        outcomes: what happened to each case looked at.
        docket: the cases served after it.
        removed_follows: for each case that went, the channels following it.
    """
    if not docket.several and len(outcomes) == 1:
        return _one_case(outcomes[0])
    failed = [o for o in outcomes if o.change == "failed"]
    lines: list[str] = []
    for outcome in outcomes:
        if outcome.change == "unchanged":
            continue
        named = outcome.case
        if outcome.case in docket.cases:
            named = f"{docket.cases[outcome.case].info.name} ({outcome.case})"
        if outcome.change == "failed":
            kept = (
                f"still serving what it had, loaded at {format_time(outcome.before.loaded_at)}"
                if outcome.before is not None
                else "not served"
            )
            lines.append(f"{named}: failed; {kept}:")
            lines += [f"  {problem}" for problem in outcome.problems]
        elif outcome.change == "removed":
            lines.append(f"{named}: removed (its folder is gone).")
            channels = removed_follows.get(outcome.case, [])
            if channels:
                lines.append(
                    f"  {counted(len(channels), 'channel')} followed it and will get nothing "
                    f"until it is back: {', '.join(channels)}."
                )
        else:
            assert outcome.after is not None
            verb = "new case" if outcome.change == "added" else "reloaded"
            was = f" (was {len(outcome.before.passages)})" if outcome.before is not None else ""
            lines.append(
                f"{named}: {verb}, {counted(len(outcome.after.articles), 'article')}, "
                f"{counted(len(outcome.after.passages), 'passage')}{was}."
            )
            if outcome.before is not None:
                lines += [f"  {line}" for line in describe_changes(outcome.before, outcome.after)]
    unchanged = sum(1 for o in outcomes if o.change == "unchanged")
    if unchanged:
        lines.append(f"{counted(unchanged, 'case')} unchanged.")
    counts = {change: sum(1 for o in outcomes if o.change == change) for change in _CHANGES}
    said = ", ".join(f"{n} {_CHANGES[change]}" for change, n in counts.items() if n)
    served = counted(len(docket.cases), "case")
    text = (
        f"Reload: {said}; a case that failed keeps what it had. {served} served."
        if failed
        else f"Reloaded: {said}. {served} served."
    )
    return Answer(kind="error" if failed else "reload", text=text, notes=tuple(lines))


# How a reload's report counts the cases by what happened to them, in this order.
_CHANGES = {"failed": "failed", "rebuilt": "changed", "added": "new", "removed": "removed",
            "unchanged": "unchanged"}  # fmt: skip


def _one_case(outcome: Outcome) -> Answer:
    """The report of a reload of the only case, in the words it always had."""
    old, new = outcome.before, outcome.after
    if outcome.change == "failed":
        assert old is not None
        return reload_failed(outcome.problems, old.loaded_at)
    assert new is not None
    was = len(old.passages) if old is not None else 0
    return Answer(
        kind="reload",
        text=(
            f"Reloaded the corpus: {counted(len(new.articles), 'article')}, "
            f"{counted(len(new.passages), 'passage')} (was {was})."
        ),
        notes=describe_changes(old, new) if old is not None else (),
        loaded_at=new.loaded_at,
    )


def reload_failed(problems: Sequence[str], loaded_at: datetime) -> Answer:
    """The report of a failed reload of the only case: the corpus it still serves."""
    return Answer(
        kind="error",
        text=f"Reload failed; still serving the corpus loaded at {format_time(loaded_at)}.",
        notes=tuple(problems),
        loaded_at=loaded_at,
    )


def describe_changes(old: Corpus, new: Corpus) -> tuple[str, ...]:
    """Lines naming the articles added, changed (different file contents) and removed."""
    before = {article.source.id: article.fingerprint for article in old.articles}
    after = {article.source.id: article.fingerprint for article in new.articles}
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(key for key in after.keys() & before.keys() if after[key] != before[key])
    lines = [
        f"{label}: {', '.join(ids)}"
        for label, ids in (("Added", added), ("Changed", changed), ("Removed", removed))
        if ids
    ]
    return tuple(lines) or ("No articles changed.",)
