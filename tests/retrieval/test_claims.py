"""Sentences as claims: the same claim told by two sources agrees or conflicts."""

from __future__ import annotations

import pytest

from retrieval.case import claims
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.corpora import article


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    directory = tmp_path_factory.mktemp("claims")
    files = {
        "a.md": article(outlet="Alpha", paragraphs=["The company introduced the privacy setting in August 2023."]),
        "b.md": article(outlet="Beta", paragraphs=["The company introduced the privacy setting in August 2024."]),
        "c.md": article(outlet="Gamma", paragraphs=["The plaintiffs seek $1k per user in damages."]),
        "d.md": article(outlet="Delta", paragraphs=["The plaintiffs seek $1,000 per user in damages."]),
        "e.md": article(outlet="Epsilon", paragraphs=["Reporters ate lunch in the park on a sunny day."]),
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return build_index(load_corpus(directory))


def _first(index, source_id):
    passage = next(p for p in index.passages if p.source_id == source_id)
    return claims.sentences_of(index, passage)[0]


def test_the_same_claim_with_different_dates_is_a_conflict_naming_who_says_what(index):
    a = _first(index, "a")
    (conflict,) = claims.conflicts(index, a, claims.candidates(index, a))
    by_value = {v.value: [s.name for s in v.sources] for v in conflict.values}
    assert by_value == {"August 2023": ["Alpha"], "August 2024": ["Beta"]}


def test_the_same_sum_written_two_ways_corroborates(index):
    c = _first(index, "c")
    assert c.figures == ("$1,000",)
    others = claims.candidates(index, c)
    assert [s.name for s in claims.corroborating(index, c, others)] == ["Delta"]
    assert claims.conflicts(index, c, others) == []


def test_unrelated_sentences_are_not_the_same_claim(index):
    assert claims.similarity(index, _first(index, "a"), _first(index, "e")) < claims.SAME_CLAIM
    assert claims.similarity(index, _first(index, "a"), _first(index, "b")) >= claims.SAME_CLAIM


def test_neighbours_cross_passage_breaks_within_an_article(make_corpus):
    directory = make_corpus(
        {"n.md": article(outlet="N", paragraphs=["First one. Second one.", "Third one."])}
    )
    index = build_index(load_corpus(directory))
    second = claims.sentences_of(index, index.passages[0])[1]
    assert [s.text for s in claims.neighbours(index, second, before=1, after=1)] == ["First one.", "Third one."]
