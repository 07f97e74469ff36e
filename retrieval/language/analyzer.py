"""Turns text into index terms and questions into weighted query terms.

Indexing: Unicode NFKC + case folding, tokens for words, money, numbers and section
numbers, stop words removed, Snowball (Porter2) stemming from PyStemmer.

Querying adds two expansions where the words people ask with differ from the corpus's:
- acronyms the corpus itself defines, e.g. "Unfair Competition Law (UCL)", learned when
  the index is built (`learn_acronyms`), so "UCL" also finds the spelled-out name and back;
- the synonym groups of retrieval/language/vocabulary.py, e.g. "sue" also finds "lawsuit".
Expansions weigh less than the asked word itself and never add up with it: a query term
and its alternatives form one group that counts once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import chain

import Stemmer

from retrieval.language.dates import MONTH_ABBREVIATIONS
from retrieval.language.vocabulary import FILLER_WORDS, STOP_WORDS, SYNONYM_WEIGHT, SYNONYMS

ACRONYM_WEIGHT = 0.8
# The spelled-out words of an asked acronym only tip the balance toward the sentence that
# defines it; they must not outweigh the words actually asked.
EXPANSION_WEIGHT = 0.3

# One token: a word (inner apostrophes and dots kept, split later: "u.s.", "didn't"),
# money ("$1,000", "$26.1bn", "$6.625 million"), or a number (thousands separators,
# dotted section numbers "3.2"). The three start with a letter, "$" and a digit, so the
# order of the alternatives changes nothing but speed: words, by far the most, go first.
_TOKEN = re.compile(
    r"""
    [^\W\d_][^\W_]*(?:['’.][^\W\d_][^\W_]*)*
  | \$\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:bn|billion|million|mn|m|k|thousand)\b)?
  | \d+(?:[.,]\d+)*
    """,
    re.VERBOSE,
)
# How many raw tokens an analyzer remembers the reading of (a corpus has tens of thousands
# of distinct words; money and numbers may add more).
_READINGS_CACHED = 500_000
_HYPHENATED = re.compile(r"(?<![\w-])[^\W\d_]+(?:-[^\W\d_]+)+(?![\w-])")
_MONEY_UNITS = {"bn": "billion", "mn": "million", "m": "million", "k": "thousand"}


def fold(text: str) -> str:
    """Unicode-normalise and case-fold text, with typographic apostrophes made plain."""
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


@dataclass(frozen=True, slots=True)
class QueryGroup:
    """One asked word and its alternatives: `terms` maps index term to weight.

    An `optional` group (the spelled-out words of an asked acronym) adds to a passage's
    score when present but is not part of what the question needs covered.
    """

    word: str
    terms: Mapping[str, float]
    optional: bool = False


class _Readings(dict[str, tuple[str, ...]]):
    """Raw token -> the tokens it reads as, computed on first lookup (`_read`)."""

    def __missing__(self, raw: str) -> tuple[str, ...]:
        reading = _read(raw)
        if len(self) < _READINGS_CACHED:
            self[raw] = reading
        return reading


@cache
def _synonym_stems() -> dict[str, set[str]]:
    """Each stem of a synonym group -> the group's other stems. The same for every
    analyzer, so built once per process and shared (read-only): a process serving fifty
    cases holds fifty analyzers."""
    stemmer = Stemmer.Stemmer("english", 0)
    synonyms: dict[str, set[str]] = {}
    for group in SYNONYMS:
        stems = {stemmer.stemWord(w) for w in group}
        for stem in stems:
            synonyms.setdefault(stem, set()).update(stems - {stem})
    return synonyms


def _read(raw: str) -> tuple[str, ...]:
    """The tokens one raw token stands for: a word, "$" money, or a number."""
    if raw[0] == "$":
        return tuple(_money_tokens(raw))
    if raw[0].isdigit():
        return tuple(_number_tokens(raw))
    word = raw.replace(".", "")  # "u.s." -> "us"
    word = MONTH_ABBREVIATIONS.get(word, word)
    return tuple(piece for piece in word.split("'") if piece)


class Analyzer:
    """Tokenizes, stems and expands text; one instance per index (it holds the acronyms)."""

    def __init__(self, acronyms: Mapping[str, tuple[str, ...]] | None = None) -> None:
        # PyStemmer's own cache is off (size 0): `_stem_cache` below does its job, and it
        # keeps each word as a two-item list the garbage collector must walk on every full
        # collection, tens of thousands per index.
        self._stemmer = Stemmer.Stemmer("english", 0)
        self._stem_cache: dict[str, str] = {}
        self._readings = _Readings()
        # acronym term ("ucl") -> stemmed terms of its expansion, and back.
        self.acronyms: dict[str, tuple[str, ...]] = dict(acronyms or {})
        self._synonyms = _synonym_stems()

    def stem(self, word: str) -> str:
        cached = self._stem_cache.get(word)
        if cached is None:
            cached = self._stemmer.stemWord(word)
            if len(self._stem_cache) < 200_000:
                self._stem_cache[word] = cached
        return cached

    def tokens(self, text: str) -> list[str]:
        """Folded surface tokens, stop words kept, money and numbers normalised."""
        folded = fold(text)
        # Each raw token's reading is looked up, so the work per word of the corpus is a
        # dict lookup in C; `_read` runs once per distinct token.
        out = list(chain.from_iterable(map(self._readings.__getitem__, _TOKEN.findall(folded))))
        # A hyphenated word also counts whole: "non-paying" finds "nonpaying" and back.
        if "-" in folded:
            out.extend(m.replace("-", "") for m in _HYPHENATED.findall(folded))
        return out

    def terms(self, text: str) -> list[str]:
        """Index terms: tokens without stop words, stemmed (money and numbers as they are)."""
        return [self.term(tok) for tok in self.tokens(text) if tok not in STOP_WORDS]

    def term(self, token: str) -> str:
        """The index term of one token."""
        if not token or token[0].isdigit() or token[0] == "$":
            return token
        return self.stem(token)

    def query(self, question: str, *, extra: Iterable[str] = ()) -> list[QueryGroup]:
        """Weighted query groups for a question, with synonyms and acronyms expanded.

        Args:
            question: the question's text (stop and filler words are dropped).
            extra: words to ask for besides the question's own (e.g. "plaintiff" for
                "who is suing?").
        """
        groups: dict[str, QueryGroup] = {}
        for token in [*self.tokens(question), *extra]:
            if token in STOP_WORDS or token in FILLER_WORDS:
                continue
            main = self.term(token)
            if main in groups:
                continue
            weights: dict[str, float] = {main: 1.0}
            for alt in self._synonyms.get(main, ()):
                weights.setdefault(alt, SYNONYM_WEIGHT)
            groups[main] = QueryGroup(word=token, terms=weights)
            # An asked acronym ("UCL") also finds its spelled-out name, and a sentence that
            # has both (the definition) beats one that only uses the acronym.
            for alt in self.acronyms.get(main, ()):
                if alt not in groups:
                    groups[alt] = QueryGroup(word=alt, terms={alt: EXPANSION_WEIGHT}, optional=True)
        # A spelled-out name in the question ("Stored Communications Act") also finds its
        # acronym: a sentence that uses the acronym holds every word of the name.
        asked = set(groups)
        for acronym, expansion in self.acronyms.items():
            if len(expansion) > 1 and set(expansion) <= asked and acronym not in asked:
                for word in expansion:
                    group = groups[word]
                    groups[word] = QueryGroup(word=group.word, terms={**group.terms, acronym: ACRONYM_WEIGHT})
        return list(groups.values())


def _money_tokens(raw: str) -> list[str]:
    number, unit = _money_parts(raw)
    tokens = [number, "$" + number]
    if unit:
        tokens += [unit, f"${number}{unit}"]
    return tokens


def _money_parts(raw: str) -> tuple[str, str | None]:
    m = re.match(r"(?:us)?\$?\s?([\d,]+(?:\.\d+)?)\s?([a-z]+)?", raw.casefold())
    assert m is not None  # MONEY guarantees the shape
    return m.group(1).replace(",", ""), _MONEY_UNITS.get(m.group(2) or "", m.group(2))


# A sum of money as written: "$1,000", "$26.1bn", "$6.625 million", "US$310 million"; and
# "US310 million", as outlets that drop the "$" of "US$" write it (with a scale word, so
# that a model number is not a sum).
MONEY = re.compile(
    r"(?:\$|\bUS\$|\bUS(?=\d[\d,]*(?:\.\d+)?\s?(?:bn|billion|million|mn)\b))"
    r"\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:bn|billion|million|mn|m|k|thousand)\b)?",
    re.I,
)


_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def money_value(raw: str) -> str:
    """One spelling for a sum however it is written: "$26.1bn", "$26.1 billion" and
    "$26,100,000,000" are all "$26,100,000,000"; "$1k" and "$1,000" are "$1,000"."""
    number, unit = _money_parts(raw)
    value = float(number) * _SCALE.get(unit or "", 1)
    return f"${value:,.0f}" if value == round(value) else f"${value:,.2f}"


def _number_tokens(raw: str) -> list[str]:
    # "1,000" is a thousands separator; "3.2" a section or decimal: keep it whole.
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return [raw.replace(",", "")]
    return [raw.rstrip(".,")]


# --- acronyms defined in the corpus ------------------------------------------------------

_DEFINITION = re.compile(r"\(\s*['‘\"“]?([A-Z][A-Za-z]{1,7})['’\"”]?\s*\)")
_LINK_WORDS = {"of", "for", "and", "the", "on", "to", "in", "&"}


def find_acronyms(text: str) -> dict[str, str]:
    """Acronyms a text defines, as {"UCL": "Unfair Competition Law"}.

    A definition is a parenthesised acronym right after words whose initials spell it
    ("Stored Communications Act (SCA)"); small linking words ("of", "and") may be skipped.
    """
    found: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        acronym = match.group(1)
        letters = [c for c in acronym if c.isupper()]
        if len(letters) < 2:
            continue
        words = re.findall(r"[^\W_][\w'’-]*", text[max(0, match.start() - 160) : match.start()])
        expansion = _match_initials(words, letters)
        if expansion:
            found[acronym] = expansion
    return found


def _match_initials(words: list[str], letters: list[str]) -> str | None:
    # Walk back from the parenthesis, consuming one word per letter (from the last letter),
    # skipping linking words; the words must end exactly where the letters run out.
    i, j, used = len(words) - 1, len(letters) - 1, []
    while i >= 0 and j >= 0:
        word = words[i]
        if word.casefold() in _LINK_WORDS and used:
            used.append(word)
        elif word[0].upper() == letters[j]:
            used.append(word)
            j -= 1
        else:
            return None
        i -= 1
    if j >= 0:
        return None
    return " ".join(reversed(used))


def learn_acronyms(texts: Iterable[str], analyzer: Analyzer) -> dict[str, tuple[str, ...]]:
    """Acronym term -> stemmed expansion terms, learned from every text of a corpus."""
    learned: dict[str, tuple[str, ...]] = {}
    for text in texts:
        for acronym, expansion in find_acronyms(text).items():
            terms = tuple(analyzer.terms(expansion))
            if terms:
                learned.setdefault(analyzer.stem(fold(acronym)), terms)
    return learned
