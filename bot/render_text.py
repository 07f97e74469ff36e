"""Plain-text rendering of an answer: how a person reads casebot in a console.

Also the text behind `--json`'s "text" field, and the fallback text chat front ends send
alongside richer layouts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from retrieval.model import Answer, Conflict, Event, Quote, Source, SourceSummary


def render_text(answer: Answer) -> str:
    """Render an answer as plain text: lead text, quotes, events, conflicts, sources, notes."""
    blocks: list[list[str]] = [[answer.text]]
    blocks.extend(_quote_lines(quote) for quote in answer.quotes)
    if answer.events:
        blocks.append([_event_line(event) for event in answer.events])
    # After the events, so a timeline reads in order before the caveats.
    if answer.conflicts:
        blocks.append(_conflict_lines(answer.conflicts))
    if answer.kind == "sources":
        blocks.append(_sources_lines(answer.sources, answer.loaded_at))
    if answer.notes:
        blocks.append(list(answer.notes))
    return "\n\n".join("\n".join(block) for block in blocks if block)


def format_time(moment: datetime) -> str:
    """A moment as "2025-01-22 14:03:00 UTC" (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_date(day: date | None) -> str:
    return day.isoformat() if day is not None else "undated"


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


def _quote_lines(quote: Quote) -> list[str]:
    label = f"{quote.label}: " if quote.label else ""
    lines = [f"{label}“{quote.text}”", f"  — {citation(quote.source, quote.date)}"]
    if quote.also_in:
        lines.append("  also reported by: " + ", ".join(s.name for s in quote.also_in))
    return lines


def _conflict_lines(conflicts: tuple[Conflict, ...]) -> list[str]:
    lines = ["Sources disagree:"]
    for conflict in conflicts:
        lines.append(f"  on {conflict.about}:")
        for value in conflict.values:
            names = ", ".join(s.name for s in value.sources)
            lines.append(f"    {value.value} — {names}")
    return lines


def _event_line(event: Event) -> str:
    # Show only as much of the date as the sources give ("August 2024"), and say when the
    # date is only that of the report ("this week").
    day = f"{event.when} (reported)" if event.reported else event.when
    line = f"{day}  “{event.quote.text}” — {event.quote.source.name}"
    if event.quote.also_in:
        line += "; also reported by " + ", ".join(s.name for s in event.quote.also_in)
    return line


def _sources_lines(summaries: tuple[SourceSummary, ...], loaded_at: datetime | None) -> list[str]:
    lines = []
    for summary in summaries:
        source = summary.source
        passages = f"{summary.passages} passage" + ("" if summary.passages == 1 else "s")
        lines.append(
            ", ".join(
                [
                    source.outlet or "unknown outlet",
                    f'"{source.title}"' if source.title else "untitled",
                    format_date(source.published),
                    source.url or "no URL",
                    passages,
                ]
            )
        )
    if loaded_at is not None:
        lines.append(f"Corpus loaded {format_time(loaded_at)}")
    return lines
