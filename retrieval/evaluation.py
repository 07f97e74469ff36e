"""Scores casebot's answers against a question file: the figures `casebot eval` prints.

A question file is TOML with one `[[q]]` table per item:

    ask = "whos the plantiff"            the question, as a person would type it
    expect = ["De La Torre", ...]        answerable: any one of these must be shown
    top = true                           one sentence answers it: the first quote should
    abstain = true                       unanswerable: the sources don't say
    conflict = true                      the sources disagree on it: the answer should say so
                                         (older files write `note = "conflict"`; read the same)

Matching folds case, whitespace and curly quotes. What counts as shown is what a reader
sees in casebot's words and the sources': the answer's text, its notes and its quotes
(and, for a listing of the sources, their outlets, titles, authors and URLs).

Every answer is in one of three tiers (retrieval/answering/tiers.py): *confident* (an
answer), *closest* (the sources may not say it directly: the closest sentences, labelled
so) or *not covered* (nothing quoted). The figures, per file or case:
- found: answerable items whose confident or closest answer shows an expected string;
- confident-correct: answerable items answered confidently with an expected string;
- misled: items answered confidently where the sources don't say it, or without an
  expected string, of all items (the worst thing casebot can do);
- declined: unanswerable items answered closest or not covered;
- first quote: `top` items whose first quote holds an expected string;
- disagreements: `conflict` items whose answer shows that the sources disagree (on the
  values their `expect` strings give, where they give two: `shows_disagreement`);
- idle quotes: the share of a confident answer's quotes that hold no expected string
  (a quote given confidently to an unanswerable item holds none by definition). Closest
  quotes are labelled as the closest, not as answers, and are not counted here.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retrieval.language.dates import MONTHS
from retrieval.errors import CasebotError
from retrieval.model import Answer, Conflict


@dataclass(frozen=True, slots=True)
class Item:
    ask: str
    expect: tuple[str, ...] = ()
    top: bool = False
    abstain: bool = False
    conflict: bool = False


def tier(answer: Answer) -> str:
    """"confident", "closest" or "not covered"."""
    if answer.kind in ("no_answer", "error", "refused", "limited"):
        return "closest" if answer.closest and answer.quotes else "not covered"
    return "confident"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one item fared."""

    item: Item
    answer: Answer
    tier: str
    shows: bool  # an expected string is shown (always False for an unanswerable item)
    first_quote: bool  # the first quote holds an expected string
    idle_quotes: int  # a confident answer's quotes holding no expected string

    @property
    def passed(self) -> bool:
        """Answered confidently with an expected string, or declined as it should be."""
        if self.item.abstain:
            return self.tier != "confident"
        return self.tier == "confident" and self.shows

    @property
    def misled(self) -> bool:
        return self.tier == "confident" and (self.item.abstain or not self.shows)


