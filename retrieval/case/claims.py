"""Sentences as claims: what they say (their terms) and the values they give (dates, money).

Two sentences from different sources make the same claim when their words, values aside,
overlap strongly. Then either they agree (the second source corroborates the first: "also
reported by") or they give different values for it (a conflict the answer must show).
"""

from __future__ import annotations

import re
import weakref
from typing import Any
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from retrieval.case import developments
from retrieval.language import vocabulary as vocab
from retrieval.language.analyzer import MONEY, Analyzer, QueryGroup, money_value
from retrieval.language.dates import MONTHS, DateMention, find_dates
from retrieval.index import Index
from retrieval.model import Conflict, ConflictValue, Passage, Source

# Similarity (idf-weighted Jaccard over terms, values removed) at which two sentences are
# taken to report the same thing: the same claim is corroborated when their values agree
# and is a conflict when they differ.
SAME_CLAIM = 0.42

QUERY_TERMS = 10

@dataclass(frozen=True, slots=True)
class Value:
    """A date, a sum or a count a sentence gives, with what it is the value of.

    What a value is *of* is read from the words around it, not from the whole sentence:
    "launched in 2010" and "introduced by Facebook in 2011" tell one thing in sentences
    that share little else, and "$25 each" is of a payment to each, not of the $500
    million settlement in the same paragraph.
    """

    kind: str  # "date", "figure" (a sum) or "count"
    label: str  # as a conflict shows it: "2024-03-11", "March 2024", "$25", "40,000 couriers"
    low: float  # sums and counts: the number; dates: the first day's ordinal
    high: float  # dates: the last day of the period the date names; else `low`
    per_unit: bool  # a sum for each one ("$25 each", "$1,000 per violation"), not a total
    near: frozenset[str]  # the terms around it (its event, its subject, its unit)
    # Counts: the words of what is counted ("1.5 million eligible Facebook users": eligible,
    # facebook, user), the noun perhaps after an adjective or two.
    counted: frozenset[str] = frozenset()
    # What the value is of in the case itself, where the words say so plainly (see
    # `_date_role`, `_sum_role`): "filed" (the date the suit was brought), "settlement" (the
    # settlement's total), "each" (the sum each one receives). Two values in one role are
    # of the same thing whatever other words they have: the case ties them.
    role: str | None = None


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
    # Every date, sum and count it gives, with the words around each (see `Value`).
    values: tuple[Value, ...] = ()

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


def valued_sentences(index: Index, passage: Passage) -> list[Sentence]:
    """The sentences of a passage that give a date, a sum or a count, analysed: all that
    comparing values reads (`gives_value`). The others are not analysed (once per passage
    and snapshot): the case-wide search for disagreements reads hundreds of passages, most
    of whose sentences give no value, and analysing each cost ~0.2 ms."""
    cache = index.cache.valued
    found = cache.get(passage.id)
    if found is None:
        whole = index.cache.sentences.get(passage.id)
        found = [s for s in whole if gives_value(s)] if whole is not None else _analyse(index, passage, valued_only=True)
        cache[passage.id] = found
    return found


def gives_value(sentence: Sentence) -> bool:
    """Whether a sentence gives a date, a sum or a count, as a value to compare or as its
    claim's dates, figures or counts."""
    return bool(sentence.values or sentence.dates or sentence.figures or sentence.counts)


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


def _analyse(index: Index, passage: Passage, *, valued_only: bool = False) -> list[Sentence]:
    """A passage's sentences analysed; with `valued_only`, only those that give a value
    (the others are passed over as soon as they are seen to hold no date, sum or count)."""
    out = []
    texts = passage.sentence_texts()
    # Sentences analysed already because they give values: the same, not analysed twice.
    known = {s.start: s for s in index.cache.valued.get(passage.id, ())}
    idf = _idf(index)
    for i, (start, end) in enumerate(passage.sentences):
        if start in known:
            out.append(known[start])
            continue
        text = texts[i]
        # Relative dates ("on Tuesday, March 12", "last month") resolved against the
        # passage's date are values to compare; `dates` keeps the absolute ones.
        mentions = find_dates(text, reported=passage.date)
        # A sum and a count are written with a digit: most sentences have none.
        digits = _DIGIT.search(text) is not None
        figures = tuple(dict.fromkeys(money_value(m.group()) for m in MONEY.finditer(text))) if digits else ()
        counts = _counts(index, text) if digits else ()
        if valued_only and not (mentions or figures or counts):
            continue
        all_terms = frozenset(index.analyzer.terms(text))
        terms = frozenset(t for t in all_terms if not _is_value(t))
        dates = tuple(dict.fromkeys(m.label for m in mentions if not m.relative))
        following = texts[i + 1] if i + 1 < len(texts) else ""
        values = _values(index, text, mentions, counts) if mentions or figures or counts else ()
        referents = frozenset()
        if i and vocab.REFERS_BACK.search(text):
            names = [m.group() for m in _CAPITALISED.finditer(texts[i - 1])]
            referents = frozenset(index.analyzer.terms(" ".join(names))) - all_terms
        out.append(
            Sentence(
                passage, start, end, terms, all_terms, dates, figures,
                weight=sum(idf[t] for t in terms),
                step=developments.step(text),
                other_case=developments.about_other_case(text, following, first_report=index.first_report),
                referents=referents,
                counts=counts,
                values=values,
            )
        )  # fmt: skip
    return [s for s in out if gives_value(s)] if valued_only else out


