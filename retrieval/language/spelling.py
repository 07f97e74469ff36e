"""Spelling tolerance: a mistyped question word read as the corpus word it was meant to be.

Candidates come from the corpus's own vocabulary first (a typo is read as what the sources
say), then from the commonest English words (so "exlcuded" is read as "excluded" even
where the sources write "exempted", and the synonym groups take it from there); they are
found by rapidfuzz's optimal string alignment distance (a transposition counts as one
edit: "lawsiut", "exlcuded").
Two guards keep real words real: a word that is ordinary English (wordfreq's Zipf
frequency at or above ORDINARY_ZIPF) is never "corrected", so "jury" stays "jury" rather
than becoming "july"; and the first letter must match, as it does in almost every typo.

wordfreq's English list ships inside the package and loads from disk; nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Zipf frequency (log10 of uses per billion words) from which a word counts as ordinary
# English: "toggle" is 3.1, "refile" 1.9, typos such as "plantiff" 0.
ORDINARY_ZIPF = 2.5
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
ENGLISH_WORDS = 40_000  # how many of the commonest English words typos may be read as


@lru_cache(maxsize=1)
def _english() -> dict[str, list[str]]:
    """The commonest English words, bucketed by first letter (loaded on first use)."""
    from wordfreq import top_n_list

    buckets: dict[str, list[str]] = {}
    for word in top_n_list("en", ENGLISH_WORDS):
        if word.isalpha():
            buckets.setdefault(word[0], []).append(word)
    return buckets


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common a word is in English, on wordfreq's Zipf scale (0: unknown, 7: "the")."""
    from wordfreq import zipf_frequency  # loads its word list on first use (~0.5 s)

    return zipf_frequency(word, "en")


def is_ordinary(word: str) -> bool:
    """Whether a word is established English (so not a typo to correct)."""
    return zipf(word) >= ORDINARY_ZIPF


class Speller:
    """Corrects words towards one corpus's vocabulary.

    Args:
        words: every surface word of the corpus (folded) with its count: the most frequent
            of equally close candidates wins.
    """

    def __init__(self, words: Mapping[str, int]) -> None:
        counts = {w: n for w, n in words.items() if w.isalpha()}
        self._counts = counts
        # Bucketed by first letter: a typo keeps it, and each lookup then scans a few
        # hundred words rather than the whole vocabulary.
        self._by_initial: dict[str, list[str]] = {}
        for word in counts:
            self._by_initial.setdefault(word[0], []).append(word)

    def knows(self, word: str) -> bool:
        return word in self._counts

    def correct(self, word: str, *, useful: Callable[[str], bool] = lambda w: True) -> str | None:
        """The corpus word a mistyped word stands for, or None to leave it as it is.

        Args:
            word: a folded question word.
            useful: whether an English word (not a corpus word) would help; a reading that
                the sources know nothing of either is no better than the typo.
        """
        if len(word) < MIN_LENGTH or not word.isalpha() or word in self._counts or is_ordinary(word):
            return None
        max_edits = 1 if len(word) < 8 else 2
        for pool, rank in (
            (self._by_initial.get(word[0], ()), lambda c: (self._counts[c], c)),
            (_english().get(word[0], ()), lambda c: (zipf(c), c)),
        ):
            found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
            if found:
                best = min(distance for _, distance, _ in found)
                choice = max((c for c, distance, _ in found if distance == best), key=rank)
                if choice in self._counts or useful(choice):
                    return choice
        return None


def warm() -> None:
    """Load the English word lists now (~0.5 s) rather than on the first question, and
    the lemmas and place names retrieval/language/inflection.py and retrieval/language/places.py read."""
    zipf("the")
    _english()
    from retrieval.language.inflection import lemma
    from retrieval.language.places import is_place

    lemma("lost")
    is_place("ohio")
