"""Plain-text rendering of an answer: how a person reads casebot in a console.

Also the text behind `--json`'s "text" field, and the fallback text chat front ends send
alongside richer layouts.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date, datetime

from bot.render.format import dated, format_date, format_time
from retrieval.model import Answer, Conflict, Event, Quote, Source, SourceSummary


def render_text(answer: Answer, *, width: int | None = None) -> str:
    """Render an answer as plain text: lead text, quotes, events, conflicts, sources, notes.

    Quotes and events cite their source by outlet, date and a number; the numbered list
    at the end gives each source's title and URL once, however many quotes come from it.
    With `width` (the console's terminal), every line is wrapped to it; URLs are never
    broken.
    """
    numbers = _source_numbers(answer)
    # In a deployment of several cases, the case first, on a line of its own.
    blocks: list[list[str]] = [[*([f"Case: {answer.case}"] if answer.case else []), answer.text]]
    blocks.extend(_quote_lines(quote, numbers) for quote in answer.quotes)
    if answer.events:
        blocks.append(_event_lines(answer.events, numbers))
    # After the events, so a timeline reads in order before the caveats.
    if answer.conflicts:
        blocks.append(_conflict_lines(answer.conflicts))
    if numbers:
        blocks.append(_numbered_sources(numbers))
    if answer.kind == "sources":
        blocks.append(_sources_lines(answer.sources, answer.loaded_at))
    if answer.notes:
        blocks.append(list(answer.notes))
    if width is not None:
        blocks = [[wrapped for line in block for wrapped in _wrap(line, width)] for block in blocks]
    return "\n\n".join("\n".join(block) for block in blocks if block)


def quoted(text: str) -> str:
    """`text` in quotation marks that never double up with its own.

    As it is when it is one whole quotation already (“…” or "…"); in single marks when it
    has double ones inside (‘“These are false claims,” LinkedIn said.’, the British way
    of nesting); otherwise in “…”.
    """
    marks = _DOUBLE_MARKS & set(text)
    if len(text) > 1 and text[0] in "“\"" and text[-1] in "”\"" and not marks & set(text[1:-1]):
        return text
    if marks and "‘" not in text:
        return f"‘{text}’"
    return f"“{text}”"


_DOUBLE_MARKS = frozenset("“”\"")


def citation(source: Source, day: date | None) -> str:
    """`Outlet, "Title", 2025-01-22, URL`, leaving out what the source doesn't have."""
    parts = []
    if source.outlet:
        parts.append(source.outlet)
    if source.title:
        parts.append(f'"{source.title}"')
    if not parts:
        parts.append(source.id)
    parts.append(format_date(day))
    if source.url:
        parts.append(source.url)
    return ", ".join(parts)


def _source_numbers(answer: Answer) -> dict[str, tuple[int, Source]]:
    """Each quoted source's number, by id, in the order they are first quoted."""
    numbers: dict[str, tuple[int, Source]] = {}
    for quote in (*answer.quotes, *(event.quote for event in answer.events)):
        numbers.setdefault(quote.source.id, (len(numbers) + 1, quote.source))
    return numbers


def _quote_lines(quote: Quote, numbers: dict[str, tuple[int, Source]]) -> list[str]:
    label = f"{quote.label}: " if quote.label else ""
    number, _ = numbers[quote.source.id]
    lines = [f"{label}{quoted(quote.text)}", f"  — {quote.source.name}, {format_date(quote.date)} [{number}]"]
    if quote.also_in:
        lines.append("  also reported by: " + ", ".join(s.name for s in quote.also_in))
    return lines


def _numbered_sources(numbers: dict[str, tuple[int, Source]]) -> list[str]:
    lines = ["Sources:"]
    for number, source in numbers.values():
        named = ", ".join(
            part for part in (source.outlet, f'"{source.title}"' if source.title else None) if part
        )
        lines.extend(_numbered(number, named or source.id, source.url))
    return lines


def _numbered(number: int, entry: str, url: str | None) -> list[str]:
    """One entry of a numbered source list, its URL on a line of its own (never wrapped)."""
    return [f"  [{number}] {entry}", f"      {url or '(no URL)'}"]


def _conflict_lines(conflicts: tuple[Conflict, ...]) -> list[str]:
    lines = ["Sources disagree:"]
    for conflict in conflicts:
        lines.append(f"  on {conflict.about}:")
        for value in conflict.values:
            names = ", ".join(dated(s.name, s) for s in value.sources)
            lines.append(f"    {value.value} — {names}")
    return lines


def _event_lines(events: tuple[Event, ...], numbers: dict[str, tuple[int, Source]]) -> list[str]:
    # Show only as much of the date as the sources give ("August 2024"), and say when the
    # date is only that of the report ("this week"). The dates make one column.
    days = [f"{event.when} (reported)" if event.reported else event.when for event in events]
    column = max(map(len, days))
    lines = []
    for day, event in zip(days, events, strict=True):
        quote = event.quote
        number, _ = numbers[quote.source.id]
        line = f"{day:<{column}}  {quoted(quote.text)} — {quote.source.name} [{number}]"
        if quote.also_in:
            line += "; also reported by " + ", ".join(s.name for s in quote.also_in)
        lines.append(line)
    return lines


def _sources_lines(summaries: tuple[SourceSummary, ...], loaded_at: datetime | None) -> list[str]:
    lines = []
    for number, summary in enumerate(summaries, start=1):
        source = summary.source
        passages = f"{summary.passages} passage" + ("" if summary.passages == 1 else "s")
        title = f'"{source.title}"' if source.title else "untitled"
        entry = f"{source.outlet or 'unknown outlet'}, {title}, {format_date(source.published)}"
        lines.extend(_numbered(number, f"{entry}, {passages}", source.url))
    if loaded_at is not None:
        lines.append(f"Corpus loaded {format_time(loaded_at)}")
    return lines


def _wrap(line: str, width: int) -> list[str]:
    """`line` wrapped to `width`, going on under where its text starts (after a label, a
    timeline's date column, a "— " or a "[1] "). A URL alone on its line is left whole."""
    if len(line) <= width or " " not in line.strip():
        return [line]
    hanging = _HANGING.match(line)
    column = hanging.end() if hanging and hanging.end() <= width // 2 else 0
    return textwrap.wrap(
        line, width, subsequent_indent=" " * column,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip


# Where a wrapped line goes on: after a timeline date or a label, before the quote mark;
# after a citation's "— " or a source's "[1] "; else under its own indent.
_HANGING = re.compile(r"^\S.*?  (?=[“‘\"])|^[^“‘\"\n]{1,40}: (?=[“‘\"])|^\s*(?:— |\[\d+\] )|^\s*")