_DIGIT = re.compile(r"\d")

# The capitalised words of a sentence, where they name someone ("Acme Press, the oldest
# publisher", "… that Anthropic, the Amazon-backed OpenAI competitor"). Function words
# open sentences too, and name nobody.
_CAPITALISED = re.compile(r"\b(?!(?:%s)\b)[A-Z][\w’'-]*" % "|".join(w.capitalize() for w in sorted(vocab.STOP_WORDS)))


# The words either side of a value that say what it is the value of.
VALUE_WINDOW = 6
_WORDS = re.compile(r"[\w$][\w$,.'’-]*")
# A sum for each one: "$25 each", "$1,000 per violation", "$5 a month", "each person
# should get about $428", "as per the claim", "$397 checks".
_PER_UNIT = re.compile(
    r"[^.;:!?]{0,12}?\b(?:each|per|apiece|a\s+(?:head|person|claim|claimant|device|month|year|week|day))\b", re.I
)
_PAID_IN = re.compile(rf"\s+(?:{vocab.PAYMENT_NOUNS})\b", re.I)
_EACH_BEFORE = re.compile(r"\b(?:each|every|per)\b[^.;:!?$]*$", re.I)


def _values(index: Index, text: str, mentions: list[DateMention], counts: tuple[str, ...]) -> tuple[Value, ...]:
    found: list[Value] = []
    spans = [(m.start(), m.end()) for m in _WORDS.finditer(text)]

    def near(start: int, end: int) -> frozenset[str]:
        at = [n for n, (a, b) in enumerate(spans) if b > start and a < end]
        if not at:
            return frozenset()
        first, last = max(0, at[0] - VALUE_WINDOW), min(len(spans), at[-1] + VALUE_WINDOW + 1)
        window = text[spans[first][0] : start] + " " + text[end : spans[last - 1][1]]
        return frozenset(t for t in index.analyzer.terms(window) if not _is_value(t))

    for m in mentions:
        # "this week" dates the report, "last year" is too vague; a date after "would",
        # "will" is of something foretold.
        if m.text.casefold().endswith("week") or (m.relative and m.precision == "year"):
            continue
        if _MODAL_BEFORE.search(text, max(0, m.start - 40), m.start):
            continue
        first = m.date.toordinal()
        if m.precision == "day":
            last = first
        elif m.precision == "month":
            last = (date(m.date.year + (m.date.month == 12), m.date.month % 12 + 1, 1)).toordinal() - 1
        else:
            last = date(m.date.year, 12, 31).toordinal()
        found.append(Value("date", m.label, first, last, False, near(m.start, m.end), role=_date_role(text, m.start, m.end)))
    sums = list(MONEY.finditer(text))
    for n, m in enumerate(sums):
        label = money_value(m.group())
        amount = float(label[1:].replace(",", ""))
        # "$25 each", "$1,000 per violation" just after the sum, or "each person should
        # get about $428" before it (not across another sum).
        before = text[max(sums[n - 1].end() if n else 0, m.start() - 100) : m.start()]
        per_unit = bool(_PER_UNIT.match(text, m.end()) or _PAID_IN.match(text, m.end()) or _EACH_BEFORE.search(before))
        role = _sum_role(text, m.start(), m.end(), before, per_unit)
        found.append(Value("figure", label, amount, amount, per_unit, near(m.start(), m.end()), role=role))
    for count in counts:
        shown = count.partition("|")[0]
        at = text.find(shown)
        number = shown.rpartition(" ")[0]
        counted = frozenset(index.analyzer.terms(" ".join(_counted_words(text[at + len(number) :]))))
        found.append(Value("count", shown, _number(shown), _number(shown), False, near(at, at + len(shown)), counted))
    return tuple(found)


_MODAL_BEFORE = re.compile(rf"\b(?:{vocab.MODAL_WORDS})\b[^.;]*$", re.I)

