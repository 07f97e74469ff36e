"""Scores casebot's answers against a question file: the figures `casebot eval` prints.

A question file is TOML with one `[[q]]` table per item:

    ask = "whos the plantiff"            the question, as a person would type it
    expect = ["De La Torre", ...]        answerable: any one of these must be said
    top = true                           one sentence answers it: the first quote should
    abstain = true                       unanswerable: the bot must say the sources don't cover it

Matching folds case, whitespace and curly quotes. What counts as "said" is what a reader
is shown in casebot's words and the sources': the answer's text, its notes and its quotes
(and, for a listing of the sources, their outlets, titles, authors and URLs).

The four figures, per file:
- answered: answerable items answered (not declined) with an expected string said;
- first quote: `top` items whose first quote holds an expected string (when a file marks
  no item `top`, every answerable item counts);
- abstained: abstain items declined with nothing quoted;
- idle quotes: the share of all quotes given that hold no expected string (a quote given
  to an abstain item holds none by definition).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.errors import CasebotError
from retrieval.model import Answer


@dataclass(frozen=True, slots=True)
class Item:
    ask: str
    expect: tuple[str, ...] = ()
    top: bool = False
    abstain: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one item fared."""

    item: Item
    answer: Answer
    passed: bool  # answered with an expected string, or abstained as it should
    first_quote: bool | None  # None when the item does not count for the first-quote figure
    quotes: int
    idle_quotes: int  # quotes holding no expected string


@dataclass(frozen=True, slots=True)
class Summary:
    answered: int
    answerable: int
    first_quote: int
    first_quote_items: int
    abstained: int
    abstain_items: int
    quotes: int
    idle_quotes: int

    @property
    def idle_share(self) -> float:
        return self.idle_quotes / self.quotes if self.quotes else 0.0


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
        items.append(Item(ask=entry["ask"], expect=tuple(expect), top=bool(entry.get("top")), abstain=abstain))
    if not items:
        raise EvalFileError(f"{path}: no [[q]] items")
    return items


def fold(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return " ".join(text.casefold().split())


def _said(answer: Answer) -> str:
    parts = [answer.text, *answer.notes, *(q.text for q in answer.quotes)]
    for summary in answer.sources:
        s = summary.source
        parts += [x for x in (s.outlet, s.title, s.author, s.url) if x]
    return fold(" ".join(parts))


def _holds(text: str, expect: tuple[str, ...]) -> bool:
    folded = fold(text)
    return any(fold(e) in folded for e in expect)


def score(item: Item, answer: Answer) -> Outcome:
    """How an answer fares against its item."""
    quotes = len(answer.quotes)
    if item.abstain:
        passed = answer.kind == "no_answer" and not answer.quotes
        return Outcome(item, answer, passed, None, quotes, quotes)
    passed = answer.kind not in ("no_answer", "error") and _holds(_said(answer), item.expect)
    first = bool(answer.quotes) and _holds(answer.quotes[0].text, item.expect)
    idle = sum(not _holds(q.text, item.expect) for q in answer.quotes)
    return Outcome(item, answer, passed, first, quotes, idle)


def evaluate(items: list[Item], answer: Callable[[str], Answer]) -> tuple[list[Outcome], Summary]:
    """Asks every item and scores it; returns the outcomes and the file's figures."""
    outcomes = [score(item, answer(item.ask)) for item in items]
    answerable = [o for o in outcomes if not o.item.abstain]
    marked = [o for o in answerable if o.item.top] or answerable
    abstains = [o for o in outcomes if o.item.abstain]
    summary = Summary(
        answered=sum(o.passed for o in answerable),
        answerable=len(answerable),
        first_quote=sum(bool(o.first_quote) for o in marked),
        first_quote_items=len(marked),
        abstained=sum(o.passed for o in abstains),
        abstain_items=len(abstains),
        quotes=sum(o.quotes for o in outcomes),
        idle_quotes=sum(o.idle_quotes for o in outcomes),
    )
    return outcomes, summary


def corpus_for(path: str | Path, default: Path) -> Path:
    """The corpus a question file is about: a `corpus/` folder beside it, else `default`."""
    beside = Path(path).resolve().parent / "corpus"
    return beside if beside.is_dir() else default


def report(path: str | Path, outcomes: list[Outcome], summary: Summary) -> str:
    """The per-item lines and the totals, as `casebot eval` prints them."""
    lines = [f"{path}"]
    for o in outcomes:
        if o.item.abstain:
            mark = "ok  " if o.passed else "MISS"
            detail = "abstained" if o.passed else f"answered with {o.quotes} quote(s)"
        else:
            mark = "ok  " if o.passed else "MISS"
            detail = "answered" if o.passed else ("declined" if o.answer.kind == "no_answer" else "no expected fact")
            if o.item.top:
                detail += ", first quote " + ("holds it" if o.first_quote else "misses it")
            if o.quotes:
                detail += f", {o.idle_quotes}/{o.quotes} quotes idle"
        lines.append(f"  {mark} {o.item.ask!r}: {detail}")
    s = summary
    lines += [
        "",
        "| answered with an expected fact | first quote holds it | abstained correctly | quotes that hold no expected fact |",
        "|---|---|---|---|",
        f"| {s.answered}/{s.answerable} ({_pct(s.answered, s.answerable)}) "
        f"| {s.first_quote}/{s.first_quote_items} ({_pct(s.first_quote, s.first_quote_items)}) "
        f"| {s.abstained}/{s.abstain_items} ({_pct(s.abstained, s.abstain_items)}) "
        f"| {s.idle_share:.0%} ({s.idle_quotes}/{s.quotes}) |",
    ]
    return "\n".join(lines)


def _pct(n: int, d: int) -> str:
    return f"{n / d:.0%}" if d else "n/a"
