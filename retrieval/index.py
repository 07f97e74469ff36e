"""The BM25 index over a corpus's passages: built once per load, read-only afterwards.

rank-bm25 fits the statistics (Okapi idf with its epsilon floor, document lengths, average
length). Scoring then runs over per-term postings with precomputed BM25 contributions, so a
question costs time in proportion to the passages that hold its words rather than to the
whole corpus (rank-bm25's own `get_scores` walks every passage for every term). A test
checks that both give the same scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import math

import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.analyzer import Analyzer, QueryGroup, learn_acronyms
from retrieval.developments import Development, find_developments
from retrieval.model import Corpus, Passage, Source

K1 = 1.5
B = 0.75


@dataclass(frozen=True, slots=True)
class Postings:
    passages: np.ndarray  # passage ids holding the term (int32, ascending)
    scores: np.ndarray  # the term's BM25 contribution in each of them (float32)


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
    postings: dict[str, Postings]
    document_frequency: dict[str, int]
    idf: dict[str, float]
    max_idf: float
    idf_floor: float  # rank-bm25's epsilon floor for terms in over half the passages
    developments: tuple[Development, ...]  # the case's procedural steps, for status
    # Values derived from this snapshot on first use (e.g. analysed sentences); a reload
    # starts a new index and so a new memo.
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.passages)

    def knows(self, term: str) -> bool:
        """Whether any passage holds the term."""
        return term in self.postings

    def term_weight(self, term: str) -> float:
        """How telling a term is: its idf, with unseen terms the most telling of all."""
        return self.idf.get(term, self.max_idf + 1.0)

    def group_weight(self, group: QueryGroup) -> float:
        """How telling a query group is: the idf of the passages holding any of its terms.

        A word and its synonyms are one concept, so they are weighed as one: "case" is as
        common as "lawsuit" is, once both mean the same thing.
        """
        held = [self.postings[t].passages for t in group.terms if t in self.postings]
        if not held:
            return self.max_idf + 1.0
        df = len(np.unique(np.concatenate(held))) if len(held) > 1 else len(held[0])
        n = len(self.passages)
        return max(self.idf_floor, math.log(n - df + 0.5) - math.log(df + 0.5))

    def score(self, groups: Sequence[QueryGroup]) -> np.ndarray:
        """BM25 score of every passage; each group counts once, by its best-matching term."""
        total = np.zeros(len(self.passages), dtype=np.float32)
        for group in groups:
            best = np.zeros(len(self.passages), dtype=np.float32)
            for term, weight in group.terms.items():
                posting = self.postings.get(term)
                if posting is None:
                    continue
                ids = posting.passages
                best[ids] = np.maximum(best[ids], posting.scores * weight)
            total += best
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
    tokenized = [analyzer.terms(p.text) for p in passages]

    postings: dict[str, Postings] = {}
    document_frequency: dict[str, int] = {}
    idf: dict[str, float] = {}
    idf_floor = 0.0
    if passages:
        # rank-bm25 divides by zero on an empty passage; "" stands in for its emptiness.
        bm25 = BM25Okapi([terms or [""] for terms in tokenized], k1=K1, b=B)
        idf_floor = bm25.epsilon * bm25.average_idf
        lengths = np.asarray(bm25.doc_len, dtype=np.float32)
        norm = K1 * (1 - B + B * lengths / bm25.avgdl)
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        for doc_id, terms in enumerate(tokenized):
            for term, tf in Counter(terms).items():
                ids, tfs = by_term.setdefault(term, ([], []))
                ids.append(doc_id)
                tfs.append(tf)
        for term, (ids, tfs) in by_term.items():
            id_array = np.asarray(ids, dtype=np.int32)
            tf_array = np.asarray(tfs, dtype=np.float32)
            term_idf = float(bm25.idf[term])
            contribution = term_idf * tf_array * (K1 + 1) / (tf_array + norm[id_array])
            postings[term] = Postings(id_array, contribution.astype(np.float32))
            document_frequency[term] = len(ids)
            idf[term] = term_idf
    return Index(
        corpus=corpus,
        analyzer=analyzer,
        passages=passages,
        sources={a.source.id: a.source for a in corpus.articles},
        postings=postings,
        document_frequency=document_frequency,
        idf=idf,
        max_idf=max(idf.values(), default=1.0),
        idf_floor=idf_floor,
        developments=find_developments(passages),
    )