@dataclass(frozen=True, slots=True)
class Summary:
    items: int
    answerable: int
    found: int
    confident_correct: int
    misled: int
    unanswerable: int
    declined: int
    first_quote: int
    first_quote_items: int
    confident_quotes: int
    idle_quotes: int
    conflict_items: int = 0
    disagreements: int = 0  # conflict items whose answer shows a disagreement
    quotes: int = 0
    verbatim: int = 0  # quotes found word for word in their passage

    @property
    def idle_share(self) -> float:
        return self.idle_quotes / self.confident_quotes if self.confident_quotes else 0.0

    @property
    def fidelity(self) -> float:
        return self.verbatim / self.quotes if self.quotes else 1.0

    def __add__(self, other: Summary) -> Summary:
        return Summary(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(summary: Summary) -> tuple[int, ...]:
    return tuple(getattr(summary, name) for name in Summary.__slots__)


class EvalFileError(CasebotError, ValueError):
    """A question file that can't be read: names the file and the problem."""


def load_items(path: str | Path) -> list[Item]:
    """The items of a question file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError) as error:
        raise EvalFileError(f"{path}: {error}") from None
    items = []
    for n, entry in enumerate(raw.get("q", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("ask"), str):
            raise EvalFileError(f"{path}: item {n} has no `ask` string")
        expect = entry.get("expect", [])
        abstain = bool(entry.get("abstain", False))
        if not abstain and not (isinstance(expect, list) and expect and all(isinstance(e, str) for e in expect)):
            raise EvalFileError(f"{path}: item {n} needs `expect` (a list of strings) or `abstain = true`")
        items.append(
            Item(
                ask=entry["ask"],
                expect=tuple(expect),
                top=bool(entry.get("top")),
                abstain=abstain,
                conflict=bool(entry.get("conflict")) or entry.get("note") == "conflict",
            )
        )
    if not items:
        raise EvalFileError(f"{path}: no [[q]] items")
    return items


def fold(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(text.casefold().split())


def _shown(answer: Answer) -> str:
    parts = [answer.text, *answer.notes, *(q.text for q in answer.quotes)]
    for summary in answer.sources:
        s = summary.source
        parts += [x for x in (s.outlet, s.title, s.author, s.url) if x]
    return fold(" ".join(parts))


def holds(text: str, expect: Iterable[str]) -> bool:
    """Whether a text holds any of the expected strings (folded)."""
    folded = fold(text)
    return any(fold(e) in folded for e in expect)


def score(item: Item, answer: Answer) -> Outcome:
    """How an answer fares against its item."""
    level = tier(answer)
    shows = not item.abstain and level != "not covered" and holds(_shown(answer), item.expect)
    first = not item.abstain and bool(answer.quotes) and holds(answer.quotes[0].text, item.expect)
    idle = 0
    if level == "confident":
        idle = sum(item.abstain or not holds(q.text, item.expect) for q in answer.quotes)
    return Outcome(item, answer, level, shows, first, idle)


def summarise(outcomes: list[Outcome], verbatim: Callable[[Answer], tuple[int, int]] | None = None) -> Summary:
    """The figures of a list of outcomes. `verbatim` gives an answer's (quotes, quotes
    found word for word in their passages)."""
    answerable = [o for o in outcomes if not o.item.abstain]
    unanswerable = [o for o in outcomes if o.item.abstain]
    marked = [o for o in answerable if o.item.top]
    checked = [verbatim(o.answer) for o in outcomes] if verbatim is not None else [(0, 0)]
    return Summary(
        items=len(outcomes),
        answerable=len(answerable),
        found=sum(o.shows for o in answerable),
        confident_correct=sum(o.tier == "confident" and o.shows for o in answerable),
        misled=sum(o.misled for o in outcomes),
        unanswerable=len(unanswerable),
        declined=sum(o.tier != "confident" for o in unanswerable),
        first_quote=sum(o.first_quote for o in marked),
        first_quote_items=len(marked),
        confident_quotes=sum(len(o.answer.quotes) for o in outcomes if o.tier == "confident"),
        idle_quotes=sum(o.idle_quotes for o in outcomes),
        conflict_items=sum(o.item.conflict for o in outcomes),
        disagreements=sum(o.item.conflict and o.tier != "not covered" and shows_disagreement(o) for o in outcomes),
        quotes=sum(q for q, _ in checked),
        verbatim=sum(v for _, v in checked),
    )


def shows_disagreement(outcome: Outcome) -> bool:
    """Whether a conflict-marked item's answer shows its disagreement: where its expected
    strings give two or more values, a conflict that sets two of them against each other
    (a conflict about something else is no credit); otherwise any conflict."""
    listed, _ = listed_disagreements([outcome.item])
    if not listed:
        return bool(outcome.answer.conflicts)
    return shown_by(listed[0], outcome.answer.conflicts) is not None


def evaluate(
    items: list[Item], answer: Callable[[str], Answer], verbatim: Callable[[Answer], tuple[int, int]] | None = None
) -> tuple[list[Outcome], Summary]:
    """Asks every item and scores it; returns the outcomes and the figures."""
    outcomes = [score(item, answer(item.ask)) for item in items]
    return outcomes, summarise(outcomes, verbatim)


def verbatim_checker(passages: dict[int, str]) -> Callable[[Answer], tuple[int, int]]:
    """Counts an answer's quotes and those whose every piece (between "…" cut marks)
    stands word for word in its passage (whitespace folded)."""
    bodies = {pid: " ".join(text.split()) for pid, text in passages.items()}

    def check(answer: Answer) -> tuple[int, int]:
        good = 0
        for quote in answer.quotes:
            body = bodies.get(quote.passage_id, "") if quote.passage_id is not None else ""
            good += all(piece.strip() in body for piece in quote.text.strip("…").split("…"))
        return len(answer.quotes), good

    return check


def corpus_for(path: str | Path, default: Path) -> Path:
    """The corpus a question file is about: a `corpus/` folder beside it, else `default`."""
    beside = Path(path).resolve().parent / "corpus"
    return beside if beside.is_dir() else default


TABLE_HEADER = (
    "| set | found | confident-correct | misled | declined | first quote | idle quotes | disagreements | fidelity |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def table_row(name: str, s: Summary) -> str:
    return (
        f"| {name} | {_pct(s.found, s.answerable)} | {_pct(s.confident_correct, s.answerable)} "
        f"| {_pct(s.misled, s.items)} | {_pct(s.declined, s.unanswerable)} "
        f"| {_pct(s.first_quote, s.first_quote_items)} | {s.idle_share:.0%} ({s.idle_quotes}/{s.confident_quotes}) "
        f"| {_pct(s.disagreements, s.conflict_items)} | {s.fidelity:.0%} |"
    )


def report(path: str | Path, outcomes: list[Outcome], summary: Summary) -> str:
    """The per-item lines and the figures, as `casebot eval` prints them."""
    lines = [f"{path}"]
    for o in outcomes:
        mark = "ok  " if o.passed else ("MISLED" if o.misled else "MISS")
        if o.item.abstain:
            detail = {"confident": f"answered with {len(o.answer.quotes)} quote(s)", "closest": "closest quotes", "not covered": "not covered"}[o.tier]
        else:
            detail = f"{o.tier}, " + ("shows an expected fact" if o.shows else "no expected fact shown")
            if o.item.top:
                detail += ", first quote " + ("holds it" if o.first_quote else "misses it")
            if o.tier == "confident" and o.answer.quotes:
                detail += f", {o.idle_quotes}/{len(o.answer.quotes)} quotes idle"
        lines.append(f"  {mark} {o.item.ask!r}: {detail}")
    lines += ["", TABLE_HEADER, table_row(Path(path).name, summary)]
    return "\n".join(lines)


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({n / d:.0%})" if d else "n/a"


# --- disagreements in the case views ------------------------------------------------------
#
# A question file marks the questions the sources disagree on (`conflict = true`); their
# `expect` strings are the sources' different wordings ("$397 checks", "$345 each"). The
# values those strings give (sums, dates, counts) are the disagreement's sides: `status`
# and `timeline` show it when one of their conflicts sets two of those sides against each
# other. A marked question whose strings give fewer than two different values (who sued,
# whether a judge ruled) is a disagreement of another kind, counted apart.


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One disagreement a question file lists: the values each side gives."""

    asks: tuple[str, ...]  # the marked questions about it
    sides: tuple[frozenset[str], ...]  # each side's value tokens ({"august", "2023"})


