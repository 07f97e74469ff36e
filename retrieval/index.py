"""The BM25 index over a corpus's passages: built once per load, read-only afterwards.

rank-bm25 fits the statistics (Okapi idf with its epsilon floor, document lengths, average
length). Scoring then runs over per-term postings with precomputed BM25 contributions, so a
question costs time in proportion to the passages that hold its words rather than to the
whole corpus (rank-bm25's own `get_scores` walks every passage for every term). A test
checks that both give the same scores.

The postings of all terms live in three flat arrays (`PostingTable`), not in an object per
term. That keeps a snapshot almost invisible to Python's cyclic garbage collector: a full
collection walks every tracked object while holding the GIL, so an index of tens of
thousands of per-term objects made each one a stall of the event loop, during a reload
most of all (then two indexes are alive).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from functools import cached_property

import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.analyzer import Analyzer, QueryGroup, learn_acronyms
from retrieval.developments import Development, find_developments, latest
from retrieval.model import Corpus, Passage, Source
from retrieval.spelling import Speller
from retrieval.vocabulary import STOP_WORDS

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


class PostingTable(Mapping[str, Postings]):
    """Every term's postings, stored as compressed sparse rows: term -> `Postings`.

    Row `r` (a term's number in `rows`) is `passages[starts[r]:starts[r + 1]]`, with the
    matching `scores`. `rows` maps str to int, a dict the garbage collector does not track,
    and `Postings` are made on lookup as views of the arrays, so the table costs a full
    collection nothing whatever the corpus size. Treat every attribute as read-only.

    Attributes:
        rows: term -> row number, in row order.
        starts: where each row starts in the flat arrays, plus the total at the end.
        passages: passage ids, ascending within each row (int32).
        scores: the BM25 contribution of the row's term in each passage (float32).
    """

    __slots__ = ("rows", "starts", "passages", "scores")

    def __init__(
        self, rows: dict[str, int], starts: np.ndarray, passages: np.ndarray, scores: np.ndarray
    ) -> None:
        self.rows = rows
        self.starts = starts
        self.passages = passages
        self.scores = scores

    def __getitem__(self, term: str) -> Postings:
        row = self.rows[term]
        start, end = self.starts[row], self.starts[row + 1]
        return Postings(self.passages[start:end], self.scores[start:end])

    def __contains__(self, term: object) -> bool:
        return term in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(slots=True)
class SnapshotCache:
    """Values derived from one index snapshot on first use, owned by that snapshot: a reload
    builds a new index and so starts a new cache. Filled from worker threads and the event
    loop alike; each entry is a pure function of the snapshot, so a race only computes one
    twice.

    Attributes:
        sentences: passage id -> its analysed sentences (retrieval.claims.Sentence).
        group_weights: a query group's terms -> its idf as one concept.
        candidates: a sentence (passage id, start, limit) -> other sources' sentences that
            may tell the same claim (retrieval.claims.candidates).
        timeline: the timeline answer (retrieval.timeline), once computed.
        source_names: the names questions may call the sources by (retrieval.question).
    """

    sentences: dict[int, list[Any]] = field(default_factory=dict)
    group_weights: dict[tuple[str, ...], float] = field(default_factory=dict)
    candidates: dict[tuple[int, int, int], list[Any]] = field(default_factory=dict)
    timeline: Any = None
    # (a name as folded words -> source ids, the most words in a name)
    source_names: tuple[dict[str, tuple[str, ...]], int] | None = None


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
    document_frequency: dict[str, int]
    idf: dict[str, float]
    max_idf: float
    idf_floor: float  # rank-bm25's epsilon floor for terms in over half the passages
    developments: tuple[Development, ...]  # the case's procedural steps, for status
    words: Mapping[str, int]  # every surface word of the passages (folded), with its count
    cache: SnapshotCache = field(default_factory=lambda: SnapshotCache(), compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.passages)

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
        df = len(np.unique(np.concatenate(held))) if len(held) > 1 else len(held[0])
        n = len(self.passages)
        return max(self.idf_floor, math.log(n - df + 0.5) - math.log(df + 0.5))

    def score(self, groups: Sequence[QueryGroup]) -> np.ndarray:
        """BM25 score of every passage; each group counts once, by its best-matching term."""
        total = np.zeros(len(self.passages), dtype=np.float32)
        # One scratch array for every group's best term, cleared where it was written:
        # allocating and adding a corpus-sized array per group cost more than the scoring.
        best = np.zeros(len(self.passages), dtype=np.float32)
        for group in groups:
            held = [(p, w) for p, w in ((self.postings.get(t), w) for t, w in group.terms.items()) if p is not None]
            if len(held) == 1:
                posting, weight = held[0]
                total[posting.passages] += posting.scores * weight
                continue
            for posting, weight in held:
                ids = posting.passages
                best[ids] = np.maximum(best[ids], posting.scores * weight)
            if held:
                touched = np.concatenate([posting.passages for posting, _ in held])
                total[touched] += best[touched]  # a repeated id is written once, not summed
                best[touched] = 0.0
        return total

    def search(self, groups: Sequence[QueryGroup], *, limit: int = 10) -> list[tuple[Passage, float]]:
        """The best passages for query groups, best first, with their scores (> 0 only)."""
        if not self.passages or not groups:
            return []
        scores = self.score(groups)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.passages[i], float(scores[i])) for i in top if scores[i] > 0]


def build_index(corpus: Corpus) -> Index:
    """Builds the index for a corpus (CPU-bound: call it off the event loop)."""
    passages = corpus.passages
    bootstrap = Analyzer()
    acronyms = learn_acronyms((p.text for p in passages), bootstrap)
    analyzer = Analyzer(acronyms)
    words: Counter[str] = Counter()
    tokenized = []
    token_sets = []
    # token -> its index term ("" for a stop word), looked up rather than computed: this
    # loop runs once per word of the corpus.
    term_of: dict[str, str] = {}
    for passage in passages:
        tokens = analyzer.tokens(passage.text)
        words.update(tokens)
        terms = []
        for token in tokens:
            term = term_of.get(token)
            if term is None:
                term = term_of[token] = "" if token in STOP_WORDS else analyzer.term(token)
            if term:
                terms.append(term)
        tokenized.append(terms)
        token_sets.append(frozenset(tokens))

    rows: dict[str, int] = {}
    starts = np.zeros(1, dtype=np.int64)
    posting_passages = np.zeros(0, dtype=np.int32)
    posting_scores = np.zeros(0, dtype=np.float32)
    document_frequency: dict[str, int] = {}
    idf: dict[str, float] = {}
    idf_floor = 0.0
    if passages:
        # rank-bm25 divides by zero on an empty passage; "" stands in for its emptiness.
        bm25 = BM25Okapi([terms or [""] for terms in tokenized], k1=K1, b=B)
        idf_floor = max(bm25.epsilon * bm25.average_idf, MIN_IDF)
        lengths = np.asarray(bm25.doc_len, dtype=np.float32)
        norm = K1 * (1 - B + B * lengths / bm25.avgdl)
        # One (row, passage, tf) triple per distinct term of each passage, in flat arrays
        # of machine ints rather than a list per term: nothing here is a tracked object.
        term_rows, doc_ids, tfs = array("i"), array("i"), array("f")
        for doc_id, frequencies in enumerate(bm25.doc_freqs):
            if not tokenized[doc_id]:
                continue  # only the "" stand-in: no postings
            for term, tf in frequencies.items():
                term_rows.append(rows.setdefault(term, len(rows)))
                doc_ids.append(doc_id)
                tfs.append(tf)
        row_of = np.frombuffer(term_rows, dtype=np.int32)
        # Stable: passages stay ascending within each term, as they were appended.
        order = np.argsort(row_of, kind="stable")
        posting_passages = np.frombuffer(doc_ids, dtype=np.int32)[order]
        tf_array = np.frombuffer(tfs, dtype=np.float32)[order]
        counts = np.bincount(row_of, minlength=len(rows))
        starts = np.concatenate(([0], np.cumsum(counts)))
        row_idf = np.fromiter((bm25.idf[term] for term in rows), dtype=np.float64, count=len(rows))
        row_idf = np.maximum(row_idf, MIN_IDF)
        term_idf = row_idf.astype(np.float32)[row_of[order]]
        posting_scores = (
            term_idf * tf_array * np.float32(K1 + 1) / (tf_array + norm[posting_passages])
        ).astype(np.float32)
        document_frequency = dict(zip(rows, counts.tolist(), strict=True))
        idf = dict(zip(rows, row_idf.tolist(), strict=True))
    return assemble(
        corpus=corpus,
        acronyms=acronyms,
        postings=PostingTable(rows, starts, posting_passages, posting_scores),
        document_frequency=document_frequency,
        idf=idf,
        idf_floor=idf_floor,
        developments=find_developments(passages, words=token_sets),
        words=dict(words),
    )


def assemble(
    *,
    corpus: Corpus,
    acronyms: Mapping[str, tuple[str, ...]],
    postings: PostingTable,
    document_frequency: dict[str, int],
    idf: dict[str, float],
    idf_floor: float,
    developments: tuple[Development, ...],
    words: Mapping[str, int],
) -> Index:
    """An Index from its built parts: by build_index, and by the serving process from the
    parts a builder process hands over (retrieval/handover.py)."""
    return Index(
        corpus=corpus,
        analyzer=Analyzer(acronyms),
        passages=corpus.passages,
        sources={a.source.id: a.source for a in corpus.articles},
        postings=postings,
        document_frequency=document_frequency,
        idf=idf,
        max_idf=max(idf.values(), default=1.0),
        idf_floor=idf_floor,
        developments=developments,
        words=words,
    )
