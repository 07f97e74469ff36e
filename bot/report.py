"""The report of what people asked and what they thought of the answers.

`casebot report` and the admins' `/case report` show the same figures, read from the store:
questions answered and declined per day, the votes per answer kind (and the "Wrong source?"
reasons), the passages voted down most, and, only when question text is stored
(CASEBOT_STORE_QUESTIONS), the questions declined most (what the corpus lacks) and the
questions voted down most. Of one case (`/case report linkedin`, `casebot report --case`),
or of all of them with the questions answered and declined per case.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from bot.cases import read_layout
from bot.feedback import REASONS, passage_key
from bot.render.format import counted
from bot.settings import Settings
from bot.store import Store
from retrieval.corpus import CorpusError, load_corpus
from retrieval.model import Answer, Corpus

DEFAULT_SINCE_DAYS = 30
# The longest period a report covers: ten years is longer than casebot has records for, and
# far enough from the calendar's end (999999 days back is before year 1).
MAX_SINCE_DAYS = 3650
# Longest lists of passages and questions shown.
TOP = 10
# A passage is named by its article and its first words.
_PASSAGE_CHARS = 80


def since_days(argument: str) -> int:
    """The days `/case report 7` or `casebot report --since 7` asks for: the first word, a
    whole number; 30 when there is none (`days_problem` says whether a report covers it).

    Raises:
        ValueError: with the sentence to show, when the first word is not a whole number
            (`report abc` must not quietly mean 30 days).
    """
    words = argument.split()
    if not words:
        return DEFAULT_SINCE_DAYS
    word = words[0]
    if _WHOLE_NUMBER.fullmatch(word):
        return int(word)
    shown = word if len(word) <= 20 else word[:19] + "…"
    raise ValueError(
        f"“{shown}” is not a number of days: give a whole number, e.g. report 7 for the "
        f"last 7 days ({DEFAULT_SINCE_DAYS} when none is given)"
    )


# Digits only in ASCII ("٣" is a digit to str.isdigit), and few enough for int().
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,100}")


def report_arguments(argument: str, *, several: bool) -> tuple[int, str | None]:
    """`/case report [days]`, or in a deployment of `several` cases `report [case] [days]`
    in either order: the days (as `since_days` reads them) and the case typed, if any.

    Raises:
        ValueError: as `since_days` does.
    """
    if not several:
        return since_days(argument), None
    words = argument.split()
    days = [word for word in words if _WHOLE_NUMBER.fullmatch(word)]
    case = " ".join(word for word in words if not _WHOLE_NUMBER.fullmatch(word))
    return since_days(" ".join(days[:1])), case or None


def days_problem(days: int) -> str | None:
    """Why a report cannot cover `days` days, or None when it can."""
    if 0 <= days <= MAX_SINCE_DAYS:
        return None
    return f"a report covers 0 to {MAX_SINCE_DAYS:,} days (ten years), not {days:,}"


@dataclass(frozen=True, slots=True)
class Report:
    """The report's figures; the question lists are None when question text is not stored."""

    since: datetime
    days: tuple[tuple[str, int, int], ...]  # (day, answered, declined)
    votes: tuple[tuple[str, int, int], ...]  # (answer kind, 👍, 👎)
    reasons: tuple[tuple[str, int], ...]  # (reason, count)
    down_passages: tuple[tuple[str, str, int], ...]  # (case id, passage key, 👎)
    declined_questions: tuple[tuple[str, int], ...] | None
    down_questions: tuple[tuple[str, int], ...] | None
    # The case it is about (None: all), and for all, (case id, answered, declined) of each.
    case: str | None = None
    per_case: tuple[tuple[str, int, int], ...] = ()

    @property
    def answered(self) -> int:
        return sum(answered for _, answered, _ in self.days)

    @property
    def declined(self) -> int:
        return sum(declined for _, _, declined in self.days)