# A suit, as news names it.
_SUIT = r"(?:lawsuit|suit|complaint|class[- ]action(?:\s+(?:lawsuit|suit|complaint))?)"
# The date a suit was brought: "the 2018 lawsuit", "a 2015 class action" (a date as the
# suit's modifier); "the lawsuit was opened in 2017", "the lawsuit, filed in December 2023",
# "filed its lawsuit in late 2023", "sued OpenAI and Microsoft on Wednesday".
_SUIT_AFTER = re.compile(rf"\s+{_SUIT}\b", re.I)
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an|its|their|this|that)\s+$", re.I)
_BROUGHT_BEFORE = re.compile(
    rf"(?:\b{_SUIT}\b[^.;:]{{0,25}}?\b(?:(?:was|were|been|is)\s+)?(?:filed|opened|brought|lodged|launched|initiated)"
    rf"|\b(?:filed|brought|lodged|launched)\s+(?:(?:a|an|the|its|their|his|her)\s+)?(?:[\w-]+\s+){{0,3}}?{_SUIT}"
    r"|\bsued\b[^.;:]{0,60}?)\s+(?:(?:back\s+)?in|on)?\s*(?:(?:late|early|mid-?)\s*)?$",
    re.I,
)


# Or the date opens the clause that tells the filing: "Today the first class action lawsuit
# was filed in Chicago", "In 2015, a lawsuit was brought".
_BROUGHT_AFTER = re.compile(
    rf",?\s+(?:the|a|an|its|their)\s+(?:[\w-]+\s+){{0,3}}?{_SUIT}\s+(?:(?:was|were|has\s+been|have\s+been)\s+)"
    r"(?:filed|opened|brought|lodged|launched|initiated)\b",
    re.I,
)


def _date_role(text: str, start: int, end: int) -> str | None:
    """ "filed" when the date is that of the suit's filing, as the words around it say."""
    before = text[max(0, start - 100) : start]
    if _ARTICLE_BEFORE.search(before) and _SUIT_AFTER.match(text, end):
        return "filed"
    if _BROUGHT_BEFORE.search(before) or _BROUGHT_AFTER.match(text, end):
        return "filed"
    return None


# A sum each one receives: a sum for each one ("$25 each", "$397 checks") with a word of
# receiving in its clause ("will receive $345 each", "each person should get about $428",
# "pay eligible iPhone owners $25 each"); not a fine or statutory damages ("fines of up to
# $5,000 per person", "damages of at least $1,000 per violation"), which no one receives yet.
_RECEIVING = re.compile(
    r"\b(?:receiv\w*|gets?|got|getting|paid|pays?|paying|payments?|payouts?|checks?|cheques?|refund\w*|compensat\w*)\b", re.I
)
# A settlement's total: "a $650 million settlement", "a maximum $500 million class action
# settlement", "pay up to $500 million to settle", "settled a $550 million lawsuit",
# "settle the case for $48 million", "a settlement worth $1.5 billion".
_SETTLEMENT_AFTER = re.compile(r"\s+(?:[\w-]+\s+){0,2}?settlement\b|\s+to\s+settle\b", re.I)
_SETTLEMENT_BEFORE = re.compile(
    r"\bsettle(?:d|s|ment)?\b(?:[^.;:$]{0,40}\b(?:for|worth|of|at|totall?ing|valued\s+at)|\s+(?:a|an|the|its))"
    r"\s+(?:(?:up\s+to|about|nearly|roughly|around|almost|more\s+than|over|a|an|maximum|total\s+of)\s+)*$",
    re.I,
)


# What a sum for each one is per, when a word says so: someone ("$400 per person", "each
# affected iPhone user", "as per the claim"), or a thing, which makes it a rate ("$8 per
# delivery", "$3,000 for each of the estimated 500,000 books").
_PER_WHAT = re.compile(r"\b(?:each|every|per)\b(?:\s+of)?(?:\s+(?:the|a|an)\b)?(?=\s*([^.;:!?$]*))", re.I)
_A_WHAT = re.compile(r"\s+an?\s+([^.;:!?$]*)", re.I)  # "$5 a month", just after the sum
_SOMEONE = re.compile(
    r"\b(?:persons?|people|individuals?|members?|users?|customers?|consumers?|owners?|claimants?|claims?"
    r"|plaintiffs?|households?|residents?|accounts?|heads?|recipients?|victims?|employees?|workers?"
    r"|subscribers?|holders?|families|family|patients?|students?)\b",
    re.I,
)