def listed_disagreements(items: Iterable[Item]) -> tuple[list[Disagreement], list[str]]:
    """The disagreements of a case's conflict-marked items, with values (those that name
    two or more different values), and the questions of the rest. Items about the same
    values (one's sides among another's) are one disagreement."""
    found: list[Disagreement] = []
    other: list[str] = []
    for item in items:
        if not item.conflict:
            continue
        sides = tuple(dict.fromkeys(k for k in map(value_tokens, item.expect) if k))
        if len(sides) < 2:
            if not sides or not any(set(sides) <= set(d.sides) for d in found):
                other.append(item.ask)
            continue
        for n, known in enumerate(found):
            if set(sides) <= set(known.sides) or set(known.sides) <= set(sides):
                wider = known.sides if len(known.sides) >= len(sides) else sides
                found[n] = Disagreement((*known.asks, item.ask), wider)
                break
        else:
            found.append(Disagreement((item.ask,), sides))
    return found, other


_SCALES = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "k": 1e3}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_TOKENS = frozenset(_WEEKDAYS)
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_NAMES = {number: name for name, number in reversed(MONTHS.items())}  # 9: "september"
_VALUE_TOKEN = re.compile(
    r"(?P<iso>\b(?P<year>(?:19|20)\d\d)-(?P<mm>[01]\d)-(?P<dd>[0-3]\d)\b)|"
    rf"(?P<month>\b(?:{_MONTH_WORDS})\b\.?)"
    rf"|(?P<day>\b(?:{'|'.join(_WEEKDAYS)})\b)"
    r"|(?P<money>\$)?\s?(?P<number>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<scale>thousand|million|billion|bn|mn|m|k)\b)?",
    re.I,
)


