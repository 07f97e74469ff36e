"""Dates written in article text: "August 2024", "January 30, 2025", "in 2016", "today".

Used to date events for the timeline and to notice when sources give different dates for
the same claim. Month names live here once; update notices (updates.py) use them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

Precision = Literal["day", "month", "year"]

_FULL_NAMES = {number: name for name, number in MONTHS.items() if len(name) > 4 or name in {"may", "june", "july"}}
# Abbreviations read as their month's full name in text ("Sept." finds "September"); not
# "mar" and "may", which are also words.
MONTH_ABBREVIATIONS = {
    name: _FULL_NAMES[number] for name, number in MONTHS.items() if name not in _FULL_NAMES.values() and name != "mar"
}

# Full month names anywhere; abbreviations only with their dot ("Sept. 2024"), so that
# "May" the verb or "Mar" in a name is not read as a month without a year after it.
_FULL = "|".join(m for m in MONTHS if len(m) > 4 or m in {"may", "june", "july"})
_ABBR = "|".join(m for m in MONTHS if len(m) <= 4 and m not in {"may", "june", "july"})
_MONTH = rf"(?:(?:{_FULL})|(?:{_ABBR})\.)"
_YEAR = r"(?:19|20)\d\d"
# Month names that date something without a year ("in June", "on January 30"): only the
# full names, "May" only after a preposition (the m6 form), so the verb is not a month.
_NAMED = "|".join(m for m in MONTHS if len(m) > 3 and m != "sept")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = "|".join(w.capitalize() for w in _WEEKDAYS)
# A full month name after an article, before a lowercase word, names its event's month
# ("a June ruling", "the May data preservation order"): "May" there is no verb.
_CAPITALISED_MONTH = "|".join(m.capitalize() for m in MONTHS if len(m) > 4 or m in {"may", "june", "july"})
_MENTION = re.compile(
    rf"""
    (?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>{_YEAR})\b
  | \b(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH})\s+(?P<y2>{_YEAR})\b
  | (?P<m3>{_MONTH})\s+(?:of\s+)?(?P<y3>{_YEAR})\b
  | (?<![\d$.,])\b(?P<y4>{_YEAR})\b(?![.,]\d)
  | (?P<m5>{_NAMED})\s+(?P<d5>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s+\d)
  | \b(?:in|since|by|until|through|during|last|this|early|late|mid|mid-)\s*(?P<m6>{_NAMED})\b(?!\s*,?\s*(?:of\s+)?\d)
  | \b(?P<rel>today|yesterday|this\s+week|last\s+year|this\s+year|earlier\s+today|last\s+month)\b
  | (?<!every\s)(?<!next\s)(?<!this\s)\b(?P<last>last\s+)?(?P<wd>(?-i:{_WEEKDAY}))\b(?!,?\s+(?:{_MONTH}|\d))
  | \b(?:a|an|the|its|his|her|their|this|that)\s+(?P<m7>(?-i:{_CAPITALISED_MONTH}))(?=\s+(?-i:[a-z]))
    """,
    re.IGNORECASE | re.VERBOSE,
)


# Something every mention holds: a year (a month's abbreviation, and "may" in any case,
# come with one), a month's full name (any case), "May" capitalised (after an article: "the
# May order"), "today" or "yesterday", "week", "year" or "month" beside "this" or "last", or
# a capitalised weekday. A cheap first look before _MENTION, as plain substring tests: a
# regex alternation tried at every character cost ~13 µs a sentence, and the case-wide
# search for disagreements reads hundreds of sentences.
_YEAR_DIGITS = re.compile(_YEAR)
_DATE_WORDS = (*_NAMED.split("|"), "today", "yesterday")
_CASED_DATE_WORDS = (*(w.capitalize() for w in _WEEKDAYS), "May")


def _maybe_a_date(text: str) -> bool:
    if _YEAR_DIGITS.search(text):
        return True
    # Folded as IGNORECASE matches ("ſ" is an "s", "K" a "k"; the dotless "ı" an "i").
    folded = text.casefold().replace("ı", "i")
    if any(w in folded for w in _DATE_WORDS) or any(w in text for w in _CASED_DATE_WORDS):
        return True
    # "this week", "last year", "this year", "last month"
    return ("this" in folded or "last" in folded) and ("week" in folded or "year" in folded or "month" in folded)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date written in a text, as far as the text pins it down.

    `date` is the first day of the period for month and year precision; relative mentions
    ("today", "last year") are resolved against the date of the passage they appear in.
    """

    text: str
    start: int
    end: int
    date: date
    precision: Precision
    relative: bool = False

    @property
    def label(self) -> str:
        """The date as a person would write it at its precision: "August 2024"."""
        return date_label(self.date, self.precision)


