"""Question analysis: chat spellings, paraphrases, typos, answer types and focus."""

from __future__ import annotations

import pytest

from retrieval.answering.question import normalise, read_question


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("whats the payout", "what is the payout"),
        ("didnt linkedin tell ppl", "did not linkedin tell people"),
        ("settled w/o a trial", "settled without a trial"),
        ("besides the 1k per user", "besides the 1,000 per user"),
        ("a $2bn deal", "a $2 billion deal"),
        ("did he back out of the lawsuit", "did he withdrew of the lawsuit"),
        ("where did they take linkedin to court", "where did they sued linkedin in court"),
        ("how do i turn it off", "how do i disable it"),
        ("any idea what judge is on it", "what judge is on it"),
        ("can users switch the ai training off", "can users disable the ai training"),
        ("how do i turn the setting on", "how do i enable the setting"),
        ("which countries were left out", "which countries were excluded"),
        ("how many users are part of the suit", "how many users in the suit"),
        ("what happened to the lawsuit in the end", "what happened to the lawsuit"),
        ("did linkedin update its policy", "did linkedin revise its policy"),
        ("any update on the case", "any update on the case"),  # news, not the verb
        ("when was the trial supposed to be", "when was the trial planned to be"),
        ("which writers started the case", "which writers filed the case"),
        ("whos representing the authors", "who is the lawyer for the authors"),
        ("is it 40k or 45k? seems like the articles dont agree", "is it 40,000 or 45,000?"),
        ("how many homes, i keep seeing diff numbers", "how many homes,"),
        ("did they pay up", "did they paid to settle"),
        ("did the settlement go up", "did the settlement increased"),
        ("how many ppl work at the plant", "how many people employed by the plant"),
        ("whens the next court date", "when is the next hearing"),
        ("has it gotten in trouble before", "has it penalized before"),
        ("what were the authors asking for", "what were the authors seeking"),
        ("is this the first time they got sued", "is this ever they got sued"),
    ],
)
def test_normalise_reads_chat_as_plain_words(typed, read):
    assert normalise(typed) == read


def test_who_is_suing_also_asks_for_the_plaintiff(seed_index):
    words = {t for g in read_question(seed_index, "Who is suing LinkedIn?").groups for t in g.terms}
    assert {"plaintiff", "behalf"} <= words
    other = read_question(seed_index, "Is LinkedIn suing anyone?")
    assert "plaintiff" not in {t for g in other.groups for t in g.terms}


def test_typos_are_read_as_corpus_words_and_reported(seed_index):
    q = read_question(seed_index, "whos the plantiff in the lawsiut")
    assert ("plantiff", "plaintiff") in q.corrections
    assert ("lawsiut", "lawsuit") in q.corrections
    assert not q.unknown


def test_ordinary_words_are_never_corrected(seed_index):
    q = read_question(seed_index, "what did the jury decide")
    assert not q.corrections
    assert "jury" in {u.word for u in q.unknown}


def test_unknown_procedure_words_and_names_are_key_content(seed_index):
    judge = read_question(seed_index, "which judge is on the case")
    assert [u for u in judge.unknown if u.word == "judge" and u.name]
    stuff = read_question(seed_index, "what stuff did linkedin share")
    assert not stuff.unknown  # "stuff" is filler, not a topic


def test_words_always_seen_together_are_one_concept(seed_index):
    q = read_question(seed_index, "who is the lawyer for de la torre")
    assert [g.word for g in q.groups if "torre" in g.word] == ["de la torre"]
    assert [g.word for g in read_question(seed_index, "is the lawsuit about privacy").groups] == ["lawsuit", "privacy"]


@pytest.mark.parametrize(
    ("question", "answer_type", "focus"),
    [
        ("who is the attorney for de la torre", "person", "attorney"),
        ("which premium tier does de la torre have", None, "tier"),
        ("how many authors are suing", "count", "author"),
        ("how many pirated books did they copy", "count", "book"),
        ("how much are they asking for", "money", None),
        ("when was it dropped", "date", None),
        ("why did they drop the case", "reason", None),
        ("where was the suit filed", "place", None),
        ("what law did linkedin break", "name", "law"),
        ("what did de la torre think of the deal", "words", None),
        ("how big is linkedin", "count", None),
        ("what % of members opted out", "count", "percent"),
        ("how long can linkedin keep the messages", "count", None),
        ("how long ago was it filed", "date", None),
        ("the linkedin is must pay how much money for this", "money", None),
        ("no matter how much they pay, did they admit it", None, None),
        # a type word heading the phrase asked about gives its kind; "number" names no count
        ("what was the settlement amount", "money", "settlement"),
        ("what is the filing date", "date", "file"),
        ("what is the case number", None, "docket"),
    ],
)
def test_answer_type_and_focus(seed_index, question, answer_type, focus):
    q = read_question(seed_index, question)
    assert q.answer_type == answer_type
    assert q.focus == focus


