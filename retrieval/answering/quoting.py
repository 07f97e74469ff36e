"""Quoting: a sentence as a verbatim quote, cut around the question's words when long.

A quote is the source's own text with whitespace folded; where a long sentence is cut,
"…" marks the cut. Nothing else is changed, so every quote can be found in its source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.case import claims
from retrieval.language.analyzer import QueryGroup
from retrieval.index import Index
from retrieval.model import Quote, Source

MAX_QUOTE_CHARS = 300


def make_quote(
    index: Index,
    sentence: claims.Sentence,
    groups: Sequence[QueryGroup],
    *,
    also_in: tuple[Source, ...] = (),
    label: str | None = None,
) -> Quote:
    """A verbatim quote of a sentence, cut around the question's words if it is long."""
    passage = sentence.passage
    return Quote(
        text=cut(sentence.text, index, groups),
        source=index.sources[passage.source_id],
        date=passage.date,
        also_in=also_in,
        label=label,
        passage_id=passage.id,
    )


def cut(text: str, index: Index, groups: Sequence[QueryGroup], limit: int = MAX_QUOTE_CHARS) -> str:
    """The text with whitespace folded; if too long, the window richest in the question's
    words, cut at word boundaries and marked with "…" where it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = list(re.finditer(r"\S+", text))
    wanted = {t for g in groups for t in g.terms}
    hits = [bool(wanted & set(index.analyzer.terms(w.group()))) for w in words]
    best_start, best_key = 0, (-1, 0.0)
    for i in range(len(words)):
        j = i
        while j + 1 < len(words) and words[j + 1].end() - words[i].start() <= limit - 2:
            j += 1
        inside = [k for k in range(i, j + 1) if hits[k]]
        # Most question words first; among equals, the window that centres them.
        centre = (sum(inside) / len(inside)) if inside else i
        key = (len(inside), -abs(centre - (i + j) / 2))
        if key > best_key:
            best_start, best_key = i, key
        if j == len(words) - 1:
            break  # later windows are only shorter versions of this one
    j = best_start
    while j + 1 < len(words) and words[j + 1].end() - words[best_start].start() <= limit - 2:
        j += 1
    piece = text[words[best_start].start() : words[j].end()]
    if len(piece) > limit - 2:  # one "word" longer than a quote (junk, a URL): clip it
        piece = piece[: limit - 2]
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if j < len(words) - 1 else ""
    return prefix + piece + suffix
