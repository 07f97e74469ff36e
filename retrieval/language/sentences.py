"""Sentence boundaries in news prose, as character offsets.

Answers quote whole sentences, so a wrong split either cuts a quotation in half ("U.S." read
as a sentence end) or glues two claims together. The rules here are written for English news
copy, not general text:

* A sentence ends at ".", "?", "!" or "…" (runs such as "?!" or "..." count as one), followed
  by any closing quotes or brackets (" ” ’ ' ) ]), then whitespace or the end of the text.
  So "3.2", "$26.1bn" and "enterprisenova.com" never end a sentence.
* It does not end when the next word starts in lowercase or with continuing punctuation:
  `"...no merit," LinkedIn said.` and `"Why?" he asked.` are one sentence each.
* Titles and connectives ("Mr.", "Dr.", "St.", "v.", "vs.", "e.g.", "i.e.") never end one.
* Numbered abbreviations and months ("No.", "Jan.", "Sept.", "p.") don't end one before a
  number: "Jan. 30", "No. 5".
* Company suffixes ("Inc.", "Corp.", "Ltd.") don't end one before "(" or ",", nor does a
  short capitalised abbreviation before "(": the state of a dateline, "KESSLING, Mich.
  (WKZN) — …".
* Dotted abbreviations and initials ("U.S.", "U.K.", "J. Smith") don't end one before a
  capitalised word, unless that word is a common sentence opener ("The", "It", "But", ...):
  "the U.S. District Court" stays whole, "sued in the U.S. The company said" splits.
* A blank line always ends a sentence (a heading or paragraph without a full stop).
"""

from __future__ import annotations

import re

_TERMINATORS = ".?!…"
_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"

# Never a sentence end, whatever follows (lowercase, without the final dot).
_NEVER_FINAL = frozenset(
    "mr mrs ms dr prof st sr jr sen rep gov gen lt col capt hon rev fr v vs cf e.g i.e viz".split()
)
# Not a sentence end before a number: "No. 5", "Jan. 30", "Sept. 2024", "p. 12".
_BEFORE_NUMBER = frozenset(
    "no nos jan feb mar apr jun jul aug sep sept oct nov dec p pp vol sec art fig ch para".split()
)
# Company suffixes read on into "(NASDAQ: MSFT)" or ", the maker of ...".
_COMPANY = frozenset("inc corp ltd co llc plc bros".split())
# Words that open sentences often enough that after "U.S." or an initial they mean a new one.
_OPENING_WORDS = frozenset(
    """the a an it its he she they we i you this that these those there here his her their our
    but and or so yet however meanwhile still also in on at as if when while after before
    according since although though what why how who where""".split()
)

_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}")  # U.S., U.K., e.g., a.m.
_INITIAL = re.compile(r"[A-Z]")  # the "J" of "J. Smith"
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Find the sentences of `text`.

    Args:
        text: any prose; whitespace may already be folded or not.

    Returns:
        (start, end) offsets, end exclusive, in order. No span starts or ends with
        whitespace, and together they cover every non-whitespace character of `text`.
    """
    cuts = sorted({m.start() for m in _PARAGRAPH_BREAK.finditer(text)} | set(_ends(text)))
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, len(text)]:
        span = _trim(text, start, cut)
        if span is not None:
            spans.append(span)
        start = cut
    return spans


def _ends(text: str) -> list[int]:
    """Offsets just past each sentence-ending punctuation run (with its closing quotes)."""
    ends: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] not in _TERMINATORS:
            i += 1
            continue
        first = i
        while i < n and text[i] in _TERMINATORS:
            i += 1
        while i < n and text[i] in _CLOSERS:
            i += 1
        if i == n:
            break  # the end of the text ends the last sentence anyway
        if text[i].isspace() and _is_boundary(text, first, i):
            ends.append(i)
    return ends


def _is_boundary(text: str, first: int, end: int) -> bool:
    """Whether the punctuation run text[first:end], followed by whitespace, ends a sentence."""
    after = text[end:].lstrip()
    if not after:
        return True
    head = after[0]
    if head.islower() or head in ",;:)]–—":
        return False
    # Only a lone "." can be an abbreviation's dot; "?", "!" and "..." end sentences.
    if text[first:end].rstrip(_CLOSERS) != ".":
        return True
    word = _word_before(text, first)
    key = word.lower()
    if key in _NEVER_FINAL:
        return False
    if key in _BEFORE_NUMBER and head.isdigit():
        return False
    if key in _COMPANY and head in "(,":
        return False
    if head == "(" and word[:1].isupper() and word.isalpha() and len(word) <= 5:
        return False  # "Mich. (WKZN)", "Calif. (AP)": a dateline's state
    if _DOTTED.fullmatch(word + ".") or _INITIAL.fullmatch(word):
        return _next_word(after).lower() in _OPENING_WORDS
    return True


def _word_before(text: str, dot: int) -> str:
    """The token ending at the dot at `dot`, without opening quotes or brackets."""
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:dot].lstrip(_OPENERS)


def _next_word(after: str) -> str:
    match = re.match(r"[^\w]*(\w+)", after)
    return match.group(1) if match else ""


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