async def build_report(
    store: Store,
    *,
    since_days: int = DEFAULT_SINCE_DAYS,
    now: datetime | None = None,
    case_id: str | None = None,
) -> Report:
    """The figures of the last `since_days` days (to `now`), of `case_id` or of every case."""
    since = (now or datetime.now(UTC)) - timedelta(days=since_days)
    of = {"case_id": case_id}
    per_day: dict[str, list[int]] = {}
    for day, kind, count in await store.answers_per_day(since, **of):
        counts = per_day.setdefault(day, [0, 0])
        counts[0 if kind == "answer" else 1] += count
    stored = store.store_questions
    return Report(
        since=since,
        days=tuple((day, answered, declined) for day, (answered, declined) in per_day.items()),
        votes=tuple(await store.votes_per_kind(since, **of)),
        reasons=tuple(await store.reasons(since, **of)),
        down_passages=tuple((await store.down_voted_passages(since, **of))[:TOP]),
        declined_questions=(
            tuple((await store.frequent_questions(since, declined=True, **of))[:TOP])
            if stored
            else None
        ),
        down_questions=(
            tuple((await store.frequent_questions(since, declined=False, **of))[:TOP])
            if stored
            else None
        ),
        case=case_id,
        per_case=tuple(await store.answers_per_case(since)) if case_id is None else (),
    )


