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
casebot reads that file itself (`_EnglishList`) rather than through wordfreq's functions:
importing wordfreq loads langcodes and its regular expressions, and its first lookup turns
all 320,000 words into a dict, about 0.3 s a one-shot `casebot ask` would pay for the one
or two question words it looks up. The numbers are wordfreq's to the last digit (a test
compares them); a word its English tokenizer would change (not plain a-z) still goes
through wordfreq itself.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import msgpack

# Zipf frequency (log10 of uses per billion words) from which a word counts as ordinary
# English: "toggle" is 3.1, "refile" 1.9, typos such as "plantiff" 0.
ORDINARY_ZIPF = 2.5
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
ENGLISH_WORDS = 40_000  # how many of the commonest English words typos may be read as


class _EnglishList:
    """wordfreq's English word list (its "best" list for "en": the large one), read from the
    file the wordfreq wheel ships.

    The file is gzipped msgpack: a header, then one list of words per centibel of frequency,
    the commonest first (wordfreq's `read_cBpack` describes the format). Unpacking every
    word costs more than a one-shot question needs, so the buckets are only measured (where
    each starts), a word is found by its msgpack bytes, and only the bucket a match falls in
    is unpacked to confirm it.
    """

    def __init__(self, path: Path) -> None:
        self._data = gzip.decompress(path.read_bytes())
        unpacker = msgpack.Unpacker(max_buffer_size=len(self._data))
        unpacker.feed(self._data)
        count = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"{path}: not a wordfreq cBpack file (header {header!r})")
        self._starts: list[int] = []
        for _ in range(count - 1):
            self._starts.append(unpacker.tell())
            unpacker.skip()
        self._ends = [*self._starts[1:], unpacker.tell()]
        self._buckets: dict[int, frozenset[str]] = {}

    def bucket(self, index: int) -> frozenset[str]:
        """The words of frequency -index centibels."""
        if index not in self._buckets:
            self._buckets[index] = frozenset(msgpack.unpackb(self._data[self._starts[index] : self._ends[index]]))
        return self._buckets[index]

    def centibels(self, word: str) -> int | None:
        """The word's bucket (its frequency in -centibels), or None if the list lacks it."""
        key = msgpack.packb(word)
        found = None
        at = self._data.find(key)
        while at != -1:
            # The bytes may also lie inside a longer word: only the bucket's own words count.
            index = bisect_right(self._starts, at) - 1
            if index >= 0 and word in self.bucket(index):
                found = index  # a word listed twice keeps its last bucket, as wordfreq's dict does
                at = self._ends[index] - 1
            at = self._data.find(key, at + 1)
        return found

    def in_order(self) -> Iterator[str]:
        """Every word, commonest first (alphabetical within a bucket, as stored)."""
        for index in range(len(self._starts)):
            yield from msgpack.unpackb(self._data[self._starts[index] : self._ends[index]])


@lru_cache(maxsize=1)
def _english_list() -> _EnglishList:
    spec = importlib.util.find_spec("wordfreq")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("the wordfreq package is not installed (pip install wordfreq)")
    return _EnglishList(Path(spec.origin).parent / "data" / "large_en.msgpack.gz")


# Words wordfreq's English tokenizer leaves as they are (one token, no folding, no digits),
# so that their frequency is their own entry in the list.
_PLAIN = re.compile(r"[a-z]+")
# wordfreq.numbers.has_digit_sequence: its top_n_list leaves such entries out.
_DIGIT_SEQUENCE = re.compile(r"\d[\d.,]+")
_MINIMUM = 10**0.0 / 1e9  # wordfreq's zipf_to_freq(0.0): the floor of zipf_frequency


@lru_cache(maxsize=1)
def _english() -> dict[str, list[str]]:
    """The commonest English words, bucketed by first letter (loaded on first use); the
    words of wordfreq's top_n_list("en", ENGLISH_WORDS)."""
    buckets: dict[str, list[str]] = {}
    taken = 0
    for word in _english_list().in_order():
        if _DIGIT_SEQUENCE.match(word):
            continue
        if word.isalpha():
            buckets.setdefault(word[0], []).append(word)
        taken += 1
        if taken >= ENGLISH_WORDS:
            break
    return buckets


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common a word is in English, on wordfreq's Zipf scale (0: unknown, 7: "the"):
    wordfreq's zipf_frequency(word, "en")."""
    if not _PLAIN.fullmatch(word):
        from wordfreq import zipf_frequency  # its tokenizer and folding decide what is looked up

        return zipf_frequency(word, "en")
    # wordfreq's arithmetic step by step (word_frequency, then zipf_frequency), so that the
    # rounding comes out the same to the last digit.
    index = _english_list().centibels(word)
    if index is None:
        freq = _MINIMUM
    else:
        freq = max(1.0 / (1.0 / 10 ** (-index / 100)), _MINIMUM)
        freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


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
        # Imported here: most questions have no typo, and a one-shot `casebot ask` then
        # need not load rapidfuzz (~10 ms).
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

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
    """Load the English word lists now rather than on the first question, and
    the lemmas and place names retrieval/language/inflection.py and retrieval/language/places.py read."""
    zipf("the")
    _english()
    from retrieval.language.inflection import lemma
    from retrieval.language.places import is_place

    lemma("lost")
    is_place("ohio")
