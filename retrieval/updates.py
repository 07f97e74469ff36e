"""In-article update notices: the lines that date what an outlet added later.

An article published on one day and updated on another says so inside its text, e.g. The
Register's "Updated to add on January 30". Passages after such a line were reported on the
notice's date, not the publication date, and the notice line itself is a marker, not text.

A notice is a whole line: a lead word, a date, and optionally a separator and more text.
Recognised forms (case does not matter; Markdown emphasis around them is ignored):

* ``Updated to add on January 30``
* ``Updated on January 30, 2025``
* ``Updated 30 January 2025``
* ``Update (January 30, 2025):``
* ``Update, Jan. 30:``
* ``UPDATE 1/30/25:`` (US order: month/day/year; the year may have 2 or 4 digits or be absent)
* ``Updated 2025-01-30``
* ``Editor's note (January 30, 2025):``

Month names may be written in full or abbreviated ("Jan", "Jan.", "Sept."), and days may carry
an ordinal suffix ("30th"). After the date, a ":", "." or dash may be followed by text on the
same line (``UPDATE 1/30/25: LinkedIn said ...``): that text is the first passage of the update.
Anything else after the date means the line is prose that merely starts with "Updated", so it
is not a notice; nor is a line without a date ("Updated LinkedIn was this week accused ...").

A notice without a year takes the first such date on or after the article's published date
(or, for an article without one, the year of its `updated` date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from retrieval.language.dates import MONTHS as _MONTHS


# Longest names first so "sept" is not read as "sep" + "t".
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = rf"""(?:
    (?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY})(?:,?\s+(?P<y1>\d{{4}}))?
  | (?P<d2>{_DAY})\s+(?P<m2>{_MONTH})\.?(?:,?\s+(?P<y2>\d{{4}}))?
  | (?P<m3>\d{{1,2}})/(?P<d3>\d{{1,2}})(?:/(?P<y3>\d{{4}}|\d{{2}}))?
  | (?P<y4>\d{{4}})-(?P<m4>\d{{2}})-(?P<d4>\d{{2}})
)"""
_NOTICE = re.compile(
    rf"""^[*_]{{0,3}}
    (?P<lead>updated?|editor['’]s\s+note)
    (?:\s+to\s+add)?(?:\s+on)?
    \s*[,(:]?\s*
    {_DATE}
    \s*\)?[*_]{{0,3}}
    \s*(?:[:.–—-][*_]{{0,3}}\s*(?P<rest>.*?))?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class UpdateNotice:
    """An update notice as written, before its year is resolved.

    Args:
        line: the whole line the notice was found on.
        month: 1-12.
        day: 1-31 (not yet checked against the month).
        year: the year written in the notice, if any.
        rest: text on the same line after the notice's separator ("" when none).
    """

    line: str
    month: int
    day: int
    year: int | None
    rest: str

    @property
    def label(self) -> str:
        """The notice without the text that follows it, for messages."""
        if not self.rest:
            return self.line.strip()
        return self.line[: self.line.rfind(self.rest)].strip()


class NoticeDateError(ValueError):
    """A notice whose date is impossible or cannot be pinned to a year."""


def parse_notice(line: str) -> UpdateNotice | None:
    """Read `line` as an update notice.

    Args:
        line: one line of an article body.

    Returns:
        The notice, or None when the line is not one.
    """
    match = _NOTICE.match(line.strip())
    if match is None:
        return None
    groups = match.groupdict()
    for n in "1234":
        if groups[f"d{n}"] is not None:
            month_text, day_text, year_text = groups[f"m{n}"], groups[f"d{n}"], groups[f"y{n}"]
            break
    month = int(month_text) if month_text.isdigit() else _MONTHS[month_text.lower()]
    day = int(re.match(r"\d+", day_text).group())
    year = None
    if year_text is not None:
        # "1/30/25": two-digit years in a notice can only be this century's.
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    return UpdateNotice(line=line, month=month, day=day, year=year, rest=groups["rest"] or "")


def resolve_notice_date(
    notice: UpdateNotice, *, published: date | None, updated: date | None
) -> date:
    """The calendar date a notice stands for.

    Args:
        notice: the parsed notice.
        published: the article's published date, if known.
        updated: the article's front-matter `updated` date, if known.

    Returns:
        The notice's own year if it has one; else the first date with its month and day on or
        after `published`; else that month and day in the year of `updated`.

    Raises:
        NoticeDateError: the date does not exist, or has no year and the article no dates.
    """
    label = notice.label
    if notice.year is not None:
        return _make(notice.year, notice, label)
    if published is not None:
        # Try a few years ahead: "February 29" may be up to eight years away.
        for year in range(published.year, published.year + 9):
            try:
                candidate = date(year, notice.month, notice.day)
            except ValueError:
                continue
            if candidate >= published:
                return candidate
        raise NoticeDateError(f"update notice '{label}' gives a date that does not exist")
    if updated is not None:
        return _make(updated.year, notice, label)
    raise NoticeDateError(
        f"update notice '{label}' has no year and the article has no published date"
    )


def _make(year: int, notice: UpdateNotice, label: str) -> date:
    try:
        return date(year, notice.month, notice.day)
    except ValueError:
        raise NoticeDateError(
            f"update notice '{label}' gives a date that does not exist"
        ) from None