@pytest.mark.parametrize(
    ("question", "answer_type", "focus"),
    [
        ("roughly how many people are in the class", "count", "peopl"),
        ("about how much could i get", "money", None),
        ("i'm wondering who the judge is", "person", "judg"),
        ("do you happen to know when it was filed", "date", None),
    ],
)
def test_a_question_asked_inside_another_is_read_from_its_question_word(seed_index, question, answer_type, focus):
    q = read_question(seed_index, question)
    assert (q.answer_type, q.focus) == (answer_type, focus)


def test_a_question_word_after_words_of_a_topic_is_no_embedded_question(seed_index):
    # "the judge who approved it": a relative clause, not "who" asked.
    assert read_question(seed_index, "did the judge who approved it say anything").answer_type != "person"


def test_questions_about_the_sources_are_told_apart(seed_index):
    assert read_question(seed_index, "which outlets are your sources?").about_sources == "list"
    assert read_question(seed_index, "got a link to the register story?").about_sources == "link"
    assert read_question(seed_index, "who wrote the techspot article").about_sources == "author"
    assert read_question(seed_index, "which article says august 2023").about_sources is None


def test_tell_me_is_a_frame_but_tell_anyone_is_content(seed_index):
    assert [g.word for g in read_question(seed_index, "Can you tell me what happened to the lawsuit?").groups] == ["lawsuit"]
    assert "tell" in {g.word for g in read_question(seed_index, "did linkedin tell anyone").groups}


@pytest.mark.parametrize("text", ["and when was that?", "who said that?", "source?", "why?", "how much?"])
def test_short_follow_ups_without_content_need_the_previous_question(seed_index, text):
    from retrieval.answering.question import is_follow_up

    assert is_follow_up(seed_index, text)


@pytest.mark.parametrize("text", ["when was it withdrawn?", "who is suing linkedin", "what about canada"])
def test_a_question_with_its_own_content_is_no_follow_up(seed_index, text):
    from retrieval.answering.question import is_follow_up

    assert not is_follow_up(seed_index, text)


def test_a_follow_up_is_asked_about_the_previous_question(seed_index):
    from retrieval.answering import ask
    from retrieval.answering.question import with_context

    answer = ask(seed_index, with_context("and when was that?", "when was the lawsuit withdrawn"))
    assert answer.kind == "answer" and "withdrawn" in answer.quotes[0].text


def test_the_kind_of_answer_may_come_from_a_later_sentence_of_the_message(seed_index):
    q = read_question(seed_index, "one article says monday one says tuesday?? which day did they file lol")
    assert q.answer_type == "date"


def test_the_plaintiff_word_of_who_is_suing_only_tips_the_ranking(seed_index):
    q = read_question(seed_index, "who is suing linkedin")
    assert [g.word for g in q.groups if g.optional] == ["plaintiff"]


def test_a_place_the_sources_never_mention_is_key_content(seed_index):
    q = read_question(seed_index, "how many users in ohio were affected")
    assert [u.word for u in q.unknown if u.name] == ["ohio"]


def test_over_asks_for_status_only_as_in_is_it_over():
    from retrieval.case.developments import asks_for_status, asks_only_for_news

    assert asks_only_for_news("is it over?") and asks_for_status("is the case over yet")
    assert not asks_for_status("did they get sued over copyright")


def test_dropped_names_a_withdrawal_as_well_as_a_dismissal(seed_index):
    assert {"dismissed", "withdrawn"} <= read_question(seed_index, "was the lawsuit dropped").steps


def test_the_name_of_something_asks_for_it_not_for_a_qualified_role(tmp_path):
    from retrieval.corpus import load_corpus
    from retrieval.index import build_index
    from tests.support.corpora import article

    (tmp_path / "a.md").write_text(
        article(outlet="Example Times", published="2025-03-01", paragraphs=["Judge Ana Ruiz approved the settlement."]),
        encoding="utf-8",
    )
    q = read_question(build_index(load_corpus(tmp_path)), "what's the name of the judge that approved it")
    assert q.answer_type == "name"
    assert "judge" in {g.word for g in q.content}  # what is asked, not a qualifier