def _sum_role(text: str, start: int, end: int, before: str, per_unit: bool) -> str | None:
    """ "each" or "settlement" when the words around a sum say it is one of those."""
    if per_unit:
        after = re.split(r"[.$]", text[end : end + 40])[0]
        clause = re.split(r"[;:]|\band\b", before)[-1] + after
        named = [m.group(1) for m in _PER_WHAT.finditer(clause)] + [m.group(1) for m in [_A_WHAT.match(after)] if m]
        units = [words for unit in named if (words := " ".join(_counted_words(unit)))]
        # "$25 each" names no unit; "each person … $428" and "$400 per person" name someone.
        for_someone = not units or any(_SOMEONE.search(u) for u in units) or bool(_PAID_IN.match(text, end))
        return "each" if for_someone and _RECEIVING.search(clause) else None
    if _SETTLEMENT_AFTER.match(text, end) or _SETTLEMENT_BEFORE.search(before):
        return "settlement"
    return None


def _is_value(term: str) -> bool:
    return term[0].isdigit() or term[0] == "$" or term in MONTHS


def similarity(index: Index, a: Sentence, b: Sentence) -> float:
    """idf-weighted Jaccard similarity of two sentences' terms (0..1)."""
    if not a.terms or not b.terms:
        return 0.0
    idf = _idf(index)
    shared = sum(idf[t] for t in a.terms & b.terms)
    # Every term of an analysed sentence is in the index, so its weight is its idf; the
    # union's weight follows from the two totals without a second pass.
    union = a.weight + b.weight - shared
    return shared / union if union > 0 else 0.0


class _IdfMemo(dict):
    """A snapshot's idf of the terms its sentences are weighed by, each read from the
    index's table (a binary search) once: comparing sentences reads the same terms over
    and over. A term no passage holds weighs 0."""

    def __init__(self, index: Index) -> None:
        super().__init__()
        self._table = index.idf

    def __missing__(self, term: str) -> float:
        value = self[term] = self._table.get(term, 0.0)
        return value


def _idf(index: Index) -> _IdfMemo:
    memo = index.cache.idf
    if memo is None:
        memo = index.cache.idf = _IdfMemo(index)
    return memo


def candidates(index: Index, sentence: Sentence, *, limit: int = 12) -> list[Sentence]:
    """Sentences of other sources that could make the same claim (found by BM25, once per
    sentence and snapshot: the same quote recurs across questions)."""
    key = (sentence.passage.id, sentence.start, limit)
    cached = index.cache.candidates.get(key)
    if cached is None:
        cached = [s for p in _retelling_passages(index, sentence, limit) for s in sentences_of(index, p)]
        index.cache.candidates[key] = cached
    return cached


def valued_candidates(index: Index, sentence: Sentence, *, limit: int = 12) -> list[Sentence]:
    """The `candidates` that give a value (`valued_sentences`): all a comparison of
    values reads of them."""
    return [s for p in _retelling_passages(index, sentence, limit) for s in valued_sentences(index, p)]


def _retelling_passages(index: Index, sentence: Sentence, limit: int) -> list[Passage]:
    """Other sources' passages that could make a sentence's claim."""
    # The sentence's most telling words are enough to find its retellings.
    telling = tuple(sorted(sentence.terms, key=index.term_weight, reverse=True)[:QUERY_TERMS])
    # One search per snapshot for the same words in the same order (the same scores, to
    # the bit): a sentence told word for word by several sources, or in several passages,
    # is searched for once. Each search scores the whole corpus (~1 ms at 100,000 passages).
    key = (telling, limit)
    found = index.cache.retellings.get(key)
    if found is None:
        groups = [QueryGroup(word=t, terms={t: 1.0}) for t in telling]
        found = index.cache.retellings[key] = [p for p, _ in index.search(groups, limit=limit)]
    return [p for p in found if p.source_id != sentence.passage.source_id]


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
    for conflict, dissenting in [*value_disagreements(index, sentence), *_in_roles(index, sentence)]:
        values = {v.value for v in conflict.values}
        if all({v.value for v in c.values} != values for c, _ in found):
            found.append((conflict, dissenting))
    return found


# Two values are of the same thing when the words around them share this much (summed
# idf, a synonym counting as the word, in units of the rarest word's idf: a little more
# than one word that only one passage holds), are of one kind (a sum for each or a total), and
# are near enough to be one value reported differently: sums within CLOSE_SUMS of each
# other ("$25 each" and "around $65"; not "$1,000 per person" and the "$5,000 each" of the
# named plaintiffs), counts within CLOSE_COUNTS, dates within DATE_SPAN days.
SHARED_NEAR = 1.15
# And the two sentences must share this much as a whole (the idf-weighted Jaccard of
# `similarity`): the words near "a 2023 app update" (the couriers' agreement) and near
# "changed its checkout language in April" share "add" and "update"/"change", the
# sentences little else (0.05); "launched in 2010" and "introduced by Facebook in 2011"
# share the tag suggestions feature (0.16). Set between the false alarms and the
# disagreements measured on the development cases (tests/bench/disagreements.py).
SAME_SUBJECT = 0.06
CLOSE_SUMS = 4.0
DATE_SPAN = 3 * 366
# The passages searched for values of the same thing: those holding the value's rarest
# nearby words, each in at most COUNTING_PASSAGES passages.
NEAR_QUERY_TERMS = 3


