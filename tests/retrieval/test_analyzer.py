"""The analyzer: folding, stop words, stemming, money, numbers, sections, acronyms, synonyms."""

from __future__ import annotations

from retrieval.language.analyzer import SYNONYM_WEIGHT, Analyzer, find_acronyms, learn_acronyms


def test_case_and_unicode_are_folded():
    analyzer = Analyzer()
    assert analyzer.terms("LINKEDIN’S Ｐremium") == analyzer.terms("linkedin's premium")


def test_stop_words_are_dropped_and_words_are_stemmed():
    assert Analyzer().terms("The lawsuits were about the messages") == ["lawsuit", "messag"]


def test_money_is_found_by_plain_number_and_by_dollar_form():
    analyzer = Analyzer()
    terms = analyzer.terms("It seeks $1,000 per user.")
    assert "1000" in terms and "$1000" in terms
    assert analyzer.terms("1000") == ["1000"]
    assert analyzer.terms("$1,000")[:2] == ["1000", "$1000"]


def test_money_with_units_keeps_number_and_unit():
    terms = Analyzer().terms("LinkedIn’s $26.1bn acquisition and a $6.625 million settlement")
    assert {"26.1", "$26.1billion", "billion", "6.625", "$6.625million", "million"} <= set(terms)


def test_section_numbers_are_kept_whole():
    assert Analyzer().terms("Section 3.2 and Sections 5.1 and 5.5") == [
        "section", "3.2", "section", "5.1", "5.5"
    ]


def test_month_abbreviation_finds_the_full_month():
    analyzer = Analyzer()
    assert analyzer.terms("Sept. 2024") == analyzer.terms("September 2024")


def test_acronym_definitions_are_found_with_their_expansion():
    text = (
        "violating the Stored Communications Act (SCA), and engaging in unlawful business "
        "practices under California’s Unfair Competition Law (UCL). LinkedIn’s Subscription "
        "Agreement (LSA) and generative artificial intelligence ('AI') models"
    )
    assert find_acronyms(text) == {
        "SCA": "Stored Communications Act",
        "UCL": "Unfair Competition Law",
        "LSA": "LinkedIn’s Subscription Agreement",
        "AI": "artificial intelligence",
    }


def test_parentheses_that_do_not_spell_an_acronym_are_ignored():
    assert find_acronyms("sued in court (PDF) and paid damages (USD)") == {}


def test_learned_acronym_expands_in_queries_both_ways():
    analyzer = Analyzer()
    acronyms = learn_acronyms(["under the Unfair Competition Law (UCL)"], analyzer)
    analyzer = Analyzer(acronyms)
    groups = analyzer.query("What is the UCL?")
    assert [g.word for g in groups if not g.optional] == ["ucl"]
    assert {"unfair", "competit", "law"} <= {t for g in groups if g.optional for t in g.terms}
    spelled = analyzer.query("unfair competition law")
    assert any("ucl" in group.terms for group in spelled)


def test_synonyms_expand_at_lower_weight_and_count_as_one_group():
    groups = Analyzer().query("Are they suing?")
    assert len(groups) == 1
    (sue,) = groups
    assert sue.terms["su"] == 1.0
    assert sue.terms["lawsuit"] == SYNONYM_WEIGHT


def test_question_filler_words_are_not_query_terms():
    assert [g.word for g in Analyzer().query("So what happened to the lawsuit, basically?")] == ["lawsuit"]
