"""Sentences as claims: what they say (their terms) and the values they give (dates, money).

Two sentences from different sources make the same claim when their words, values aside,
overlap strongly. Then either they agree (the second source corroborates the first: "also
reported by") or they give different values for it (a conflict the answer must show).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.case import developments
from retrieval import vocabulary as vocab
from retrieval.analyzer import MONEY, QueryGroup, money_value
from retrieval.dates import MONTHS, find_dates
from retrieval.index import Index
from retrieval.model import Conflict, ConflictValue, Passage, Source

# Similarity (idf-weighted Jaccard over terms, values removed) at which two sentences are
# taken to report the same thing: the same claim is corroborated when their values agree
# and is a conflict when they differ.
SAME_CLAIM = 0.42

QUERY_TERMS = 10

@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a passage with what is needed to compare it with others."""

    passage: Passage
    start: int
    end: int
    terms: frozenset[str]  # content terms, values removed
    all_terms: frozenset[str]  # every index term, values included
    dates: tuple[str, ...]  # date labels at their precision ("August 2024")
    figures: tuple[str, ...]  # money as written, normalised ("$1000")
    weight: float = 0.0  # the summed idf of `terms`, for similarity
    step: str | None = None  # the procedural step it reports, if any (developments.step)
    other_case: bool = False  # about another case than this one (developments.about_other_case)
    # The names of the sentence before, when this one refers back to a party with a
    # definite description ("the company"): the words it speaks of without writing them.
    referents: frozenset[str] = frozenset()
    # Counts of things ("1,200 households", "40,000 couriers") as "<count> <noun term>".
    counts: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def sentences_of(index: Index, passage: Passage) -> list[Sentence]:
    """The sentences of a passage, analysed (once per passage and index snapshot)."""
    cache = index.cache.sentences
    found = cache.get(passage.id)
    if found is None:
        found = cache[passage.id] = _analyse(index, passage)
    return found


def neighbours(index: Index, sentence: Sentence, *, before: int = 1, after: int = 1) -> list[Sentence]:
    """Sentences around one in its article (across passage breaks), nearest first."""
    passage = sentence.passage
    article = [p for p in index.passages[max(0, passage.id - before - 1) : passage.id + after + 2] if p.source_id == passage.source_id]
    flat = [s for p in article for s in sentences_of(index, p)]
    at = next(i for i, s in enumerate(flat) if s.passage.id == passage.id and s.start == sentence.start)
    found = []
    for step in range(1, max(before, after) + 1):
        if step <= before and at - step >= 0:
            found.append(flat[at - step])
        if step <= after and at + step < len(flat):
            found.append(flat[at + step])
    return found


def sentence_at(index: Index, passage: Passage, position: int) -> Sentence:
    """The analysed sentence at a position in a passage."""
    return sentences_of(index, passage)[position]


def _analyse(index: Index, passage: Passage) -> list[Sentence]:
    out = []
    texts = passage.sentence_texts()
    for i, (start, end) in enumerate(passage.sentences):
        text = texts[i]
        mentions = find_dates(text)  # without a report date: absolute dates only
        figures = tuple(dict.fromkeys(money_value(m.group()) for m in MONEY.finditer(text)))
        all_terms = frozenset(index.analyzer.terms(text))
        terms = frozenset(t for t in all_terms if not _is_value(t))
        dates = tuple(dict.fromkeys(m.label for m in mentions))
        following = texts[i + 1] if i + 1 < len(texts) else ""
        referents = frozenset()
        if i and vocab.REFERS_BACK.search(text):
            names = [m.group() for m in _CAPITALISED.finditer(texts[i - 1])]
            referents = frozenset(index.analyzer.terms(" ".join(names))) - all_terms
        out.append(
            Sentence(
                passage, start, end, terms, all_terms, dates, figures,
                weight=sum(index.idf.get(t, 0.0) for t in terms),
                step=developments.step(text),
                other_case=developments.about_other_case(text, following, first_report=index.first_report),
                referents=referents,
                counts=_counts(index, text),
            )
        )  # fmt: skip
    return out