def value_disagreements(index: Index, sentence: Sentence) -> list[tuple[Conflict, tuple[Sentence, ...]]]:
    """Where another source gives a different value of the same thing, read from the
    words around each value (see `Value`): who says what, with the sentences of the
    other side. A source that gives both values is no party to the disagreement. (Once
    per sentence and snapshot: a quote recurs across questions.)"""
    if not sentence.values or sentence.other_case:
        return []
    cache = _snapshot_cache(index)
    key = (sentence.passage.id, sentence.start)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _value_disagreements(index, sentence)
    return found


# Per index snapshot (the index's own cache has no room for it; a reload builds a new
# index, and the entry goes with the old one).
_CACHES: dict[int, dict[tuple[int, int], Any]] = {}


def _snapshot_cache(index: Index) -> dict[tuple[int, int], Any]:
    found = _CACHES.get(id(index))
    if found is None:
        found = _CACHES[id(index)] = {}
        weakref.finalize(index, _CACHES.pop, id(index), None)
    return found


def _value_disagreements(index: Index, sentence: Sentence) -> list[tuple[Conflict, tuple[Sentence, ...]]]:
    others = valued_candidates(index, sentence)  # a sentence giving no value differs in none
    source_id = sentence.passage.source_id
    found = []
    for value in sentence.values:
        pool = {(o.passage.id, o.start): o for o in [*others, *_near_value(index, sentence, value)]}
        agreeing: list[Sentence] = []
        differing: list[tuple[Sentence, Value]] = []
        for other in pool.values():
            if other.passage.source_id == source_id or other.other_case:
                continue
            if similarity(index, sentence, other) < SAME_SUBJECT:
                continue
            same = [w for w in other.values if _same_thing(index, value, w)]
            if value.kind == "date" and sentence.step and other.step and sentence.step != other.step:
                # Dates of two steps are of two events ("filed the lawsuit Tuesday, March
                # 12" and "a federal judge on Monday refused to throw out" the same suit),
                # whatever words (the court's city) their sentences share.
                same = []
            if any(_agree(value, w) for w in same):
                agreeing.append(other)
                continue
            # A value this sentence gives too is no other side ("$120 million, including
            # an estimated $65 million" beside another's "$120 million").
            differing.extend(
                (other, w) for w in same if not any(_agree(mine, w) for mine in sentence.values if mine.kind == w.kind)
            )
        if not differing:
            continue
        by_value: dict[str, dict[str, Source]] = {}
        for member, label in [(sentence, value.label), *((o, value.label) for o in agreeing), *((o, w.label) for o, w in differing)]:
            source = index.sources[member.passage.source_id]
            by_value.setdefault(label, {})[source.id] = source
        conflict = Conflict(
            about=f"the {value.kind} in “{_short(sentence.text)}”",
            values=tuple(ConflictValue(v, tuple(srcs.values())) for v, srcs in by_value.items()),
            kind=value.kind,
        )
        found.append((conflict, tuple(dict.fromkeys(o for o, _ in differing))))
    return found


def asked_conflicts(index: Index, sentences: Iterable[Sentence], kind: str) -> tuple[Conflict, ...]:
    """Where the quoted sentences of different sources give different values of the kind
    asked for (a sum for "how much", a date for "when", a count for "how many") *of the
    same thing* (see `Value`): who says what. The settlement's total beside the sum each
    claimant gets, or a fine beside a payout, answers one question in two values but is no
    disagreement."""
    given = [(s, v) for s in sentences for v in s.values if v.kind == kind and not s.other_case]
    by_source: dict[str, list[Value]] = {}
    for s, v in given:
        by_source.setdefault(s.passage.source_id, []).append(v)
    by_value: dict[str, dict[str, Source]] = {}
    for n, (a, v) in enumerate(given):
        for b, w in given[n + 1 :]:
            if a.passage.source_id == b.passage.source_id or _agree(v, w):
                continue
            if not (
                _one_each(v, w)
                or _set_apart_in_role(index, v, w)
                or similarity(index, a, b) >= SAME_SUBJECT and _same_thing(index, v, w)
            ):
                continue
            # A source that gives both values ("$550 million" at first, "$650 million"
            # once raised) is no party to the disagreement.
            if _gives(index, by_source[a.passage.source_id], w) or _gives(index, by_source[b.passage.source_id], v):
                continue
            for member, value in ((a, v), (b, w)):
                source = index.sources[member.passage.source_id]
                by_value.setdefault(value.label, {})[source.id] = source
    if len(by_value) < 2:
        return ()
    # Sources that give a value agreeing with one already listed are on that side too.
    for s, v in given:
        for label in by_value:
            if v.label == label:
                source = index.sources[s.passage.source_id]
                by_value[label].setdefault(source.id, source)
    noun = {"figure": "sum", "date": "date", "count": "count"}[kind]
    values = tuple(ConflictValue(v, tuple(sources.values())) for v, sources in by_value.items())
    return (Conflict(about=f"the {noun} asked about", values=values, kind=kind),)


