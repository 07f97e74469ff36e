"""The BM25 index over a corpus's passages: built once per load, read-only afterwards.

rank-bm25 fits the statistics (Okapi idf with its epsilon floor, average length) from the
term counts, which the build makes with numpy over flat arrays of term numbers. Scoring
then runs over per-term postings with precomputed BM25 contributions, so a question costs
time in proportion to the passages that hold its words rather than to the whole corpus
(rank-bm25's own `get_scores` walks every passage for every term). A test checks that both
give the same scores.

The postings of all terms live in three flat arrays (`PostingTable`), not in an object per
term. That keeps a snapshot almost invisible to Python's cyclic garbage collector: a full
collection walks every tracked object while holding the GIL, so an index of tens of
thousands of per-term objects made each one a stall of the event loop, during a reload
most of all (then two indexes are alive). The tables by term (document frequency, idf, the
corpus's words) are arrays in the same way, over one sorted tuple of shared strings
(retrieval/terms.py), so that many cases in one process cost memory by their passages,
not by how many cases there are.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.language.analyzer import Analyzer, QueryGroup, learn_acronyms
from retrieval.case.developments import Development, find_developments, first_report, latest
from retrieval.model import Corpus, Passage, Source
from retrieval.language.spelling import Speller
from retrieval.terms import ByTerm, Terms, TermValues
from retrieval.language.vocabulary import STOP_WORDS

K1 = 1.5
B = 0.75
# The least idf a term gets. Okapi idf is zero or below for a term in half the passages or
# more, and in a corpus of one or two articles that is every term: without a floor nothing
# would score and every question would be declined.
MIN_IDF = 0.01
# A word no passage holds is more telling than the rarest one that some passage does.
UNSEEN = 1.25


@dataclass(frozen=True, slots=True)
class Postings:
    passages: np.ndarray  # passage ids holding the term (int32, ascending)
    scores: np.ndarray  # the term's BM25 contribution in each of them (float32)


class PostingTable(ByTerm[Postings]):
    """Every term's postings, stored as compressed sparse rows: term -> `Postings`.

    Row `r` (a term's row in `terms`, retrieval.terms) is `passages[starts[r]:starts[r + 1]]`,
    with the matching `scores`. `Postings` are made on lookup as views of the arrays, so the
    table is a handful of objects whatever the corpus size. Treat every attribute as
    read-only.

    Attributes:
        terms: the terms, their rows and the order they iterate in.
        starts: where each row starts in the flat arrays, plus the total at the end.
        passages: passage ids, ascending within each row (int32).
        scores: the BM25 contribution of the row's term in each passage (float32).
    """

    __slots__ = ("starts", "passages", "scores")

    def __init__(self, terms: Terms, starts: np.ndarray, passages: np.ndarray, scores: np.ndarray) -> None:
        super().__init__(terms)
        self.starts = starts
        self.passages = passages
        self.scores = scores

    def at(self, row: int) -> Postings:
        """The postings of one row."""
        start, end = self.starts[row], self.starts[row + 1]
        return Postings(self.passages[start:end], self.scores[start:end])


@dataclass(slots=True)
class SnapshotCache:
    """Values derived from one index snapshot on first use, owned by that snapshot: a reload
    builds a new index and so starts a new cache. Filled from worker threads and the event
    loop alike; each entry is a pure function of the snapshot, so a race only computes one
    twice.

    Attributes:
        sentences: passage id -> its analysed sentences (retrieval.case.claims.Sentence).
        group_weights: a query group's terms -> its idf as one concept.
        candidates: a sentence (passage id, start, limit) -> other sources' sentences that
            may tell the same claim (retrieval.case.claims.candidates).
        timeline: the timeline answer (retrieval.case.timeline), once computed.
        source_names: the names questions may call the sources by (retrieval.answering.question).
        names: whether a term is written as a name (retrieval.answering.question.is_name).
    """

    sentences: dict[int, list[Any]] = field(default_factory=dict)
    group_weights: dict[tuple[str, ...], float] = field(default_factory=dict)
    candidates: dict[tuple[int, int, int], list[Any]] = field(default_factory=dict)
    # passage id -> its analysed sentences that give a value (retrieval.case.claims.valued_sentences)
    valued: dict[int, list[Any]] = field(default_factory=dict)
    # a claim search's words and limit -> the passages it found (claims._retelling_passages)
    retellings: dict[tuple[tuple[str, ...], int], list[Any]] = field(default_factory=dict)
    idf: Any = None  # the idf of the terms sentences are weighed by (retrieval.case.claims._idf)
    timeline: Any = None
    status: Any = None  # the status answer (retrieval.case.status), once computed
    # the case's disagreements, most central first (retrieval.case.claims.case_disagreements)
    differences: Any = None
    # (a name as folded words -> source ids, the most words in a name)
    source_names: tuple[dict[str, tuple[str, ...]], int] | None = None
    # a term -> whether the sources write it as a name (retrieval.answering.question.is_name)
    names: dict[str, bool] = field(default_factory=dict)
    defendant: str | None = None  # the defendant's term (retrieval.answering.question.defendant)
    # first letter -> lemma -> corpus words (retrieval.language.inflection)
    lemmas: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    outlet_only: dict[str, bool] = field(default_factory=dict)  # a term only in outlets' names
    # a sentence (passage id, start) -> its unit embedding (retrieval.answering.features)
    embeddings: dict[tuple[int, int], Any] = field(default_factory=dict)
    # a sentence (passage id, start) -> what it is (retrieval.answering.features.Traits)
    traits: dict[tuple[int, int], Any] = field(default_factory=dict)
    # a kind of value -> the passages holding one (Index.passages_with)
    kinds: dict[str, Any] = field(default_factory=dict)
    # the first letters of a word -> the corpus words that begin so (retrieval.language.inflection)
    prefixes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outlet_terms: dict[str, list[str]] | None = None  # a term -> the outlets whose names hold it


_MONTH_TERMS = frozenset(
    "januari februari march april may june juli august septemb octob novemb decemb".split()
)
_KIND_TERMS = {
    "money": lambda t: t[:1] == "$",
    "date": lambda t: t in _MONTH_TERMS or (len(t) == 4 and t.isdigit() and t[:2] in ("19", "20")),
    "count": lambda t: t[:1].isdigit(),
}
_CAPITALISED_WORD = re.compile(r"\b[A-Z][\w’'-]*")


@dataclass(frozen=True)
class Index:
    """An immutable snapshot: the corpus, its analyzer and its BM25 postings.

    Reload builds a new Index and swaps the reference; nothing mutates one in place, so
    any number of questions can read it while the next one is built.
    """

    corpus: Corpus
    analyzer: Analyzer
    passages: tuple[Passage, ...]
    sources: dict[str, Source]
    postings: PostingTable
    idf: TermValues[float]
    max_idf: float
    idf_floor: float  # rank-bm25's epsilon floor for terms in over half the passages
    developments: tuple[Development, ...]  # the case's procedural steps, for status
    words: TermValues[int]  # every surface word of the passages (folded), with its count
    cache: SnapshotCache = field(default_factory=lambda: SnapshotCache(), compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.passages)

    @cached_property
    def document_frequency(self) -> TermValues[int]:
        """Term -> how many passages hold it: its row's length in the postings, so nothing
        is kept for it until a question reads it."""
        return TermValues.of(self.postings.terms, np.diff(self.postings.starts), "i")

    @cached_property
    def latest_development(self) -> Development | None:
        """The development reported on the latest date (it reads every development)."""
        return latest(self.developments)

    @cached_property
    def developments_by_step(self) -> dict[str, tuple[Development, ...]]:
        """The developments of each step, in corpus order."""
        found: dict[str, list[Development]] = {}
        for development in self.developments:
            found.setdefault(development.step, []).append(development)
        return {step: tuple(items) for step, items in found.items()}

    @cached_property
    def by_source(self) -> dict[str, tuple[Passage, ...]]:
        """Each source's passages, in order."""
        found: dict[str, list[Passage]] = {}
        for passage in self.passages:
            found.setdefault(passage.source_id, []).append(passage)
        return {source_id: tuple(passages) for source_id, passages in found.items()}

    @cached_property
    def newest(self) -> date | None:
        """The latest date any passage is reported on."""
        return max((p.date for p in self.passages if p.date is not None), default=None)

    @cached_property
    def first_report(self) -> date | None:
        """The earliest date any passage is reported on (retrieval.case.developments)."""
        return first_report(self.passages)

    @cached_property
    def party_terms(self) -> frozenset[str]:
        """The terms of the sentences that report this case's steps: its parties, its
        court, its judge ("filed on behalf of Alessandro De La Torre")."""
        # Names are capitalised: only those words are read, not every word of every report.
        words: set[str] = set()
        for development in self.developments:
            start, end = development.passage.sentences[development.sentence]
            words.update(_CAPITALISED_WORD.findall(development.passage.text, start, end))
        return frozenset(self.analyzer.term(w.casefold()) for w in words)

    def passages_with(self, kind: str) -> np.ndarray:
        """The ids of the passages that hold a value of a kind: "money" (a sum), "date" (a
        month or a year) or "count" (any number); found from the postings once per kind."""
        cached = self.cache.kinds.get(kind)
        if cached is None:
            test = _KIND_TERMS[kind]
            held = [self.postings[t].passages for t in self.postings if test(t)]
            cached = self.cache.kinds[kind] = _distinct(np.concatenate(held)) if held else np.zeros(0, dtype=np.int32)
        return cached

    def knows(self, term: str) -> bool:
        """Whether any passage holds the term."""
        return term in self.postings

    @cached_property
    def speller(self) -> Speller:
        """Corrects question words towards this corpus's words (built on first use)."""
        return Speller(self.words)

    def term_weight(self, term: str) -> float:
        """How telling a term is: its idf, with unseen terms the most telling of all."""
        return self.idf.get(term, self.unseen_weight)

    @cached_property
    def unseen_weight(self) -> float:
        """The weight of a term no passage holds: above the rarest one that some does."""
        return UNSEEN * self.max_idf

    def group_weight(self, group: QueryGroup) -> float:
        """How telling a query group is: the idf of the passages holding any of its terms.

        A word and its synonyms are one concept, so they are weighed as one: "case" is as
        common as "lawsuit" is, once both mean the same thing.
        """
        held = [self.postings[t].passages for t in group.terms if t in self.postings]
        if not held:
            return self.unseen_weight
        df = len(_distinct(np.concatenate(held))) if len(held) > 1 else len(held[0])
        n = len(self.passages)
        return max(self.idf_floor, math.log(n - df + 0.5) - math.log(df + 0.5))

    def score(self, groups: Sequence[QueryGroup]) -> np.ndarray:
        """BM25 score of every passage; each group counts once, by its best-matching term.

        Every shortcut below gives the same float32 values, bit for bit, as adding each
        group's best term in turn (a test checks it): a BM25 contribution is positive, so
        max(0, x) is x and x + 0 is x.
        """
        n = len(self.passages)
        total = np.zeros(n, dtype=np.float32)
        # One scratch array for every group's best term, cleared where it was written:
        # allocating and adding a corpus-sized array per group cost more than the scoring.
        best: np.ndarray | None = None
        for group in groups:
            held = [(p, w) for p, w in ((self.postings.get(t), w) for t, w in group.terms.items()) if p is not None]
            if len(held) == 1:
                posting, weight = held[0]
                # The asked word itself weighs 1: no product to allocate (x * 1.0 is x).
                # add.at adds in one pass where `total[ids] += …` gathers, adds and scatters
                # (the same sums: a posting's ids are distinct).
                np.add.at(total, posting.passages, posting.scores if weight == 1.0 else posting.scores * weight)
                continue
            if not held:
                continue
            if best is None:
                best = np.zeros(n, dtype=np.float32)
            for number, (posting, weight) in enumerate(held):
                ids, scores = posting.passages, posting.scores
                scores = scores if weight == 1.0 else scores * weight
                # The group's first term meets zeros only: its scores are the maximum.
                if number == 0:
                    best[ids] = scores
                else:
                    np.maximum.at(best, ids, scores)
            touched = sum(len(posting.passages) for posting, _ in held)
            if touched * _DENSE_SHARE > n:
                # Much of the corpus touched: a pass over whole arrays beats indexing them.
                total += best  # untouched passages add 0
                best.fill(0.0)
            else:
                ids = np.concatenate([posting.passages for posting, _ in held])
                total[ids] += best[ids]  # a repeated id is written once, not summed
                best[ids] = 0.0
        return total

    def search(self, groups: Sequence[QueryGroup], *, limit: int = 10) -> list[tuple[Passage, float]]:
        """The best passages for query groups, best first, with their scores (> 0 only)."""
        if not self.passages or not groups:
            return []
        # Negated in place (the scores are this call's own): the selection below is made on
        # the same values as ever, so ties are broken as ever, without a copy of the corpus.
        negated = self.score(groups)
        np.negative(negated, out=negated)
        limit = min(limit, len(negated))
        top = np.argpartition(negated, limit - 1)[:limit]
        top = top[np.argsort(negated[top], kind="stable")]
        return [(self.passages[i], -float(negated[i])) for i in top if negated[i] < 0]


# A multi-term group's scratch is added whole once its postings hold more than a sixteenth
# of the corpus: the indexed way makes four random-access passes over the group's ids (a
# few ns each), the whole way two sequential passes over the corpus (well under one ns).
_DENSE_SHARE = 16


class _Okapi(BM25Okapi):
    """rank-bm25's Okapi BM25 (its idf and epsilon floor) over statistics counted in numpy.

    rank-bm25 counts each passage's terms in a Python dict, one step per word of the corpus:
    at 100,000 passages that was a third of the build. The counts are the same whoever makes
    them, so `build_index` makes them with numpy and hands them over here in place of the
    tokenized corpus; rank-bm25 still computes every statistic from them, and a test checks
    the scores against a BM25Okapi built the ordinary way.
    """

    def _initialize(self, corpus: Any) -> dict[str, int]:
        # `corpus` is (document lengths, term -> number of passages holding it).
        lengths, document_frequency = corpus
        self.doc_len = lengths
        self.corpus_size = len(lengths)
        self.avgdl = float(np.sum(lengths)) / self.corpus_size
        return document_frequency


def _distinct(ids: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array, as np.unique gives them: np.unique's
    first call imports numpy.ma (~12 ms of a one-shot `casebot ask`)."""
    ids = np.sort(ids)
    return ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if len(ids) else ids


def build_index(corpus: Corpus) -> Index:
    """Builds the index for a corpus (CPU-bound: call it off the event loop)."""
    passages = corpus.passages
    bootstrap = Analyzer()
    acronyms = learn_acronyms((p.text for p in passages), bootstrap)
    analyzer = Analyzer(acronyms)
    tokens_of = [analyzer.tokens(passage.text) for passage in passages]
    # Counted once over the whole corpus (one C loop), in order of first appearance.
    words = Counter(chain.from_iterable(tokens_of))
    # Each distinct token's row in the term table (-1 for a stop word): the per-word work
    # below is then one dict lookup in C, and the rest is numpy over flat arrays.
    rows: dict[str, int] = {}
    row_of_token = {
        token: -1 if token in STOP_WORDS else rows.setdefault(analyzer.term(token), len(rows))
        for token in words
    }
    starts = np.zeros(1, dtype=np.int64)
    posting_passages = np.zeros(0, dtype=np.int32)
    posting_scores = np.zeros(0, dtype=np.float32)
    row_idf = np.zeros(0, dtype=np.float64)
    idf_floor = 0.0
    if passages:
        count = len(passages)
        token_rows = np.fromiter(
            map(row_of_token.__getitem__, chain.from_iterable(tokens_of)),
            dtype=np.int64,
            count=sum(words.values()),
        )
        token_passages = np.repeat(np.arange(count, dtype=np.int64), [len(t) for t in tokens_of])
        kept = token_rows >= 0
        token_rows, token_passages = token_rows[kept], token_passages[kept]
        # One (row, passage) pair per distinct term of each passage, sorted by row and then
        # passage (ascending within each term), with its term frequency.
        pairs, tf = np.unique(token_rows * count + token_passages, return_counts=True)
        posting_rows = pairs // count
        posting_passages = (pairs % count).astype(np.int32)
        counts = np.bincount(posting_rows, minlength=len(rows))
        starts = np.concatenate(([0], np.cumsum(counts)))
        lengths = np.bincount(token_passages, minlength=count)
        # rank-bm25 sums the idf in this dict's order (first appearance): kept so, its
        # average and so the floor are the same to the last bit.
        statistics = dict(zip(rows, counts.tolist(), strict=True))
        # rank-bm25 divides by zero on an empty passage: such a passage counts as one
        # word "" (a term with no postings), as if it were given [""].
        empty = int(np.count_nonzero(lengths == 0))
        if empty:
            lengths = np.where(lengths == 0, 1, lengths)
            statistics[""] = empty
        bm25 = _Okapi((lengths, statistics), k1=K1, b=B)
        idf_floor = max(bm25.epsilon * bm25.average_idf, MIN_IDF)
        norm = (K1 * (1 - B + B * lengths / bm25.avgdl)).astype(np.float32)
        row_idf = np.fromiter((bm25.idf[term] for term in rows), dtype=np.float64, count=len(rows))
        row_idf = np.maximum(row_idf, MIN_IDF)
        term_idf = row_idf.astype(np.float32)[posting_rows]
        tf_array = tf.astype(np.float32)
        posting_scores = (
            term_idf * tf_array * np.float32(K1 + 1) / (tf_array + norm[posting_passages])
        ).astype(np.float32)
    # The rows above are in order of first appearance; the table keeps them by name.
    terms, rank = Terms.of(rows)
    starts, posting_passages, posting_scores = _reordered(rank, starts, posting_passages, posting_scores)
    by_row = np.empty_like(rank)
    by_row[rank] = np.arange(len(rank), dtype=np.int32)  # new row -> old row
    word_terms, word_rank = Terms.of(words)
    word_counts = np.empty(len(words), dtype=np.int64)
    word_counts[word_rank] = np.fromiter(words.values(), dtype=np.int64, count=len(words))
    return assemble(
        corpus=corpus,
        acronyms=acronyms,
        postings=PostingTable(terms, starts, posting_passages, posting_scores),
        idf=row_idf[by_row],
        idf_floor=idf_floor,
        developments=find_developments(passages, words=tokens_of),
        words=TermValues.of(word_terms, word_counts, "i"),
    )


def _reordered(
    rank: np.ndarray, starts: np.ndarray, passages: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compressed sparse rows with row `r` moved to row `rank[r]`, each row's contents kept
    as they were (so passages stay ascending within it)."""
    old_of_new = np.empty_like(rank)
    old_of_new[rank] = np.arange(len(rank), dtype=rank.dtype)
    lengths = np.diff(starts)[old_of_new]
    # Row starts in 32 bits (half the memory per term and case) unless the postings need more.
    wide = starts[-1] > np.iinfo(np.int32).max
    new_starts = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64 if wide else np.int32)
    # Where each new position reads from: its old row's start, plus its place in the row.
    source = np.repeat(starts[old_of_new] - new_starts[:-1], lengths) + np.arange(new_starts[-1])
    return new_starts, passages[source], scores[source]


def assemble(
    *,
    corpus: Corpus,
    acronyms: Mapping[str, tuple[str, ...]],
    postings: PostingTable,
    idf: np.ndarray,
    idf_floor: float,
    developments: tuple[Development, ...],
    words: TermValues[int],
) -> Index:
    """An Index from its built parts: by build_index, and by the serving process from the
    parts a builder process hands over (retrieval/handover.py).

    Args:
        idf: by row of `postings.terms`.
    """
    terms = postings.terms
    return Index(
        corpus=corpus,
        analyzer=Analyzer(acronyms),
        passages=corpus.passages,
        sources={a.source.id: a.source for a in corpus.articles},
        postings=postings,
        idf=TermValues.of(terms, idf, "d"),
        max_idf=float(idf.max()) if len(idf) else 1.0,
        idf_floor=idf_floor,
        developments=developments,
        words=words,
    )