# The capitalised words of a sentence, where they name someone ("Acme Press, the oldest
# publisher", "… that Anthropic, the Amazon-backed OpenAI competitor"). Function words
# open sentences too, and name nobody.
_CAPITALISED = re.compile(r"\b(?!(?:%s)\b)[A-Z][\w’'-]*" % "|".join(w.capitalize() for w in sorted(vocab.STOP_WORDS)))


def _is_value(term: str) -> bool:
    return term[0].isdigit() or term[0] == "$" or term in MONTHS


def similarity(index: Index, a: Sentence, b: Sentence) -> float:
    """idf-weighted Jaccard similarity of two sentences' terms (0..1)."""
    if not a.terms or not b.terms:
        return 0.0
    idf = index.idf
    shared = sum(idf.get(t, 0.0) for t in a.terms & b.terms)
    # Every term of an analysed sentence is in the index, so its weight is its idf; the
    # union's weight follows from the two totals without a second pass.
    union = a.weight + b.weight - shared
    return shared / union if union > 0 else 0.0


def candidates(index: Index, sentence: Sentence, *, limit: int = 12) -> list[Sentence]:
    """Sentences of other sources that could make the same claim (found by BM25, once per
    sentence and snapshot: the same quote recurs across questions)."""
    key = (sentence.passage.id, sentence.start, limit)
    cached = index.cache.candidates.get(key)
    if cached is not None:
        return cached
    # The sentence's most telling words are enough to find its retellings.
    telling = sorted(sentence.terms, key=index.term_weight, reverse=True)[:QUERY_TERMS]
    groups = [QueryGroup(word=t, terms={t: 1.0}) for t in telling]
    found = []
    for passage, _ in index.search(groups, limit=limit):
        if passage.source_id == sentence.passage.source_id:
            continue
        found.extend(sentences_of(index, passage))
    index.cache.candidates[key] = found
    return found


def corroborating(index: Index, sentence: Sentence, others: Iterable[Sentence]) -> list[Source]:
    """Other sources that say the same thing with no different value."""
    sources: dict[str, Source] = {}
    for other in others:
        if other.passage.source_id == sentence.passage.source_id:
            continue
        if _values_differ(sentence, other):
            continue
        if similarity(index, sentence, other) >= SAME_CLAIM:
            sources.setdefault(other.passage.source_id, index.sources[other.passage.source_id])
    return list(sources.values())


def disagreements(
    index: Index, sentence: Sentence, others: Iterable[Sentence]
) -> list[tuple[Conflict, tuple[Sentence, ...]]]:
    """Where other sources give a different date or figure for the same claim, with the
    sentences that give the other values."""
    found = []
    others = [o for o in others if o.passage.source_id != sentence.passage.source_id]
    for kind, values_of in (("date", _dates), ("figure", _figures), ("count", _counts_of)):
        mine = values_of(sentence)
        if not mine:
            continue
        if kind == "count":
            # Another source's count of the same things, close to this one and on the
            # same subject: "about 1,200 households … from private wells" and "roughly
            # 1,500 households that rely on private wells"; not "3,000 couriers called
            # the firm" beside "40,000 couriers were affected".
            counted = {_noun(v): _number(v) for v in mine}
            same_claim = [
                o
                for o in [*others, *_counting(index, sentence, set(counted))]
                if o.passage.source_id != sentence.passage.source_id
                and any(_close(counted.get(_noun(v)), _number(v)) for v in values_of(o))
            ]
            same_claim = list({(o.passage.id, o.start): o for o in same_claim}.values())
            dissenting = tuple(o for o in same_claim if any(_noun(v) in counted and v not in mine for v in values_of(o)))
            mine = tuple(v for v in mine if any(_noun(v) == _noun(w) for o in same_claim for w in values_of(o)))
        else:
            same_claim = [o for o in others if values_of(o) and similarity(index, sentence, o) >= SAME_CLAIM]
            dissenting = tuple(o for o in same_claim if values_of(o) != mine)
        if not dissenting:
            continue
        wanted = {_noun(v) for v in mine} if kind == "count" else None
        by_value: dict[str, dict[str, Source]] = {}
        for member in (sentence, *same_claim):
            source = index.sources[member.passage.source_id]
            for value in values_of(member):
                if wanted is None or _noun(value) in wanted:
                    by_value.setdefault(value.partition("|")[0], {})[source.id] = source
        conflict = Conflict(
            about=f"the {kind} in “{_short(sentence.text)}”",
            values=tuple(ConflictValue(v, tuple(srcs.values())) for v, srcs in by_value.items()),
            kind=kind,
        )
        found.append((conflict, dissenting))
    return found


