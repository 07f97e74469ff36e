"""The composer: verbatim quotes, attribution, corroboration, conflicts and abstention."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.compose import MAX_QUOTE_CHARS, ask, cut, sources
from retrieval.corpus import load_corpus
from retrieval.index import build_index

QUESTIONS = [
    "Who is suing LinkedIn?",
    "What is LinkedIn accused of?",
    "How much are plaintiffs asking per user?",
    "Which laws were allegedly broken?",
    "What did the September privacy policy update say?",
    "When did LinkedIn introduce the privacy setting?",
    "Is the case still going on?",
]


@pytest.fixture(scope="module")
def index():
    from tests.support.corpora import SEED_CORPUS_DIR

    return build_index(load_corpus(SEED_CORPUS_DIR))


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_quote_is_verbatim_from_its_own_source(index, question):
    answer = ask(index, question)
    assert answer.kind == "answer" and answer.quotes
    for quote in answer.quotes:
        article = next(a for a in index.corpus.articles if a.source == quote.source)
        body = folded(" ".join(p.text for p in article.passages))
        for piece in quote.text.split("…"):
            assert folded(piece) in body


@pytest.mark.parametrize("question", QUESTIONS)
def test_quotes_carry_their_passage_date_and_stay_short(index, question):
    for quote in ask(index, question).quotes:
        assert quote.date == index.passages[quote.passage_id].date
        assert len(quote.text) <= MAX_QUOTE_CHARS + 2  # plus the "…" marks of a cut


def test_at_most_three_quotes_by_default_and_the_limit_is_a_parameter(index):
    assert len(ask(index, "What is LinkedIn accused of?").quotes) <= 3
    assert len(ask(index, "What is LinkedIn accused of?", max_quotes=1).quotes) == 1


def test_withdrawal_is_attributed_to_the_register_on_the_update_date(index):
    answer = ask(index, "Who said the lawsuit was withdrawn?")
    quote = answer.quotes[0]
    assert "Sarah Wight" in quote.text
    assert quote.source.outlet == "The Register"
    assert quote.source.url.startswith("https://www.theregister.com/")
    assert quote.date == date(2025, 1, 30)


def test_statement_several_outlets_report_lists_them_as_also_reported(index):
    answer = ask(index, "What did LinkedIn tell BBC News?")
    quote = next(q for q in answer.quotes if "no merit" in q.text)
    assert quote.also_in, "the 'no merit' statement appears in four articles"
    assert quote.source not in quote.also_in
    # the same statement is not quoted again from another source
    assert sum("no merit" in q.text for q in answer.quotes) == 1


def test_august_2023_and_2024_disagreement_is_shown_with_who_says_what(index):
    answer = ask(index, "When did LinkedIn introduce the privacy setting?")
    (conflict,) = [c for c in answer.conflicts if {"August 2023", "August 2024"} <= {v.value for v in c.values}]
    by_value = {v.value: {s.id for s in v.sources} for v in conflict.values}
    assert by_value["August 2023"] == {"unknown-outlet-000-linkedin-lawsuit"}
    assert "unknown-outlet-002-linkedin-class-action" in by_value["August 2024"]


def test_agreeing_sources_make_no_conflict(index):
    assert ask(index, "How much are plaintiffs asking per user?").conflicts == ()


@pytest.mark.parametrize(
    "question",
    [
        "Which judge is presiding?",
        "When is the next hearing?",
        "What did the jury decide?",
        "Did Google settle its privacy lawsuit?",
        "Is Meta being sued over messages too?",
        "What's the weather like today?",
        "What's a good recipe for banana bread?",
        "zzzz",
        "",
        "???",
    ],
)
def test_questions_the_sources_do_not_cover_get_no_quotes(index, question):
    answer = ask(index, question)
    assert answer.kind == "no_answer"
    assert answer.quotes == ()
    assert "don't cover" in answer.text
    assert any("/case sources" in note for note in answer.notes)


def test_abstention_names_the_words_the_sources_never_use(index):
    assert "“Google”" in ask(index, "Did Google settle its privacy lawsuit?").text


def test_status_question_leads_with_the_latest_development(index):
    answer = ask(index, "Is the case still going on?")
    assert "withdrawn" in answer.quotes[0].text
    assert answer.quotes[0].date == date(2025, 1, 30)


def test_long_sentence_is_cut_around_the_question_words_with_ellipses(index):
    sentence = " ".join(["Filler words come first here."] * 12) + " The plaintiffs seek $1,000 per user. " + " ".join(
        ["More filler follows after."] * 12
    )
    quoted = cut(sentence, index, index.analyzer.query("How much do plaintiffs seek?"))
    assert quoted.startswith("…") and quoted.endswith("…")
    assert "seek $1,000 per user" in quoted
    assert len(quoted) <= MAX_QUOTE_CHARS + 2


def test_sources_lists_every_article_with_passage_counts(index):
    answer = sources(index)
    assert answer.kind == "sources"
    assert len(answer.sources) == 5
    assert sum(s.passages for s in answer.sources) == len(index.passages)
    assert answer.loaded_at == index.corpus.loaded_at


@pytest.mark.parametrize(
    "question", ["What is the status of the case?", "Is the LinkedIn InMail lawsuit over?"]
)
def test_questions_about_where_the_case_stands_lead_with_the_latest_step(index, question):
    assert "withdrawn" in ask(index, question).quotes[0].text


def test_a_question_about_another_named_case_is_not_taken_for_a_status_question(index):
    answer = ask(index, "What happened to the video ad metrics case?")
    assert "withdrawn" not in answer.quotes[0].text
    assert "video" in answer.quotes[0].text


def test_sentences_about_another_case_do_not_answer_questions_about_this_one(index):
    answer = ask(index, "When was the case filed?")
    assert not any("6.625" in q.text for q in answer.quotes)


@pytest.mark.parametrize("question", ["Who is suing LinkedIn?", "Who is the plaintiff?", "Who filed the lawsuit?"])
def test_who_questions_quote_the_named_plaintiff(index, question):
    assert any("De La Torre" in q.text for q in ask(index, question).quotes)
