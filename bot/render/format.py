"""The formatting every renderer and the desk share: counts, dates and times, UTF-16 widths.

Below the renderers (text, JSON, Slack, Discord) and the core alike, so the desk and the
alerts format a time without importing a renderer, and a count reads the same everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from retrieval.model import Source


def counted(n: int, noun: str) -> str:
    """ "1 article", "3 articles": a count with its noun, plural but for one."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_time(moment: datetime) -> str:
    """A moment as "2025-01-22 14:03:00 UTC" (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_date(day: date | None) -> str:
    return day.isoformat() if day is not None else "undated"


def dated(name: str, source: Source) -> str:
    """A source's name with its date when it has one: who says what, and when
    ("The Register (2025-01-22)"), as a disagreement lists them."""
    return f"{name} ({source.published.isoformat()})" if source.published else name


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Slack and Discord count their limits."""
    return len(text.encode("utf-16-le")) // 2