def conflicts(index: Index, sentence: Sentence, others: Iterable[Sentence]) -> list[Conflict]:
    """Where other sources give a different date or figure for the same claim."""
    return [conflict for conflict, _ in disagreements(index, sentence, others)]


def merge_conflicts(into: list[Conflict], new: Iterable[Conflict]) -> None:
    """Adds conflicts to a list unless one about the same values is there already."""
    for conflict in new:
        values = {v.value for v in conflict.values}
        if all({v.value for v in c.values} != values for c in into):
            into.append(conflict)


def _dates(sentence: Sentence) -> tuple[str, ...]:
    return sentence.dates


def _figures(sentence: Sentence) -> tuple[str, ...]:
    return sentence.figures


def _counts_of(sentence: Sentence) -> tuple[str, ...]:
    return sentence.counts


# "1,200 households", "40,000 couriers", "1.3 million people": a number of at least two
# digits (or with a scale word), then the noun.
# (Years, sums and percentages are dates, figures or shares, not counts.)
_COUNT = re.compile(
    r"(?<![\w$€£.,])(\d{1,3}(?:,\d{3})+|\d{2,}|\d+(?:\.\d+)?\s+(?:thousand|million|billion))(?![.,]?\d)\s+([a-z][a-z-]+)"
)


def _counts(index: Index, text: str) -> tuple[str, ...]:
    found = []
    for match in _COUNT.finditer(text):
        number, noun = match.groups()
        value = _number(number + " x")
        if 1900 <= value <= 2100 and "," not in number:
            continue  # a year
        if noun in vocab.NOT_COUNTED or noun in vocab.STOP_WORDS or _AFTER_MONTH.search(text, 0, match.start()):
            continue
        found.append(f"{number} {noun}|{index.analyzer.term(noun)}")
    return tuple(dict.fromkeys(found))


def _noun(count: str) -> str:
    return count.rpartition("|")[2]


def _number(count: str) -> int:
    """The number a count starts with: "1,200 households", "1.3 million people"."""
    words = count.split()
    value = float(words[0].replace(",", ""))
    if len(words) > 2 and words[1] in _SCALE:
        value *= _SCALE[words[1]]
    return int(value)


_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


# Two counts of the same things this close may be one count reported differently. (The
# sentences need share nothing else: reports of one count share little but the noun,
# "as many as 45,000 couriers may have been shortchanged" and "roughly 40,000 couriers …
# were affected".)
CLOSE_COUNTS = 1.5
_AFTER_MONTH = re.compile(rf"\b(?:{'|'.join(MONTHS)})\.?\s+$", re.I)


def _close(a: int | None, b: int) -> bool:
    return a is not None and a != 0 and b != 0 and max(a, b) / min(a, b) <= CLOSE_COUNTS


def _counting(index: Index, sentence: Sentence, nouns: set[str]) -> list[Sentence]:
    """Other sources' sentences that count the same things (a count may be worded too
    differently for the claim search to find it)."""
    found = []
    for noun in nouns:
        posting = index.postings.get(noun)
        if posting is None or len(posting.passages) > COUNTING_PASSAGES:
            continue
        for pid in posting.passages:
            passage = index.passages[pid]
            if passage.source_id != sentence.passage.source_id:
                found.extend(s for s in sentences_of(index, passage) if s.counts)
    return found


COUNTING_PASSAGES = 60  # a noun in more passages than this is too common to search by


def _values_differ(a: Sentence, b: Sentence) -> bool:
    return bool(a.dates and b.dates and a.dates != b.dates) or bool(
        a.figures and b.figures and a.figures != b.figures
    )


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
