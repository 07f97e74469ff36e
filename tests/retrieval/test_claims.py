"""Sentences as claims: the same claim told by two sources agrees or conflicts."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="module")
def values_index(tmp_path_factory):
    directory = tmp_path_factory.mktemp("values")
    files = {
        "a.md": article(outlet="Alpha", published="2024-03-12", paragraphs=[
            "The photo tag suggestions feature was launched in 2010, the complaint says.",
            "The settlement is worth $500 million. Most eligible iPhone owners will likely receive about $25 each.",
        ]),
        "b.md": article(outlet="Beta", published="2024-03-13", paragraphs=[
            "Centering on the tag suggestions feature introduced by the company in 2011, the suit seeks damages.",
            "Each eligible iPhone owner is likely to receive around $65.",
        ]),
        "c.md": article(outlet="Gamma", paragraphs=["Reporters ate lunch in 2011 near the park, where the feature was discussed."]),
        "d.md": article(outlet="Delta", paragraphs=["The weather was mild for the season."]),
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return build_index(load_corpus(directory))


def _holding(index, words):
    return next(s for p in index.passages for s in claims.sentences_of(index, p) if words in s.text)


def test_different_dates_of_one_thing_in_few_shared_words_are_a_disagreement(values_index):
    a = _holding(values_index, "launched in 2010")
    found = claims.value_disagreements(values_index, a)
    (conflict, others) = next((c, o) for c, o in found if c.kind == "date")
    assert {v.value: [s.name for s in v.sources] for v in conflict.values} == {"2010": ["Alpha"], "2011": ["Beta"]}
    assert [o.passage.source_id for o in others] == ["b"]  # not Gamma's lunch in 2011


def test_a_sum_for_each_is_compared_with_sums_for_each_not_with_the_total(values_index):
    a = _holding(values_index, "$25 each")
    found = claims.value_disagreements(values_index, a)
    values = [{v.value for v in c.values} for c, _ in found if c.kind == "figure"]
    assert {"$25", "$65"} in values
    assert not any("$500,000,000" in v for v in values)


def test_the_sums_quoted_for_one_question_disagree_only_when_they_are_of_one_thing(values_index):
    each = _holding(values_index, "$25 each")
    total = _holding(values_index, "worth $500 million")
    other = _holding(values_index, "around $65")
    (conflict,) = claims.asked_conflicts(values_index, [each, other], "figure")
    assert {v.value: [s.name for s in v.sources] for v in conflict.values} == {"$25": ["Alpha"], "$65": ["Beta"]}
    # The settlement's total beside what each owner gets is no disagreement.
    assert claims.asked_conflicts(values_index, [total, other], "figure") == ()
    assert claims.asked_conflicts(values_index, [each, total], "figure") == ()  # one source


def test_a_sum_paid_in_checks_is_a_sum_for_each(make_corpus):
    directory = make_corpus(
        {
            "w.md": article(outlet="WTVO", paragraphs=["Users across the state have begun receiving $397 checks."]),
            "a.md": article(outlet="ABC", paragraphs=["After all checks are issued, each person should get about $428."]),
            "t.md": article(outlet="Times", paragraphs=["The fund totals $650 million after fees of $97 million."]),
        }
    )
    index = build_index(load_corpus(directory))
    checks, each, total = (_holding(index, words) for words in ("$397 checks", "about $428", "$650 million"))
    assert [v.per_unit for v in checks.values] == [True] and [v.per_unit for v in total.values] == [False, False]
    (conflict,) = claims.asked_conflicts(index, [checks, each], "figure")
    assert {v.value for v in conflict.values} == {"$397", "$428"}
    assert claims.asked_conflicts(index, [checks, total], "figure") == ()


def test_counts_of_the_same_people_differ_though_written_with_other_words(make_corpus):
    directory = make_corpus(
        {
            "a.md": article(outlet="ABC", paragraphs=["Nearly 1.3 million people filed claims in the Illinois privacy settlement."]),
            "w.md": article(outlet="WTVO", paragraphs=["More than 1.5 million eligible Facebook users in Illinois filed claims in the privacy settlement."]),
            "c.md": article(outlet="Chem", paragraphs=["The plant makes 1.4 million tons of coatings a year."]),
        }
    )
    index = build_index(load_corpus(directory))
    people = _holding(index, "1.3 million people")
    (conflict, others) = next((c, o) for c, o in claims.value_disagreements(index, people) if c.kind == "count")
    assert {v.value: [s.name for s in v.sources] for v in conflict.values} == {
        "1.3 million people": ["ABC"],
        "1.5 million eligible": ["WTVO"],
    }  # not the plant's 1.4 million tons


@pytest.mark.parametrize(
    ("after", "counted"),
    [
        (" people successfully filed claims", ["people"]),
        (" eligible Facebook users in Illinois", ["eligible", "Facebook", "users"]),
        (" affected owners were paid", ["owners"]),
        (" couriers.", ["couriers"]),
    ],
)
def test_what_a_count_counts_stops_at_a_function_word_a_verb_or_an_adverb(after, counted):
    assert claims._counted_words(after) == counted


SEED = Path(__file__).resolve().parents[2] / "corpus"


@pytest.mark.parametrize("valued_first", [True, False])
def test_the_sentences_giving_values_are_those_of_the_whole_analysis(valued_first):
    """The case-wide search for disagreements analyses only the sentences that give a
    value; they must be the very sentences the whole analysis gives, whichever ran first."""
    index = build_index(load_corpus(SEED))
    whole = {}
    for passage in index.passages:
        if valued_first:
            valued = claims.valued_sentences(index, passage)
            whole[passage.id] = claims.sentences_of(index, passage)
        else:
            whole[passage.id] = claims.sentences_of(index, passage)
            valued = claims.valued_sentences(index, passage)
        assert valued == [s for s in whole[passage.id] if claims.gives_value(s)]
    given = [s for sentences in whole.values() for s in sentences if claims.gives_value(s)]
    # The seed articles give dates, sums and counts, and not in every sentence.
    assert 0 < len(given) < sum(len(s) for s in whole.values())
    assert any(s.values and not s.figures for s in given) and any(s.figures for s in given)
    # And on a snapshot where nothing else was analysed first.
    fresh = build_index(load_corpus(SEED))
    assert [s for p in fresh.passages for s in claims.valued_sentences(fresh, p)] == given


def test_a_sentence_giving_only_a_date_of_its_claim_counts_as_giving_a_value(make_corpus):
    directory = make_corpus(
        {"m.md": article(outlet="M", paragraphs=["A hearing would be held in March 2026. Nothing else here."])}
    )
    index = build_index(load_corpus(directory))
    (passage,) = index.passages
    first, second = claims.sentences_of(index, passage)
    assert first.dates == ("March 2026",) and first.values == ()  # foretold: no value to compare
    assert claims.valued_sentences(build_index(load_corpus(directory)), passage) == [first]
    assert not claims.gives_value(second)
