"""The tiers of an answer (retrieval/answering/tiers.py): what each shows beside its quotes."""

from __future__ import annotations

from dataclasses import replace

from retrieval.answering import ask
from retrieval.answering.scorer import shipped
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.corpora import article

# Never confident: the closest tier is what these tests read.
CLOSEST_ONLY = replace(shipped(), confident=1.01)


def _write(directory, name: str, outlet: str, published: str, paragraphs: list[str]) -> None:
    text = article(outlet=outlet, published=published, paragraphs=paragraphs)
    (directory / name).write_text(text, encoding="utf-8")


def _index(tmp_path):
    _write(tmp_path, "a.md", "Example Times", "2025-01-23", [
        "The company introduced the AI training privacy setting in August 2023, the complaint says.",
        "The setting lets members keep their messages out of AI training.",
    ])  # fmt: skip
    _write(tmp_path, "b.md", "Daily Ledger", "2025-01-24", [
        "The company introduced the AI training privacy setting in August 2024, the lawsuit says.",
        "Members were opted in by default, the lawsuit says.",
    ])  # fmt: skip
    _write(tmp_path, "c.md", "Wire Service", "2025-01-25", [
        "A federal judge in San Jose will hear the case.",
        "The company's shares fell two percent on Friday.",
    ])  # fmt: skip
    return build_index(load_corpus(tmp_path))


def test_a_closest_answer_shows_the_sources_differ_on_a_value_the_question_states(tmp_path):
    answer = ask(_index(tmp_path), "so the privacy setting started in 2023 right", model=CLOSEST_ONLY)
    assert answer.closest
    assert any({"August 2023", "August 2024"} <= {v.value for v in c.values} for c in answer.conflicts)
    # Said before the colon that introduces the quotes, not after it.
    assert answer.text.startswith("The sources don't say that directly, and they disagree")
    assert answer.text.endswith("The closest they come:")


def test_a_closest_answer_leaves_out_disagreements_on_what_is_not_asked(tmp_path):
    answer = ask(_index(tmp_path), "can members keep their messages out of the training", model=CLOSEST_ONLY)
    assert answer.closest and answer.quotes
    assert not answer.conflicts and "disagree" not in answer.text


def test_a_question_naming_nothing_of_its_own_is_asked_about_the_case(seed_index):
    answer = ask(seed_index, "when did this happen")
    assert answer.question == "when did this happen"
    assert answer.quotes and "lawsuit" in answer.quotes[0].text.casefold()
    # A greeting asks nothing: no quotes.
    assert not ask(seed_index, "hi").quotes