def date_label(when: date, precision: Precision) -> str:
    """A date at its precision: "2016", "August 2024", "2025-01-30"."""
    if precision == "day":
        return when.isoformat()
    if precision == "month":
        return when.strftime("%B %Y")
    return str(when.year)


def _month(name: str) -> int:
    # As IGNORECASE matched it: "aprıl" (a dotless i) is April.
    return MONTHS[name.rstrip(".").casefold().replace("ı", "i")]


def find_dates(text: str, *, reported: date | None = None) -> list[DateMention]:
    """Every date mention in a text, in order; relative ones need `reported` to resolve."""
    found: list[DateMention] = []
    if not _maybe_a_date(text):
        return found  # most sentences have none, and the full pattern is slow to fail
    for m in _MENTION.finditer(text):
        when: date | None = None
        precision: Precision = "day"
        relative = False
        try:
            if m.group("y1"):
                when = date(int(m.group("y1")), _month(m.group("m1")), int(m.group("d1")))
            elif m.group("y2"):
                when = date(int(m.group("y2")), _month(m.group("m2")), int(m.group("d2")))
            elif m.group("y3"):
                when, precision = date(int(m.group("y3")), _month(m.group("m3")), 1), "month"
            elif m.group("y4"):
                when, precision = date(int(m.group("y4")), 1, 1), "year"
            elif reported is None:
                pass
            elif m.group("m5"):
                if m.group("m5").casefold() == "may":
                    continue  # "may 5" reads as the verb as often as the month
                when, precision, relative = _in_year_before(reported, _month(m.group("m5")), int(m.group("d5"))), "day", True
            elif m.group("m6") or m.group("m7"):
                # "in June"; "a June ruling", "the May order" (a month naming its event).
                month = _month(m.group("m6") or m.group("m7"))
                when, precision, relative = _in_year_before(reported, month, 1), "month", True
            elif m.group("wd"):
                when, precision, relative = _weekday_before(reported, m.group("wd"), last=bool(m.group("last"))), "day", True
            else:
                when, precision, relative = _relative(m.group("rel"), reported)
        except ValueError:  # "February 30, 2025": not a date, so not a mention
            continue
        if when is not None:
            start = m.start("m7") if m.group("m7") else m.start()  # "A June ruling": from "June"
            found.append(DateMention(text[start : m.end()], start, m.end(), when, precision, relative))
    return found


def _in_year_before(reported: date, month: int, day: int) -> date:
    """A month (and day) given without a year: the latest one on or before the report
    ("in June", reported in September 2025, is June 2025; reported in March, June 2024)."""
    candidate = date(reported.year, month, day)
    return candidate if candidate <= reported else date(reported.year - 1, month, day)


def _weekday_before(reported: date, name: str, *, last: bool) -> date:
    """A weekday named without a date, as news copy dates what it reports ("sued … on
    Wednesday"): the latest such day on or before the report, the report's own day if it
    is one; "last Tuesday" said on a Tuesday is the one a week before."""
    back = (reported.weekday() - _WEEKDAYS.index(name.casefold())) % 7
    if last and back == 0:
        back = 7
    return date.fromordinal(reported.toordinal() - back)


def _relative(phrase: str, reported: date) -> tuple[date, Precision, bool]:
    phrase = " ".join(phrase.casefold().split())
    if phrase == "last month":
        year, month = (reported.year, reported.month - 1) if reported.month > 1 else (reported.year - 1, 12)
        return date(year, month, 1), "month", True
    if phrase in {"today", "earlier today", "this week"}:
        return reported, "day", True
    if phrase == "yesterday":
        return date.fromordinal(reported.toordinal() - 1), "day", True
    if phrase == "last year":
        return date(reported.year - 1, 1, 1), "year", True
    return date(reported.year, 1, 1), "year", True  # "this year"
