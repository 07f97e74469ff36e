"""Features of a candidate sentence that the scorer weighs (retrieval/answering/features.py)."""

from __future__ import annotations

from retrieval.answering.candidates import candidates
from retrieval.answering.features import SENTENCE_FEATURES, sentence_features
from retrieval.answering.question import read_question
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.corpora import article


def _index(tmp_path, paragraphs: list[str]):
    (tmp_path / "a.md").write_text(
        article(outlet="Example Times", published="2025-03-01", paragraphs=paragraphs), encoding="utf-8"
    )
    return build_index(load_corpus(tmp_path))


def _column(index, question: str, name: str) -> dict[str, float]:
    """Each candidate's value of one feature, by the sentence's first 30 characters."""
    q = read_question(index, question)
    found = candidates(index, q)
    rows = sentence_features(index, q, found)
    return {c.sentence.text[:30]: rows[i, SENTENCE_FEATURES.index(name)] for i, c in enumerate(found)}


def test_a_sum_the_question_states_is_not_an_answer_of_its_kind(tmp_path):
    index = _index(
        tmp_path,
        [
            "The bakery agreed to a $48 million settlement with its former drivers.",
            "The drivers' lawyers will receive $12 million of the settlement in fees.",
            "A judge in Ohio must still approve the settlement.",
        ],
    )
    kinds = _column(index, "how much do the lawyers get out of the $48 million", "kind_money")
    assert kinds["The bakery agreed to a $48 mil"] == 0.0  # gives only the sum the question says
    assert kinds["The drivers' lawyers will rece"] == 1.0
    # Asked without the sum, the settlement sentence is a sum of the kind asked.
    plain = _column(index, "how much is the settlement worth", "kind_money")
    assert plain["The bakery agreed to a $48 mil"] == 1.0


def test_a_sum_for_each_one_answers_a_question_about_each_one(tmp_path):
    index = _index(
        tmp_path,
        [
            "The bakery will pay $500 million to settle the drivers' claims.",
            "Eligible drivers will receive $25 each under the settlement.",
            "In all the bakery will pay $500 million, or about $25 each, to settle.",
        ],
    )
    each = _column(index, "how much will each driver get from the settlement", "each_as_asked")
    assert each["Eligible drivers will receive "] == 1.0
    assert each["The bakery will pay $500 milli"] == 0.0
    assert each["In all the bakery will pay $50"] == 1.0
    total = _column(index, "how much will the bakery pay to settle", "each_unasked")
    assert total["Eligible drivers will receive "] == 1.0  # only a sum for each one
    assert total["The bakery will pay $500 milli"] == 0.0
    assert total["In all the bakery will pay $50"] == 0.0  # a total beside it


def test_a_step_asked_in_any_form_is_held_by_the_sentence_that_reports_it(tmp_path):
    index = _index(
        tmp_path,
        [
            "The suit, brought by couriers Ann Reyes and Tom Hale, seeks $9 million.",
            "The company sells groceries in four states.",
        ],
    )
    reported = "The suit, brought by couriers "
    assert _column(index, "who is suing?", "coverage")[reported] == _column(index, "who sued?", "coverage")[reported] == 1.0


def test_the_margin_is_over_a_sentence_that_says_something_else(tmp_path):
    from retrieval.answering.features import QUESTION_FEATURES, question_features

    index = _index(
        tmp_path,
        [
            "The bakery agreed to pay $48 million to settle the drivers' claims.",
            "Under the deal, the bakery will pay $48 million to the drivers.",
            "The drivers' lawyers asked for $12 million in fees.",
        ],
    )
    q = read_question(index, "how much is the bakery paying")
    found = candidates(index, q)
    rows = sentence_features(index, q, found)
    sums = ["$48 million" in c.sentence.text for c in found]
    # The two $48 million sentences most probable, the $12 million one behind them.
    probabilities = [0.8 if has else 0.1 for has in sums]
    probabilities[sums.index(True, sums.index(True) + 1)] = 0.75
    import numpy as np

    margin = question_features(q, index, rows, np.array(probabilities), found)[QUESTION_FEATURES.index("margin")]
    assert margin == 0.8 - 0.1  # not 0.8 - 0.75: the second tells the same sum


def test_the_digits_of_a_date_or_a_sum_are_no_count(tmp_path):
    index = _index(
        tmp_path,
        [
            "The company updated its privacy policy in September 2024.",
            "The suit seeks $1,000 for each member of the class.",
            "The class includes millions of Premium subscribers.",
            "About 1,200 households joined the suit.",
        ],
    )
    counts = _column(index, "how many people are in the class", "kind_count")
    assert counts["The company updated its privac"] == 0.0
    assert counts["The suit seeks $1,000 for each"] == 0.0
    assert counts["The class includes millions of"] == 1.0
    assert counts["About 1,200 households joined "] == 1.0


def test_whose_words_are_asked_is_who_stands_before_the_verb(tmp_path):
    index = _index(
        tmp_path,
        [
            "The complaint alleges Northwind Bakery took “every recipe we ever wrote.”",
            "Northwind Bakery said in a statement that the lawsuit has no merit.",
        ],
    )
    near = _column(index, "what did northwind bakery say about the lawsuit", "near_focus")
    assert near["The complaint alleges Northwin"] == 0.0  # the complaint ("lawsuit") speaks here
    assert near["Northwind Bakery said in a sta"] == 1.0


def test_the_speaker_of_what_someone_said_is_before_the_verb_or_inverted(tmp_path):
    index = _index(
        tmp_path,
        [
            "The complaint alleges Northwind Bakery and its owner made “unlawful use of the recipes.”",
            "Northwind Bakery has not commented on the recipes.",
            "The case has no merit, said Northwind Bakery.",
        ],
    )
    near = _column(index, "what did northwind bakery say about the recipes", "near_focus")
    assert near["The complaint alleges Northwin"] == 0.0  # the company is what is alleged about
    assert near["Northwind Bakery has not comme"] == 1.0
    assert near["The case has no merit, said No"] == 1.0