def _set_apart_in_role(index: Index, a: Value, b: Value) -> bool:
    """Two values in one role that the case's disagreement in that role sets against each
    other ("the 2018 lawsuit", "the lawsuit was opened in 2017"); not two a source gives
    both of ("its initial $550 million settlement", "the new $650 million settlement")."""
    if a.role is None or a.role != b.role:
        return False
    conflict = role_disagreements(index).get((a.kind, a.role))
    return conflict is not None and {a.label, b.label} <= {v.value for v in conflict.values}


def _one_each(a: Value, b: Value) -> bool:
    """Two close sums for each one ("$25 each", "$92.17 as per the claim") or two close
    counts, quoted for one question of that kind: the question is the thing they share,
    and their own words may share nothing."""
    if a.kind == "figure":
        return a.per_unit and b.per_unit and _ratio(a.low, b.low) <= CLOSE_SUMS
    return a.kind == "count" and _ratio(a.low, b.low) <= CLOSE_COUNTS


def _gives(index: Index, values: Iterable[Value], value: Value) -> bool:
    """Whether one of `values` is `value` for the same thing (a source's "June 7, 2011"
    of the class period does not give the "2011" another source launches a feature in)."""
    return any(_agree(value, x) and _same_thing(index, x, value) for x in values)


def _near_value(index: Index, sentence: Sentence, value: Value) -> list[Sentence]:
    """Other sources' sentences that hold the value's rarest nearby words."""
    telling = sorted(value.near, key=index.term_weight, reverse=True)[:NEAR_QUERY_TERMS]
    return [s for s in _elsewhere(index, sentence, telling) if s.values]


def _same_thing(index: Index, a: Value, b: Value) -> bool:
    if a.kind != b.kind:
        return False
    close = _close_values(a, b)
    # Counts of the same things ("1.3 million people", "1.5 million eligible Facebook
    # users", a synonym counting) need share nothing else around them.
    if close and a.kind == "count" and _shares(index, a.counted, b.counted):
        return True
    # In idf units of the corpus's rarest word: idf grows with the corpus.
    return close and _shared_weight(index, a.near, b.near) >= SHARED_NEAR * index.max_idf


def _agree(a: Value, b: Value) -> bool:
    """The same value, or dates one of which holds the other ("March 2024", "March 11")."""
    if a.kind == "date":
        return a.low <= b.high and b.low <= a.high
    return a.low == b.low


