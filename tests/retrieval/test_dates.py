"""Dates written in article text, at their precision, absolute and relative."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.language.dates import date_label, find_dates

REPORTED = date(2025, 1, 22)


@pytest.mark.parametrize(
    ("text", "label", "precision"),
    [
        ("It was filed on January 30, 2025.", "2025-01-30", "day"),
        ("It was filed on 30 January 2025.", "2025-01-30", "day"),
        ("The setting came in August 2024.", "August 2024", "month"),
        ("Microsoft bought it in 2016.", "2016", "year"),
        ("Sept. 2024 brought a new policy.", "September 2024", "month"),
    ],
)
def test_absolute_dates_at_their_precision(text, label, precision):
    (mention,) = find_dates(text)
    assert (mention.label, mention.precision, mention.relative) == (label, precision, False)


@pytest.mark.parametrize(
    ("text", "when", "precision"),
    [
        ("The lawsuit was withdrawn today.", date(2025, 1, 22), "day"),
        ("It was accused this week.", date(2025, 1, 22), "day"),
        ("It settled last year.", date(2024, 1, 1), "year"),
        ("It changed last month.", date(2024, 12, 1), "month"),
        ("A hearing came on January 3.", date(2025, 1, 3), "day"),
        ("The judge ruled in March.", date(2024, 3, 1), "month"),  # no March yet in 2025
        # A weekday without a date is the latest one on or before the report (a Wednesday).
        ("The Times sued OpenAI on Wednesday.", date(2025, 1, 22), "day"),
        ("The court ruled 3-0 Thursday.", date(2025, 1, 16), "day"),
        ("It was filed last Friday.", date(2025, 1, 17), "day"),
        ("It was filed last Wednesday.", date(2025, 1, 15), "day"),  # not the report's day
        # A month naming its event ("a June ruling") is the latest such month.
        ("A June ruling had ordered it.", date(2024, 6, 1), "month"),
        ("It vacated the May data preservation order.", date(2024, 5, 1), "month"),
    ],
)
def test_relative_dates_resolve_against_the_report(text, when, precision):
    (mention,) = find_dates(text, reported=REPORTED)
    assert (mention.date, mention.precision, mention.relative) == (when, precision, True)


def test_relative_dates_need_a_report_date():
    assert find_dates("It was withdrawn today, in June.") == []


@pytest.mark.parametrize(
    "text",
    [
        "You may file a claim.", "The $1,000.50 figure.", "Section 3.2 applies.",
        # A weekday that recurs or is still to come dates nothing reported; a weekday with a
        # date is that date (one mention, read above); a month before a capital is a name.
        "Meetings are held every Monday.", "The judge will rule next Tuesday.", "The May Company sued.",
    ],
)
def test_words_and_numbers_that_are_not_dates(text):
    assert find_dates(text, reported=REPORTED) == []


def test_february_30_is_no_date():
    assert find_dates("on February 30, 2025") == []


def test_date_label():
    assert date_label(date(2024, 8, 1), "month") == "August 2024"
    assert date_label(date(2016, 1, 1), "year") == "2016"
    assert date_label(date(2025, 1, 30), "day") == "2025-01-30"


def test_a_weekday_before_its_date_is_one_mention():
    (mention,) = find_dates("They filed the lawsuit Tuesday, March 12, in Grand Rapids.", reported=date(2024, 3, 12))
    assert (mention.text, mention.date) == ("March 12", date(2024, 3, 12))
    (mention,) = find_dates("It was decided in an April court opinion.", reported=REPORTED)
    assert mention.text == "April"  # from the month: "an" is no part of the date


def _every_mention(text, reported):  # type: ignore[no-untyped-def]
    """find_dates without its cheap first look: what the look must never hide."""
    from unittest import mock

    from retrieval.language import dates

    with mock.patch.object(dates, "_maybe_a_date", lambda text: True):
        return find_dates(text, reported=reported)


@pytest.mark.parametrize(
    "text",
    [
        "in aprıl the court ruled",  # a dotless i: IGNORECASE reads it as "i"
        "It was filed on ſeptember 5.",  # a long s
        "sued this  week and again last\nmonth",
        "TODAY the suit was filed; YESTERDAY it was not.",
        "the May ruling came Friday",
        "Dec. 5, 2024 and decided nothing",
        "nothing dated here, $5 and 40,000 couriers",
        "it may settle; years passed; in may, nothing",
        "THIS   WEEK the may ruling; the May ruling; since March",
        "Last\tyear and this year, last month",
    ],
)
def test_the_cheap_first_look_hides_no_mention(text):
    assert find_dates(text, reported=REPORTED) == _every_mention(text, REPORTED)


def test_the_cheap_first_look_hides_no_mention_in_any_development_article(seed_corpus_dir):
    from pathlib import Path

    from retrieval.corpus import load_corpus

    shared = Path(__file__).resolve().parents[3] / "shared" / "eval" / "cases"
    directories = [seed_corpus_dir, *sorted(shared.glob("*/corpus")), *sorted((Path(__file__).parent / "cases").glob("*/corpus"))]
    seen = found = 0
    for directory in directories:
        for passage in load_corpus(directory).passages:
            for text in passage.sentence_texts():
                mentions = find_dates(text, reported=passage.date)
                assert mentions == _every_mention(text, passage.date), text
                seen, found = seen + 1, found + bool(mentions)
    assert seen > 500 and 0 < found < seen
