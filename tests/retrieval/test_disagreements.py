"""Disagreements the question files mark, against what `status` and `timeline` flag.

The figures come from tests/bench/disagreements.py (`python -m tests.bench.disagreements`
prints the table): each case's marked disagreements that a case view shows must hold a
floor, and the views' conflicts that show no marked disagreement (each read by hand: see
the note of issue 19) a ceiling.
"""

from __future__ import annotations

import pytest

from retrieval.evaluation import Item, listed_disagreements, shown_by, unlisted, value_tokens
from retrieval.model import Conflict, ConflictValue, Source
from tests.bench.disagreements import measure
from tests.bench.fit_answering import SHARED, development_cases

# case: (listed disagreements with values, shown by status or timeline, most unlisted).
FIGURES = {
    "seed (LinkedIn)": (1, 1, 0),
    "bartz-v-anthropic": (0, 0, 0),
    "facebook-bipa": (5, 1, 0),
    "nyt-v-openai": (2, 0, 0),
    "apple-batterygate": (4, 1, 0),
    "couriers-v-parcelo": (1, 1, 0),
    "kessling-v-ardent": (2, 2, 0),
}

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")


@needs_shared
@pytest.mark.parametrize("case", development_cases(), ids=lambda case: case.name)
def test_each_case_views_show_its_disagreements(case):
    figures = measure(case)
    listed, shown, most_unlisted = FIGURES[case.name]
    assert figures.listed == listed
    assert figures.either >= shown, "\n".join(figures.details)
    assert len(figures.unlisted) <= most_unlisted, "\n".join(figures.details)


def test_value_tokens_read_sums_dates_and_counts_alike():
    assert value_tokens("$1.5 billion") == value_tokens("1,500,000,000") == {"1500000000"}
    assert value_tokens("Oct. 6, 2020") == value_tokens("2020-10-06") == {"october", "6", "2020"}
    assert value_tokens("More than 1.5 million") == {"1500000"}
    assert value_tokens("iPhone 6, 6 Plus") == frozenset()  # a model number is no value
    assert value_tokens("may have been shortchanged") == frozenset()


def _conflict(*values: str) -> Conflict:
    return Conflict(
        about="x", values=tuple(ConflictValue(v, (Source(id=v),)) for v in values), kind="figure"
    )


def test_a_disagreement_is_shown_when_a_conflict_sets_two_of_its_sides_apart():
    items = [
        Item(ask="how much each?", expect=("$397 checks", "$345 each", "about $428"), conflict=True),
        Item(ask="how much, really?", expect=("$397 checks", "$345 each"), conflict=True),
        Item(ask="who sued?", expect=("three users", "a lawyer"), conflict=True),
        Item(ask="when?", expect=("March 2",)),
    ]
    listed, other = listed_disagreements(items)
    assert [d.asks for d in listed] == [("how much each?", "how much, really?")]
    assert other == ["who sued?"]
    (d,) = listed
    assert shown_by(d, [_conflict("$345", "$397")]) is not None
    assert shown_by(d, [_conflict("$345", "$1,000")]) is None  # one side only
    assert unlisted(listed, [_conflict("$345", "$1,000")]) == [_conflict("$345", "$1,000")]


def test_a_more_exact_date_is_the_same_side():
    (d,), _ = listed_disagreements([Item(ask="when?", expect=("filed March 11", "Tuesday, March 12"), conflict=True)])
    assert shown_by(d, [_conflict("March 11, 2024", "March 12, 2024")]) is not None
    assert shown_by(d, [_conflict("March 11, 2024", "March 13, 2024")]) is None
