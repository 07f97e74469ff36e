"""Features of a candidate sentence that the scorer weighs (retrieval/answering/features.py)."""

from __future__ import annotations

from retrieval.answering.candidates import candidates
from retrieval.answering.features import SENTENCE_FEATURES, sentence_features
from retrieval.answering.question import read_question
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.corpora import article


def _kind_column(index, question: str, kind: str) -> dict[str, float]:
    q = read_question(index, question)
    found = candidates(index, q)
    rows = sentence_features(index, q, found)
    column = SENTENCE_FEATURES.index(f"kind_{kind}")
    return {c.sentence.text: rows[i, column] for i, c in enumerate(found)}


def test_a_sum_the_question_states_is_not_an_answer_of_its_kind(tmp_path):
    (tmp_path / "a.md").write_text(
        article(
            outlet="Example Times",
            published="2025-03-01",
            paragraphs=[
                "The bakery agreed to a $48 million settlement with its former drivers.",
                "The drivers' lawyers will receive $12 million of the settlement in fees.",
                "A judge in Ohio must still approve the settlement.",
            ],
        ),
        encoding="utf-8",
    )
    index = build_index(load_corpus(tmp_path))
    kinds = _kind_column(index, "how much do the lawyers get out of the $48 million", "money")
    stated = next(v for text, v in kinds.items() if text.startswith("The bakery agreed"))
    new = next(v for text, v in kinds.items() if text.startswith("The drivers' lawyers"))
    assert stated == 0.0  # gives only the sum the question already says
    assert new == 1.0
    # Asked without the sum, the settlement sentence is a sum of the kind asked.
    plain = _kind_column(index, "how much is the settlement worth", "money")
    assert next(v for text, v in plain.items() if text.startswith("The bakery agreed")) == 1.0
