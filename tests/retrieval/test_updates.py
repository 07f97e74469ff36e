"""Update-notice parsing and year resolution."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.updates import NoticeDateError, parse_notice, resolve_notice_date


@pytest.mark.parametrize(
    ("line", "month", "day", "year"),
    [
        ("Updated to add on January 30", 1, 30, None),
        ("Updated on January 30, 2025", 1, 30, 2025),
        ("Update (January 30, 2025):", 1, 30, 2025),
        ("UPDATE 1/30/25:", 1, 30, 2025),
        ("Update, Jan. 30:", 1, 30, None),
        ("Updated 30 January 2025", 1, 30, 2025),
        ("Editor's note (January 30, 2025):", 1, 30, 2025),
        ("Editor’s note (Sept. 3rd, 2024):", 9, 3, 2024),
        ("Updated 2025-01-30", 1, 30, 2025),
        ("update 1/30/2025", 1, 30, 2025),
        ("**Update (Jan 30):**", 1, 30, None),
    ],
)
def test_recognises_notice_forms(line: str, month: int, day: int, year: int | None) -> None:
    notice = parse_notice(line)
    assert notice is not None
    assert (notice.month, notice.day, notice.year, notice.rest) == (month, day, year, "")


def test_text_after_the_colon_is_kept_as_rest() -> None:
    notice = parse_notice("UPDATE 1/30/25: LinkedIn said the suit was withdrawn.")
    assert notice is not None
    assert notice.rest == "LinkedIn said the suit was withdrawn."
    assert notice.label == "UPDATE 1/30/25:"


@pytest.mark.parametrize(
    "line",
    [
        "Updated LinkedIn was this week accused of giving third parties access.",
        "Updated on January 30, 2025, the policy says something else.",
        "Updated to add on January 30 some words without a separator",
        "LinkedIn updated its privacy policy in September 2024.",
        "Update",
        "The Core of the Lawsuit",
    ],
)
def test_prose_is_not_a_notice(line: str) -> None:
    assert parse_notice(line) is None


def test_notice_year_wins_over_the_article_dates() -> None:
    notice = parse_notice("Updated on January 30, 2026")
    assert notice is not None
    got = resolve_notice_date(notice, published=date(2025, 1, 22), updated=date(2025, 1, 30))
    assert got == date(2026, 1, 30)


def test_yearless_notice_takes_the_published_year_when_on_or_after() -> None:
    notice = parse_notice("Updated to add on January 30")
    assert notice is not None
    got = resolve_notice_date(notice, published=date(2025, 1, 22), updated=None)
    assert got == date(2025, 1, 30)


def test_yearless_notice_on_the_published_day_is_that_day() -> None:
    notice = parse_notice("Update, Jan. 22:")
    assert notice is not None
    assert resolve_notice_date(notice, published=date(2025, 1, 22), updated=None) == date(
        2025, 1, 22
    )


def test_yearless_notice_rolls_into_the_next_year_after_a_december_article() -> None:
    notice = parse_notice("Update, Jan. 5:")
    assert notice is not None
    got = resolve_notice_date(notice, published=date(2024, 12, 20), updated=None)
    assert got == date(2025, 1, 5)


def test_yearless_notice_without_published_uses_the_updated_year() -> None:
    notice = parse_notice("Updated to add on January 30")
    assert notice is not None
    got = resolve_notice_date(notice, published=None, updated=date(2025, 2, 2))
    assert got == date(2025, 1, 30)


def test_yearless_notice_without_any_article_date_is_an_error() -> None:
    notice = parse_notice("Updated to add on January 30")
    assert notice is not None
    with pytest.raises(NoticeDateError, match="has no year and the article has no published"):
        resolve_notice_date(notice, published=None, updated=None)


def test_impossible_notice_date_is_an_error() -> None:
    notice = parse_notice("Updated on February 30, 2025")
    assert notice is not None
    with pytest.raises(NoticeDateError, match="does not exist"):
        resolve_notice_date(notice, published=date(2025, 1, 22), updated=None)
