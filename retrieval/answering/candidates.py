"""Candidate sentences for a question: where an answer may be, before anything is scored.

The sentences of the best BM25 passages (BM25 favours short passages, so the best sentence
is often in a long one a little further down); every sentence of a source the question
names ("what did the register say"); the reports of a procedural step it asks about
("when was it filed"), whatever their words; and the latest step of the case, which
answers "where does it stand" without sharing a word with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.case import claims
from retrieval.language.embeddings import embedder
from retrieval.index import Index
from retrieval.answering.question import Question

# Passages whose sentences are candidates. Measured on the development cases: the top 20
# hold a sentence with an expected answer for 97 % of answerable questions.
PASSAGES = 20
# A named source's sentences are all candidates up to this many passages of it.
NAMED_SOURCE_PASSAGES = 40
# Reports of an asked step taken in, at most.
STEP_REPORTS = 15


@dataclass(frozen=True, slots=True)
class Candidate:
    sentence: claims.Sentence
    passage_score: float  # the passage's BM25 score over the best candidate passage's (0..1)
    passage_rank: int  # the passage's place in the BM25 order (0 = best; PASSAGES for added ones)
    latest_step: bool = False  # the sentence reporting the case's latest procedural step


def candidates(index: Index, q: Question) -> list[Candidate]:
    """The candidate sentences for a question, each once, best BM25 passages first."""
    known = [g for g in q.groups if any(index.knows(t) for t in g.terms)]
    found = index.search(known, limit=PASSAGES) if known else []
    best = found[0][1] if found else 1.0
    ranked = {passage.id: (score / best if best > 0 else 0.0, rank) for rank, (passage, score) in enumerate(found)}
    passages = [passage for passage, _ in found]
    seen = set(ranked)

    def add(passage) -> None:
        if passage.id not in seen:
            seen.add(passage.id)
            passages.append(passage)

    for source_id in q.named_sources:
        for passage in index.by_source.get(source_id, ())[:NAMED_SOURCE_PASSAGES]:
            add(passage)
    for name in q.steps:
        for development in index.developments_by_step.get(name, ())[:STEP_REPORTS]:
            add(development.passage)
    for passage in _of_the_kind(index, q):
        add(passage)
    latest = index.latest_development
    latest_key = None
    if latest is not None:
        add(latest.passage)
        sentence = claims.sentence_at(index, latest.passage, latest.sentence)
        latest_key = (sentence.passage.id, sentence.start)
    out = []
    for passage in passages:
        score, rank = ranked.get(passage.id, (0.0, PASSAGES))
        for sentence in claims.sentences_of(index, passage):
            out.append(Candidate(sentence, score, rank, (passage.id, sentence.start) == latest_key))
    return out


# A question that asks for a sum, a date or a count finds the passages that hold one, and
# takes those whose sentences are nearest in meaning (static embeddings) as candidates:
# "how much per person?" is answered by "$1,000 per user", which shares no word with it.
# Where more passages than KIND_SCAN hold one, only word matches are candidates.
KIND_SCAN = 300
KIND_SENTENCES = 4


def _of_the_kind(index: Index, q: Question) -> list:
    held = index.passages_with(q.answer_type) if q.answer_type in ("money", "date", "count") else ()
    if not len(held) or len(held) > KIND_SCAN:
        return []
    sentences = [s for pid in held for s in claims.sentences_of(index, index.passages[pid])]
    similarity = embeddings_of(index, sentences) @ embedder().embed([q.text])[0]
    best = np.argsort(-similarity, kind="stable")[:KIND_SENTENCES]
    return list(dict.fromkeys(sentences[i].passage for i in best))


def embeddings_of(index: Index, sentences: list) -> np.ndarray:
    """The unit embeddings of analysed sentences, each computed once per snapshot."""
    cache = index.cache.embeddings
    keys = [(s.passage.id, s.start) for s in sentences]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    if missing:
        for i, vector in zip(missing, embedder().embed([sentences[i].text for i in missing]), strict=True):
            cache[keys[i]] = vector
    return np.vstack([cache[key] for key in keys]) if keys else np.zeros((0, 1), dtype=np.float32)
