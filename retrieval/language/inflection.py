"""Other forms of a word: "lose" asked where the sources write "lost", "tell" where they
write "told".

The stemmer (PyStemmer, applied to passages and questions alike) joins regular forms
("filed", "filing"); irregular ones ("lose" / "lost", "throw" / "thrown", "sell" / "sold")
it leaves apart. A question word no source uses is looked up by its lemma among the
corpus's own words, with simplemma's English dictionary, which ships inside the package
and loads from disk (nothing is fetched).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.index import Index


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """A word's dictionary form ("lost" → "lose", "couriers" → "courier")."""
    import simplemma  # its English data loads on first use (~0.1 s)

    return simplemma.lemmatize(word, lang="en").casefold()


def corpus_forms(index: Index, word: str) -> tuple[str, ...]:
    """The corpus's words that are forms of the same lemma as `word` (not `word` itself).

    Forms of one English word share their first letter ("lose" / "lost", "buy" /
    "bought"; "go" / "went" is the rare exception), so the corpus's words are lemmatised
    by first letter, once per letter and snapshot (~0.4 s per 100,000 distinct words in all).
    """
    if not word:
        return ()
    letter = word[0]
    forms = index.cache.lemmas.get(letter)
    if forms is None:
        built: dict[str, list[str]] = {}
        for known in index.words:
            if known[:1] == letter and known.isalpha():
                built.setdefault(lemma(known), []).append(known)
        forms = index.cache.lemmas[letter] = {key: tuple(words) for key, words in built.items()}
    return tuple(w for w in forms.get(lemma(word), ()) if w != word)


# Derived words share their beginning: "wrong" / "wrongdoing", "spokesperson" /
# "spokesman", "settle" / "settlement". A word the sources don't use is read as a corpus
# word that begins with the whole of it (from MIN_STEM letters) or shares its first
# SHARED_PREFIX letters.
MIN_STEM = 4
SHARED_PREFIX = 6


def derived_forms(index: Index, word: str) -> tuple[str, ...]:
    """Corpus words derived from the same beginning as `word` (not `word` itself)."""
    if len(word) < MIN_STEM or not word.isalpha():
        return ()
    key = word[:MIN_STEM]
    by_start = index.cache.prefixes.get(key)
    if by_start is None:
        by_start = index.cache.prefixes[key] = tuple(w for w in index.words if w.startswith(key) and w.isalpha())
    return tuple(
        w
        for w in by_start
        if w != word and (w.startswith(word) or (len(word) >= SHARED_PREFIX and w[:SHARED_PREFIX] == word[:SHARED_PREFIX]))
    )
