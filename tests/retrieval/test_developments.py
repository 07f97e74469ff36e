"""Procedural developments: which sentences report a step of this case."""

from __future__ import annotations

import pytest

from retrieval.case.developments import about_other_case, asks_for_status, asks_only_for_news, step


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("LinkedIn users have recently filed a class action lawsuit against the network.", "filed"),
        ("The lawsuit has been withdrawn.", "withdrawn"),
        ("The case was dismissed on Friday.", "dismissed"),
        ("The settlement was given preliminary approval by a federal judge.", "approved"),
        ("A rival baker sued the bakery on Monday.", "filed"),
        ("The judge certified the class in the lawsuit.", "certified"),
    ],
)
def test_sentences_that_report_a_step(sentence, expected):
    assert step(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The complaint alleges LinkedIn amended its terms.",  # the amending is LinkedIn's
        "The judge will be the one giving the settlement final approval.",  # foretold
        "Had they not settled, the case would have gone to trial.",  # imagined
        "LinkedIn updated its privacy policy in September.",  # no step
    ],
)
def test_sentences_that_report_no_step(sentence):
    assert step(sentence) is None


def test_the_stronger_step_wins_when_a_sentence_reports_two():
    assert step("The lawsuit, filed last week, has been withdrawn.") == "withdrawn"


@pytest.mark.parametrize(
    ("sentence", "following"),
    [
        ("This follows a previous lawsuit over video ads.", ""),
        ("It is one of many suits, for instance, Acme's 2023 lawsuit against the maker.", ""),
        ("This case follows LinkedIn's settlement in 2024.", "The previous lawsuit accused it of inflating metrics."),
    ],
)
def test_sentences_about_another_case(sentence, following):
    assert about_other_case(sentence, following)


def test_a_sentence_about_this_case_is_not_about_another():
    assert not about_other_case("The lawsuit was filed in San Jose.", "It seeks $1,000 per user.")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is the lawsuit still going on?", True),
        ("is linkedin still being sued", True),
        ("What is the lawsuit about?", False),
        ("Is it still raining?", False),
    ],
)
def test_status_questions(question, expected):
    assert asks_for_status(question) is expected


@pytest.mark.parametrize(
    "question",
    ["any updates?", "an update on the case?", "whats new", "anything new with the case?", "any news on the lawsuit",
     "where does the case stand", "is it over yet"],
)
def test_news_words_ask_for_news(question):
    assert asks_only_for_news(question)


@pytest.mark.parametrize(
    "question",
    [
        "what does bipa stand for",  # an acronym, not where it stands
        "what did linkedin tell bbc news?",  # an outlet's name
        "is the times the first big news outlet to sue",
        "from what date could openai stop saving new chats",  # new as an adjective
        "what did the september privacy policy update say?",  # the update of a policy
        "did linkedin update their privacy policy",  # the verb
        "how many logs does openai have to hand over",
        "where was the suit filed, before it ended up in california?",  # a clause setting the scene
        "if i turn it off now does that undo the training",
    ],
)
def test_status_words_in_another_sense_ask_no_news(question):
    assert not asks_only_for_news(question) and not asks_for_status(question)


def test_an_old_filing_is_this_case_begun_before_its_coverage_but_an_old_ending_is_another():
    from datetime import date

    first = date(2020, 7, 23)  # coverage begins years after the suit was filed
    assert not about_other_case("Facebook was sued by a Chicago attorney in Cook County in 2015.", first_report=first)
    assert not about_other_case("An initial complaint was filed by three users in 2015.", first_report=first)
    # A date that bounds a period says when nothing happened.
    assert not about_other_case("Those covered by the settlement include users seen after June 7, 2011.", first_report=first)
    assert about_other_case("In 2016, the company paid $2 million to settle a suit by the state.", first_report=first)
    assert about_other_case("A similar suit was dismissed in 2017.", first_report=first)
