"""Sentence splitting on news prose: abbreviations, numbers, quotes and the seeds' own text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.language.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_splits_plain_sentences_at_full_stops() -> None:
    assert sentences("LinkedIn denied it. The suit was filed.") == [
        "LinkedIn denied it.",
        "The suit was filed.",
    ]


def test_offsets_exclude_surrounding_whitespace() -> None:
    text = "  One here.   Two there.  "
    assert split_sentences(text) == [(2, 11), (14, 24)]


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []


def test_text_without_final_stop_is_one_sentence() -> None:
    assert sentences("Microsoft's IG-for-suits insists lawsuit's claims are without merit") == [
        "Microsoft's IG-for-suits insists lawsuit's claims are without merit"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The suit was filed in the U.S. District Court for the Northern District of California.",
        "Users in the U.K. Information Commissioner's remit were exempt.",
        "LinkedIn Corp. is owned by Microsoft Corp. since 2016.",
        "Acme Inc. (the plaintiff's employer) said nothing.",
        "Acme Ltd., a supplier, said nothing.",
        "Mr. Smith and Ms. Jones met Dr. Brown on St. Mary's Road.",
        "The case is De La Torre v. LinkedIn Corporation.",
        "It was Apple vs. Microsoft again.",
        "Tools, e.g. Copilot, and policies, i.e. the LSA, were named.",
        "The filing is No. 5 on the list.",
        "It was filed on Jan. 21 and withdrawn on Jan. 30.",
        "The policy changed in Sept. 2024 and again in Oct. 2024.",
        "The notice came in Dec. a month after the change.",
        "The complaint was signed by J. R. Smith for the class.",
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_dotted_abbreviation_before_a_sentence_opener_ends_the_sentence() -> None:
    assert sentences("The suit was filed in the U.S. The company denied it.") == [
        "The suit was filed in the U.S.",
        "The company denied it.",
    ]


def test_month_abbreviation_before_a_capital_ends_the_sentence() -> None:
    assert sentences("It was filed in Jan. Nobody expected it.") == [
        "It was filed in Jan.",
        "Nobody expected it.",
    ]


def test_company_suffix_before_a_capital_ends_the_sentence() -> None:
    assert sentences("Copyright © 2024 Insider Inc. All rights reserved.") == [
        "Copyright © 2024 Insider Inc.",
        "All rights reserved.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The case comes nearly a decade after LinkedIn’s $26.1bn acquisition by Microsoft.",
        "This case follows LinkedIn’s settlement of a $6.625 million class action lawsuit.",
        "The company reported $1.7 billion in revenue from Premium subscriptions in 2023.",
        "It seeks statutory damages ($1,000) per person.",
        "LinkedIn’s actions breached Section 3.2 of the LinkedIn’s Subscription Agreement.",
        "The page is enterprisenova.com/?p=2577 today.",
        "It ran macOS Sequoia 15.3 and iOS 18.3 by default.",
    ],
)
def test_decimals_money_and_section_numbers_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_sentence_ending_inside_quotes_with_attribution_is_one_sentence() -> None:
    text = '"These are false claims with no merit," LinkedIn said. It denied everything.'
    assert sentences(text) == [
        '"These are false claims with no merit," LinkedIn said.',
        "It denied everything.",
    ]


def test_split_falls_after_a_closing_straight_quote() -> None:
    assert sentences('He said "it was withdrawn today." Next sentence here.') == [
        'He said "it was withdrawn today."',
        "Next sentence here.",
    ]


def test_split_falls_after_a_closing_curly_double_quote() -> None:
    text = "stating they are “false claims with no merit.” The company emphasized it."
    assert sentences(text) == [
        "stating they are “false claims with no merit.”",
        "The company emphasized it.",
    ]


def test_split_falls_after_a_closing_curly_single_quote() -> None:
    assert sentences("It called it ‘baseless.’ Then it moved on.") == [
        "It called it ‘baseless.’",
        "Then it moved on.",
    ]


def test_quoted_sentence_followed_by_lowercase_attribution_is_one_sentence() -> None:
    text = "“It is important to always set the record straight.” said Wight."
    assert sentences(text) == [text]


def test_question_and_exclamation_marks_end_sentences() -> None:
    assert sentences("Was it shared? Nobody knows! We asked.") == [
        "Was it shared?",
        "Nobody knows!",
        "We asked.",
    ]


def test_question_mark_inside_quote_followed_by_lowercase_does_not_split() -> None:
    text = '"Why?" he asked, and left.'
    assert sentences(text) == [text]


def test_ellipsis_before_lowercase_does_not_split() -> None:
    text = "The case has... well, stalled."
    assert sentences(text) == [text]


def test_blank_line_ends_a_sentence_without_a_stop() -> None:
    assert sentences("Legal Action Details\n\nThe lawsuit was filed.") == [
        "Legal Action Details",
        "The lawsuit was filed.",
    ]


def test_register_paragraph_from_the_seed_splits_in_two() -> None:
    text = (
        "LinkedIn explains, \"This setting controls the training of generative AI models used "
        "to create content. When this setting is on LinkedIn and its affiliates may use your "
        'personal data and content you create on LinkedIn for that purpose."'
    )
    assert len(sentences(text)) == 2


def test_register_question_in_reported_speech_ends_a_sentence() -> None:
    text = (
        "The Register asked Edelson PC, the law firm representing the plaintiff, whether "
        "anyone there has reason to believe, or evidence, that LinkedIn has actually provided "
        "private InMail messages to third-parties for AI training? Though our inquiry was "
        "acknowledged, we've not heard back."
    )
    assert sentences(text)[1] == "Though our inquiry was acknowledged, we've not heard back."


def test_seed_sentence_with_us_district_court_stays_whole() -> None:
    text = (
        "The lawsuit, filed by plaintiff Alessandro De La Torre in the U.S. District Court for "
        "the Northern District of California, accuses LinkedIn of breaching its contracts with "
        "Premium subscribers, violating the Stored Communications Act (SCA), and engaging in "
        "unlawful business practices under California’s Unfair Competition Law (UCL)."
    )
    assert sentences(text) == [text]


def test_seed_curly_quote_statement_then_new_sentence() -> None:
    text = (
        "“These are false claims with no merit,” LinkedIn said in a statement, as reported by "
        "Reuters. Microsoft has not commented on the case, while the plaintiffs’ legal counsel "
        "declined further remarks."
    )
    assert sentences(text) == [
        "“These are false claims with no merit,” LinkedIn said in a statement, as reported by "
        "Reuters.",
        "Microsoft has not commented on the case, while the plaintiffs’ legal counsel "
        "declined further remarks.",
    ]


_PROSE = st.text(
    alphabet=st.sampled_from(list("ab AB.?!\"”’)(\n\t$1,U.S")), max_size=80
)


@given(_PROSE)
def test_spans_are_trimmed_ordered_and_cover_every_non_space_character(text: str) -> None:
    spans = split_sentences(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        covered.update(range(start, end))
        previous_end = end
    assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered


def test_a_datelines_state_abbreviation_does_not_end_the_sentence():
    text = "KESSLING, Mich. (WKZN) — The city sued the plant. It said so."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "KESSLING, Mich. (WKZN) — The city sued the plant.",
        "It said so.",
    ]
