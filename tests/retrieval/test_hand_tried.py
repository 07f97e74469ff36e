"""The questions issue 19 tried by hand, each behaving as a reader would expect.

On the seed corpus and the development cases in ../shared/eval/cases/ (the scorer was
fitted on them too: these pin behaviour, the leave-one-case-out figures in test_eval.py
measure it).
"""

from __future__ import annotations

import pytest

from retrieval.answering import ask
from retrieval.corpus import load_corpus
from retrieval.evaluation import holds, tier
from retrieval.index import build_index
from tests.bench.fit_answering import SHARED
from tests.support.corpora import SEED_CORPUS_DIR, article

CASES = SHARED / "cases"
needs_shared = pytest.mark.skipif(not CASES.is_dir(), reason=f"{CASES} not present")


@pytest.fixture(scope="module")
def indexes():
    built = {}

    def index(name: str):
        if name not in built:
            built[name] = build_index(load_corpus(SEED_CORPUS_DIR if name == "seed" else CASES / name / "corpus"))
        return built[name]

    return index


def _shows(answer, *expected: str) -> bool:
    return any(holds(q.text, expected) for q in answer.quotes)


def test_how_much_per_person_shows_the_sum_per_person(indexes):
    """One content word and a kind of answer: the sum is found by the kind, not refused."""
    answer = ask(indexes("seed"), "how much per person?")
    assert tier(answer) != "not covered" and _shows(answer, "$1,000")


def test_a_question_about_something_else_is_not_covered(indexes):
    for question in ("whats the best way to cook rice", "who won the world cup"):
        answer = ask(indexes("seed"), question)
        assert tier(answer) == "not covered" and not answer.quotes, question


def test_which_court_is_hearing_the_case_shows_the_court(indexes):
    """No article says "hearing": an ordinary word the sources don't use lowers a match."""
    answer = ask(indexes("seed"), "Which court is hearing the case?")
    assert tier(answer) != "not covered" and _shows(answer, "California federal court", "Northern District of California")


@needs_shared
def test_a_spokesperson_is_found_where_the_sources_say_spokesman(indexes):
    answer = ask(indexes("facebook-bipa"), "who's facebook's spokesperson")
    assert tier(answer) != "not covered" and _shows(answer, "spokesman", "spokesperson")


@needs_shared
def test_did_it_admit_anything_wrong_finds_wrongdoing(indexes):
    answer = ask(indexes("facebook-bipa"), "did facebook admit it did anything wrong")
    assert tier(answer) != "not covered" and _shows(answer, "denied any wrongdoing")


@needs_shared
def test_a_number_the_sources_dont_write_does_not_refuse(indexes):
    """"4 months" against "183 days (six months)": a number is a fact to compare."""
    answer = ask(indexes("facebook-bipa"), "i lived in chicago like 4 months in 2019, am i eligible?")
    assert tier(answer) != "not covered" and _shows(answer, "183 days")


@needs_shared
def test_an_outlet_named_only_in_the_front_matter_selects_its_article(indexes):
    answer = ask(indexes("nyt-v-openai"), "what did dow jones report")
    assert tier(answer) != "not covered"
    assert {q.source.id for q in answer.quotes} == {"dowjones-marketscreener-2024-02-27-openai-moves-to-dismiss"}


@needs_shared
def test_deadline_to_file_a_claim_shows_the_date(indexes):
    answer = ask(indexes("facebook-bipa"), "deadline to file a claim?")
    assert tier(answer) != "not covered" and _shows(answer, "November 23rd, 2020")


def test_a_near_miss_is_the_closest_passage_never_an_answer(tmp_path):
    """"Who was the mediator?" where the sources say only "reached through mediation"."""
    (tmp_path / "a.md").write_text(
        article(
            outlet="Example Times",
            published="2024-05-01",
            paragraphs=[
                "Authors sued Acme Press in May over unpaid royalties on their audiobooks.",
                "The settlement was reached through mediation, the company said on Friday.",
                "Acme Press will pay the authors $2 million.",
            ],
        ),
        encoding="utf-8",
    )
    answer = ask(build_index(load_corpus(tmp_path)), "who was the mediator?")
    assert answer.kind == "no_answer" and answer.closest
    assert "mediation" in answer.quotes[0].text
    assert all(q.label == "Closest" for q in answer.quotes)


def test_a_name_the_sources_never_mention_is_not_covered_and_named(tmp_path):
    (tmp_path / "a.md").write_text(
        article(outlet="Example Times", paragraphs=["Authors sued Acme Press in May over their royalties."]), encoding="utf-8"
    )
    answer = ask(build_index(load_corpus(tmp_path)), "what did Zuckerberg say about it")
    assert tier(answer) == "not covered" and "“Zuckerberg”" in answer.text


@needs_shared
def test_an_author_named_in_a_question_selects_their_article(indexes):
    answer = ask(indexes("nyt-v-openai"), "what did glickman write about the case")
    assert answer.quotes
    assert {q.source.id for q in answer.quotes} == {"dowjones-marketscreener-2024-02-27-openai-moves-to-dismiss"}