_SYNONYMS: weakref.WeakKeyDictionary[Analyzer, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def _synonyms(analyzer: Analyzer) -> dict[str, frozenset[str]]:
    """Each term's synonyms (retrieval/language/vocabulary.py's groups), as terms of this analyzer."""
    found = _SYNONYMS.get(analyzer)
    if found is None:
        groups: dict[str, set[str]] = {}
        for group in vocab.SYNONYMS:
            terms = {analyzer.term(w) for w in group}
            for term in terms:
                groups.setdefault(term, set()).update(terms - {term})
        found = _SYNONYMS[analyzer] = {t: frozenset(g) for t, g in groups.items()}
    return found


def _ratio(a: float, b: float) -> float:
    return max(a, b) / min(a, b) if min(a, b) > 0 else float("inf")


def _shares(index: Index, a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of terms share one, a synonym counting."""
    synonyms = _synonyms(index.analyzer)
    return any(t in b or not synonyms.get(t, frozenset()).isdisjoint(b) for t in a)


def _shared_weight(index: Index, a: frozenset[str], b: frozenset[str]) -> float:
    """The summed idf of the words two values' surroundings share (a synonym counts)."""
    synonyms = _synonyms(index.analyzer)
    shared = {t for t in a if t in b or not synonyms.get(t, frozenset()).isdisjoint(b)}
    idf = _idf(index)
    return sum(idf[t] for t in shared)


def conflicts(index: Index, sentence: Sentence, others: Iterable[Sentence]) -> list[Conflict]:
    """Where other sources give a different date or figure for the same claim."""
    return [conflict for conflict, _ in disagreements(index, sentence, others)]


def merge_conflicts(into: list[Conflict], new: Iterable[Conflict]) -> None:
    """Adds conflicts to a list unless one about the same values is there already."""
    for conflict in new:
        values = {v.value for v in conflict.values}
        if all({v.value for v in c.values} != values for c in into):
            into.append(conflict)


# The passages a case-wide search for disagreements reads, at most: every passage of a
# case's usual coverage (the development cases have 38 to 67), and on a larger corpus the
# opening passages of the newest sources first (a news report puts what matters most
# first). Each passage read costs about a millisecond (its sentences analysed).
SWEPT_PASSAGES = 300


def case_disagreements(index: Index) -> tuple[Conflict, ...]:
    """Where the sources give different values of the same thing anywhere in the case,
    not only in the sentences a view quotes: most central first (told by the most
    sources, then the earliest in an article). Once per snapshot."""
    if index.cache.differences is None:
        index.cache.differences = _case_disagreements(index)
    return index.cache.differences


def _case_disagreements(index: Index) -> tuple[Conflict, ...]:
    found: list[tuple[Conflict, int]] = []  # with the earliest article position telling it
    for passage in swept_passages(index):
        for sentence in valued_sentences(index, passage):
            if not sentence.values or sentence.other_case:
                continue
            # (With the role disagreements its values take part in: see `disagreements`.)
            # Only the candidates that give a value can differ in one.
            for conflict, _ in disagreements(index, sentence, valued_candidates(index, sentence)):
                _merge_case_conflict(found, conflict, passage.position)
    ranked = sorted(found, key=lambda pair: (-len(_sources_of(pair[0])), pair[1]))
    return tuple(conflict for conflict, _ in ranked)


_ROLE_NAMES = {"filed": "date the suit was filed", "settlement": "settlement's total", "each": "sum each one receives"}


def role_disagreements(index: Index) -> dict[tuple[str, str], Conflict]:
    """The case's disagreements in each role (see `Value.role`), by (kind, role), read over
    the passages `case_disagreements` reads. Once per snapshot (kept beside the sentence
    disagreements of `value_disagreements`, under a key no sentence has)."""
    cache = _snapshot_cache(index)
    found = cache.get(_ROLES_KEY)
    if found is None:
        in_role: dict[tuple[str, str], list[tuple[Sentence, Value]]] = {}
        for passage in swept_passages(index):
            for sentence in valued_sentences(index, passage):
                if sentence.other_case:
                    continue
                for value in sentence.values:
                    if value.role is not None:
                        in_role.setdefault((value.kind, value.role), []).append((sentence, value))
        found = {}
        for (kind, role), given in in_role.items():
            conflict = _role_conflict(index, kind, role, given)
            if conflict is not None:
                found[(kind, role)] = conflict
        cache[_ROLES_KEY] = found
    return found


_ROLES_KEY = (-1, -1)


def _in_roles(index: Index, sentence: Sentence) -> list[tuple[Conflict, tuple[Sentence, ...]]]:
    """The role disagreements a sentence's values take part in: a quote that gives "$25
    each" shows that others say $65 and $92.17. Without the other sides' sentences: the
    conflict names who says what, and a quote of each would crowd out what was asked
    ("how much do the named plaintiffs get", answered by "$5,000 each and others … $345
    each", is not asking what the others get)."""
    if sentence.other_case or not any(v.role for v in sentence.values):
        return []
    roles = role_disagreements(index)
    found = []
    for value in sentence.values:
        conflict = roles.get((value.kind, value.role)) if value.role else None
        if conflict is not None and any(v.value == value.label for v in conflict.values):
            found.append((conflict, ()))
    return found


def _role_conflict(index: Index, kind: str, role: str, given: list[tuple[Sentence, Value]]) -> Conflict | None:
    """Where sources give different values in one role (see `Value.role`): who says what.
    Two values are set against each other when they are close enough to be one value told
    differently (`_close_values`) and no source gives both: a source that tells both ("its
    initial $550 million settlement" beside "the new $650 million settlement") shows the
    value changed, not that the sources disagree."""
    by_source: dict[str, list[Value]] = {}
    for sentence, value in given:
        by_source.setdefault(sentence.passage.source_id, []).append(value)
    by_value: dict[str, dict[str, Source]] = {}
    for n, (a, v) in enumerate(given):
        for b, w in given[n + 1 :]:
            if a.passage.source_id == b.passage.source_id or _agree(v, w) or not _close_values(v, w):
                continue
            if any(any(_agree(v, x) for x in xs) and any(_agree(w, x) for x in xs) for xs in by_source.values()):
                continue
            for member, value in ((a, v), (b, w)):
                source = index.sources[member.passage.source_id]
                by_value.setdefault(value.label, {})[source.id] = source
    if len(by_value) < 2:
        return None
    # Sources that give a value agreeing with one listed are on that side too.
    for sentence, value in given:
        if value.label in by_value:
            source = index.sources[sentence.passage.source_id]
            by_value[value.label].setdefault(source.id, source)
    values = tuple(ConflictValue(v, tuple(sources.values())) for v, sources in by_value.items())
    return Conflict(about=f"the {_ROLE_NAMES[role]}", values=values, kind=kind)


def _close_values(a: Value, b: Value) -> bool:
    """Whether two values of one kind are near enough to be one value told differently."""
    if a.kind == "date":
        return max(a.low, b.low) - min(a.high, b.high) <= DATE_SPAN
    if a.kind == "figure":
        return a.per_unit == b.per_unit and _ratio(a.low, b.low) <= CLOSE_SUMS
    return _ratio(a.low, b.low) <= CLOSE_COUNTS


def swept_passages(index: Index) -> list[Passage]:
    """The passages `case_disagreements` reads (SWEPT_PASSAGES at most), in corpus order."""
    if len(index.passages) <= SWEPT_PASSAGES:
        return list(index.passages)
    # Each source's passages from its articles (index.passages is theirs end to end): not
    # a pass over every passage of a large corpus.
    by_source: dict[str, list[Passage]] = {}
    for article in index.corpus.articles:
        if article.passages:
            by_source.setdefault(article.source.id, []).extend(article.passages)
    newest = sorted(by_source, key=lambda s: index.sources[s].published or date.min, reverse=True)
    chosen: list[Passage] = []
    for position in range(max(len(p) for p in by_source.values())):
        for source_id in newest:
            if position < len(by_source[source_id]):
                chosen.append(by_source[source_id][position])
                if len(chosen) == SWEPT_PASSAGES:
                    return sorted(chosen, key=lambda p: p.id)
    return sorted(chosen, key=lambda p: p.id)


def _merge_case_conflict(found: list[tuple[Conflict, int]], new: Conflict, position: int) -> None:
    """Adds a conflict to the case's list, as one with a listed conflict of its kind that
    sets two of the same values against each other (the same disagreement, found again
    from another side's sentence): their values and sources are joined."""
    labels = {v.value for v in new.values}
    for n, (known, first) in enumerate(found):
        if known.kind != new.kind or len(labels & {v.value for v in known.values}) < 2:
            continue
        sources = {v.value: dict((s.id, s) for s in v.sources) for v in known.values}
        for value in new.values:
            for source in value.sources:
                sources.setdefault(value.value, {}).setdefault(source.id, source)
        values = tuple(ConflictValue(v, tuple(by_id.values())) for v, by_id in sources.items())
        found[n] = (Conflict(about=known.about, values=values, kind=known.kind), min(first, position))
        return
    found.append((new, position))


def _sources_of(conflict: Conflict) -> set[str]:
    return {s.id for v in conflict.values for s in v.sources}


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
    return [s for s in _elsewhere(index, sentence, nouns) if s.counts]


def _elsewhere(index: Index, sentence: Sentence, terms: Iterable[str]) -> Iterator[Sentence]:
    """The sentences giving a value (`valued_sentences`) of other sources' passages that
    hold any of `terms`, each term taken only where it is rare enough to point at one thing
    (COUNTING_PASSAGES passages)."""
    for term in terms:
        posting = index.postings.get(term)
        if posting is None or len(posting.passages) > COUNTING_PASSAGES:
            continue
        for pid in posting.passages:
            passage = index.passages[pid]
            if passage.source_id != sentence.passage.source_id:
                yield from valued_sentences(index, passage)


COUNTED_WORDS = 3  # the words after a count's number that may name what it counts


def _counted_words(after: str) -> list[str]:
    """The words after a count's number that name what it counts: up to COUNTED_WORDS, to
    the first function word or the first word that reads as a verb or an adverb, past any
    at the start ("1.3 million people successfully filed": people; "1.5 million eligible
    Facebook users in Illinois": eligible Facebook users; "2,000 affected owners": owners)."""
    words: list[str] = []
    for word in after.split()[: COUNTED_WORDS + 2]:
        word = word.strip(".,;:!?()\"“”'’")
        if not word or word.casefold() in vocab.STOP_WORDS:
            break
        if _NOT_COUNTED_WORD.search(word):
            if words:
                break
            continue  # "2,000 affected owners": past the participle
        words.append(word)
        if len(words) == COUNTED_WORDS:
            break
    return words


_NOT_COUNTED_WORD = re.compile(r"(?:ly|ed|ing)$", re.I)

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
