"""Spelling tolerance against a corpus's own words, and offline word frequencies."""

from __future__ import annotations

import subprocess
import sys

from retrieval.language.spelling import ENGLISH_WORDS, Speller, _english, is_ordinary, zipf

WORDS = {"plaintiff": 4, "lawsuit": 9, "july": 2, "exempted": 1, "settings": 3, "setting": 5}


def test_a_typo_is_read_as_the_nearest_corpus_word():
    speller = Speller(WORDS)
    assert speller.correct("plantiff") == "plaintiff"
    assert speller.correct("lawsiut") == "lawsuit"  # a transposition is one edit


def test_real_words_and_short_words_are_left_alone():
    speller = Speller(WORDS)
    assert speller.correct("jury") is None  # English, though one edit from "july"
    assert speller.correct("lawsuit") is None  # already a corpus word
    assert speller.correct("teh") is None  # too short to guess


def test_a_typo_of_a_word_the_corpus_lacks_is_read_as_english():
    assert Speller(WORDS).correct("exlcuded") == "excluded"


def test_the_first_letter_is_kept():
    assert Speller({"profile": 3}).correct("refile", useful=lambda word: False) is None


def test_an_english_reading_the_sources_know_nothing_of_is_no_correction():
    speller = Speller({"lawsuit": 1})
    assert speller.correct("refile", useful=lambda word: False) is None
    assert speller.correct("refile") == "refine"


def test_word_frequencies_load_with_the_network_off():
    """wordfreq's list, simplemma's lemmas and pycountry's places ship in their packages:
    lookups work with every socket refused."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from retrieval.language.spelling import zipf, Speller\n"
        "assert zipf('lawsuit') > 3\n"
        "assert Speller({'x': 1}).correct('exlcuded') == 'excluded'\n"
        "from retrieval.language.inflection import lemma\n"
        "assert lemma('lost') == 'lose' and lemma('thrown') == 'throw'\n"
        "from retrieval.language.places import is_place\n"
        "assert is_place('ohio') and not is_place('bay')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_ordinary_is_by_general_english_frequency():
    assert is_ordinary("toggle") and is_ordinary("judge")
    assert not is_ordinary("plantiff")


def test_frequencies_are_wordfreqs_own():
    """spelling.py reads wordfreq's packaged list itself: every number must be the one
    wordfreq's zipf_frequency gives, found or not, plain or not (a word wordfreq's tokenizer
    would change goes through wordfreq)."""
    from wordfreq import iter_wordlist, zipf_frequency

    listed = list(iter_wordlist("en"))
    sample = listed[::211] + listed[-50:] + [
        "suing", "plantiff", "lawsiut", "exlcuded", "linkedin", "refile", "toggle", "xqzvbk",
        "café", "naïve", "don't", "Lawsuit", "covid-19", "2024", "a", "zz" * 40,
    ]  # fmt: skip
    assert [zipf(word) for word in sample] == [zipf_frequency(word, "en") for word in sample]


def test_the_english_pool_is_wordfreqs_top_list():
    from wordfreq import top_n_list

    theirs: dict[str, list[str]] = {}
    for word in top_n_list("en", ENGLISH_WORDS):
        if word.isalpha():
            theirs.setdefault(word[0], []).append(word)
    assert _english() == theirs