def report_lines(
    report: Report,
    corpora: Mapping[str, Corpus] | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[str, str, ...]:
    """The report as text: a heading, then one line per figure.

    Args:
        report: the figures.
        corpora: each case's corpus, by id, to quote the passages voted down.
        names: each case's name, by id, in a deployment of several: the report then names
            the case of each passage, and gives the questions per case.
    """
    heading = (
        f"Since {report.since:%Y-%m-%d %H:%M} UTC: {counted(report.answered, 'question')} "
        f"answered, {report.declined} declined."
    )
    if names is not None and report.case is not None:
        heading = f"{names.get(report.case, report.case)}: {heading}"
    lines = []
    if names is not None and report.case is None:
        lines += _listed(
            "Per case (answered / declined):",
            [f"{_case_name(case, names)}: {a} / {d}" for case, a, d in report.per_case],
            "no questions",
        )
    lines += _listed(
        "Per day (answered / declined):",
        [f"{day}: {answered} / {declined}" for day, answered, declined in report.days],
        "no questions",
    )
    lines += _listed(
        "Feedback per answer kind (👍 / 👎):",
        [f"{kind}: {up} / {down}" for kind, up, down in report.votes],
        "no votes",
    )
    if report.reasons:
        labels: dict[str, str] = {**REASONS}
        said = (f"{labels.get(reason, reason).lower()} {n}" for reason, n in report.reasons)
        lines.append("Wrong source?: " + ", ".join(said))
    several = names is not None
    lines += _listed(
        "Passages voted down most (👎):",
        [f"{n} × {_passage(case, key, corpora, several=several)}"
         for case, key, n in report.down_passages],  # fmt: skip
        "none",
    )
    for title, questions in (
        ("Questions declined most (what the sources lack):", report.declined_questions),
        ("Questions voted down most:", report.down_questions),
    ):
        if questions is not None:
            lines += _listed(title, [f"{n} × “{question}”" for question, n in questions], "none")
    if report.declined_questions is None:
        lines.append(
            "Question text is not stored (CASEBOT_STORE_QUESTIONS=false), so the questions "
            "declined and voted down most are not known."
        )
    return heading, *lines


def _listed(title: str, rows: list[str], empty: str) -> list[str]:
    """A titled list of the report, each row indented; `empty` when it has none."""
    return [title, *(f"  {row}" for row in rows or [empty])]


def report_answer(
    report: Report,
    corpora: Mapping[str, Corpus] | None = None,
    names: Mapping[str, str] | None = None,
) -> Answer:
    """The report as the chat reply to `/case report`."""
    heading, *lines = report_lines(report, corpora, names)
    return Answer(kind="answer", text=heading, notes=tuple(lines))


def report_to_json(
    report: Report, corpora: Mapping[str, Corpus] | None = None
) -> dict[str, Any]:
    """The report as one JSON object (`casebot report --json`)."""
    return {
        "since": report.since.isoformat(timespec="seconds"),
        "case": report.case,
        "answered": report.answered,
        "declined": report.declined,
        "cases": [
            {"case": case, "answered": answered, "declined": declined}
            for case, answered, declined in report.per_case
        ],
        "days": [
            {"day": day, "answered": answered, "declined": declined}
            for day, answered, declined in report.days
        ],
        "votes": [{"kind": kind, "up": up, "down": down} for kind, up, down in report.votes],
        "reasons": {reason: n for reason, n in report.reasons},
        "down_voted_passages": [
            {"case": case, "passage": key, "down": n, "text": _passage_text(case, key, corpora)}
            for case, key, n in report.down_passages
        ],
        "declined_questions": _questions_json(report.declined_questions),
        "down_voted_questions": _questions_json(report.down_questions),
    }


def _questions_json(questions: tuple[tuple[str, int], ...] | None) -> list[Any] | None:
    if questions is None:
        return None
    return [{"question": question, "count": n} for question, n in questions]


def _case_name(case_id: str, names: Mapping[str, str]) -> str:
    if case_id in names:
        return f"{names[case_id]} ({case_id})"
    if not case_id:
        return "(from before casebot served several cases)"
    return f"{case_id} (not served now)"


def _passage(
    case_id: str, key: str, corpora: Mapping[str, Corpus] | None, *, several: bool
) -> str:
    text = _passage_text(case_id, key, corpora)
    named = f"{case_id}: {key}" if several else key
    return f"{named}: “{text}”" if text is not None else f"{named} (no longer in the corpus)"


def _passage_text(
    case_id: str, key: str, corpora: Mapping[str, Corpus] | None
) -> str | None:
    """The first words of the passage `key` names in the case's corpus, or None if the
    corpus lacks it."""
    corpus = (corpora or {}).get(case_id)
    if corpus is None:
        return None
    for article in corpus.articles:
        for passage in article.passages:
            if passage_key(passage.source_id, passage.position) == key:
                text = " ".join(passage.text.split())
                return text if len(text) <= _PASSAGE_CHARS else text[: _PASSAGE_CHARS - 1] + "…"
    return None


async def print_report(
    settings: Settings,
    *,
    since_days: int,
    as_json: bool,
    case_id: str | None = None,
    out: TextIO | None = None,
) -> int:
    """`casebot report`: print the report of the store at CASEBOT_DB_PATH (of `case_id`, or
    of every case); the exit code.

    The database must exist: a report of a new, empty one would only say "no questions".
    The cases' articles are read only to quote the passages voted down; a case that can't
    be read has them named without their words.

    Raises:
        MissingDatabase: there is no database at CASEBOT_DB_PATH.
    """
    out = out or sys.stdout
    if (problem := days_problem(since_days)) is not None:
        print(f"casebot report: --since: {problem}.", file=sys.stderr)
        return 1
    layout = read_layout(settings.corpus_dir)
    if case_id is not None and layout.case(case_id) is None:
        known = ", ".join(case.id for case in layout.cases) or "none"
        print(
            f"casebot report: there is no case {case_id!r} (the cases: {known}).", file=sys.stderr
        )
        return 1
    store = await Store.from_settings(settings, create=False)
    try:
        report = await build_report(store, since_days=since_days, case_id=case_id)
    finally:
        await store.close()
    corpora: dict[str, Corpus] = {}
    for case in layout.cases:
        if case_id is None or case.id == case_id:
            try:
                corpora[case.id] = load_corpus(case.directory)
            except CorpusError:
                pass
    names = {case.id: case.name for case in layout.cases} if layout.several else None
    if as_json:
        print(json.dumps(report_to_json(report, corpora), ensure_ascii=False), file=out)
    else:
        print("\n".join(report_lines(report, corpora, names)), file=out)
    return 0