def value_tokens(text: str) -> frozenset[str]:
    """The values a text gives, as comparable tokens: months and weekdays by name, numbers
    as plain numbers ("$1.5 billion" is "1500000000", "40,000" is "40000"). A bare one-digit
    number ("iPhone 6") is no value unless a sum, a scale or a month makes it one."""
    tokens: set[str] = set()
    after_month = False
    for match in _VALUE_TOKEN.finditer(text):
        if match["iso"]:  # "2024-03-12", as casebot labels a day
            tokens.update((match["year"], _MONTH_NAMES[int(match["mm"])], str(int(match["dd"]))))
            continue
        if match["month"] == "may":
            continue  # the verb ("may have been"), not the month
        if match["month"]:
            tokens.add(_MONTH_NAMES[MONTHS[match["month"].rstrip(".").casefold()]])
            after_month = True
            continue
        if match["day"]:
            tokens.add(match["day"].casefold())
            continue
        raw = match["number"].rstrip(",.")
        digits = raw.replace(",", "")
        scale = (match["scale"] or "").casefold()
        if not (match["money"] or scale or after_month or len(digits.partition(".")[0]) >= 2):
            after_month = False
            continue
        value = float(digits) * _SCALES.get(scale, 1)
        tokens.add(f"{value:.0f}" if value == round(value) else f"{value:.2f}")
        after_month = False
    return frozenset(tokens)


def _matches(value: frozenset[str], side: frozenset[str]) -> bool:
    """Whether a conflict's value is one side's: the same values, one perhaps more exact
    ("March 12, 2024" is "Tuesday, March 12"; "2024" is "August 2024")."""
    a, b = value - _DAY_TOKENS, side - _DAY_TOKENS
    if not (a and b):
        a, b = value, side
    return bool(a) and bool(b) and (a <= b or b <= a)


def shown_by(disagreement: Disagreement, conflicts: Sequence[Conflict]) -> Conflict | None:
    """The first conflict that sets two of the disagreement's sides against each other."""
    for conflict in conflicts:
        values = [value_tokens(v.value) for v in conflict.values]
        sides = {n for n, side in enumerate(disagreement.sides) for value in values if _matches(value, side)}
        # Two sides, each matched by a value of its own.
        if len(sides) >= 2 and sum(any(_matches(v, s) for s in disagreement.sides) for v in values) >= 2:
            return conflict
    return None


def unlisted(disagreements: Sequence[Disagreement], conflicts: Sequence[Conflict]) -> list[Conflict]:
    """The conflicts that show none of the listed disagreements: false alarms, or
    disagreements no question marks (each to be read by hand)."""
    return [c for c in conflicts if not any(shown_by(d, [c]) for d in disagreements)]
