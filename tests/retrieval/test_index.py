"""The BM25 index: hand-checked scores on a tiny corpus, agreement with rank-bm25, ranking."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.language.analyzer import QueryGroup
from retrieval.corpus import load_corpus
import retrieval.index as index_module
from retrieval.index import build_index
from retrieval.model import Article, Corpus, Passage, Source


def corpus_of(*texts: str) -> Corpus:
    source = Source(id="tiny", title="Tiny")
    passages = tuple(
        Passage(id=i, source_id="tiny", position=i, text=t, date=None, sentences=((0, len(t)),))
        for i, t in enumerate(texts)
    )
    return Corpus(
        articles=(Article(source=source, passages=passages, fingerprint="x"),),
        loaded_at=datetime.now(UTC),
        directory="tiny",
    )


@pytest.fixture
def tiny():
    return build_index(corpus_of("apple banana", "apple apple cherry", "cherry date fig"))


def test_rare_term_score_matches_the_hand_computed_okapi_value(tiny):
    # idf(banana) = ln((3 - 1 + 0.5) / (1 + 0.5)); avgdl = 8/3; |d0| = 2; tf = 1
    idf = math.log(2.5 / 1.5)
    expected = idf * 1 * 2.5 / (1 + 1.5 * (1 - 0.75 + 0.75 * 2 / (8 / 3)))
    scores = tiny.score(tiny.analyzer.query("banana"))
    assert scores[0] == pytest.approx(expected, rel=1e-5) == pytest.approx(0.575580, rel=1e-5)
    assert scores[1] == scores[2] == 0


def test_common_term_gets_the_epsilon_idf_floor(tiny):
    # apple is in 2 of 3 passages: negative Okapi idf, floored at 0.25 * mean idf
    mean_idf = (3 * math.log(2.5 / 1.5) - 2 * math.log(2.5 / 1.5)) / 5
    assert tiny.idf["appl"] == pytest.approx(0.25 * mean_idf, rel=1e-6)


def test_scores_equal_rank_bm25_on_the_seed_corpus(seed_corpus_dir):
    index = build_index(load_corpus(seed_corpus_dir))
    reference = BM25Okapi([index.analyzer.terms(p.text) or [""] for p in index.passages])
    for question in ["stored communications act damages", "InMail private messages", "withdrawn"]:
        terms = index.analyzer.terms(question)
        groups = [type(g)(word=g.word, terms={max(g.terms, key=g.terms.get): 1.0}) for g in index.analyzer.query(question)]
        np.testing.assert_allclose(index.score(groups), reference.get_scores(terms), rtol=1e-5)


def test_statistics_equal_rank_bm25_built_the_ordinary_way():
    # The build counts terms with numpy and hands rank-bm25 the counts (index._Okapi): every
    # idf, the floor and each term's postings must be what BM25Okapi gives from the tokens,
    # with an all-stop-word passage (rank-bm25 needs [""] for it) and repeated words.
    index = build_index(corpus_of(
        "apple apple banana", "the and of", "banana cherry cherry cherry", "apple fig", "fig",
    ))  # fmt: skip
    tokenized = [index.analyzer.terms(p.text) or [""] for p in index.passages]
    reference = BM25Okapi(tokenized)
    assert index.idf_floor == pytest.approx(max(reference.epsilon * reference.average_idf, 0.01))
    assert set(index.idf) == set(reference.idf) - {""}
    for term in index.postings:
        assert index.idf[term] == pytest.approx(max(reference.idf[term], 0.01))
        holding = [n for n, terms in enumerate(tokenized) if term in terms]
        assert index.postings[term].passages.tolist() == holding
        assert index.document_frequency[term] == len(holding)
        expected = reference.get_scores([term])[holding]
        np.testing.assert_allclose(index.postings[term].scores, expected, rtol=1e-5)


def test_search_ranks_the_passage_with_more_matches_first(tiny):
    ranked = tiny.search(tiny.analyzer.query("cherry fig"), limit=3)
    assert [p.id for p, _ in ranked] == [2, 1]


def test_search_returns_nothing_for_unknown_words(tiny):
    assert tiny.search(tiny.analyzer.query("zebra"), limit=3) == []


def test_synonym_group_counts_once_by_its_best_term():
    index = build_index(corpus_of("the lawsuit and the suit", "nothing here at all"))
    (group,) = index.analyzer.query("lawsuit")
    both = index.score([group])[0]
    only_main = index.score([type(group)(word="lawsuit", terms={"lawsuit": 1.0})])[0]
    assert both == pytest.approx(only_main)


def test_empty_corpus_builds_and_finds_nothing():
    index = build_index(Corpus(articles=(), loaded_at=datetime.now(UTC), directory="none"))
    assert len(index) == 0
    assert index.search(index.analyzer.query("anything"), limit=3) == []


def _score_term_by_term(index, groups):  # type: ignore[no-untyped-def]
    """The scoring as first written, one fancy-indexed step per term: the reference that
    the index's shortcuts must match bit for bit."""
    total = np.zeros(len(index.passages), dtype=np.float32)
    best = np.zeros(len(index.passages), dtype=np.float32)
    for group in groups:
        held = [(index.postings[t], w) for t, w in group.terms.items() if t in index.postings]
        for posting, weight in held:
            ids = posting.passages
            best[ids] = np.maximum(best[ids], posting.scores * weight)
        if held:
            touched = np.concatenate([posting.passages for posting, _ in held])
            total[touched] += best[touched]
            best[touched] = 0.0
    return total


def _search_by_reference(index, groups, limit):  # type: ignore[no-untyped-def]
    scores = _score_term_by_term(index, groups)
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(index.passages[i], float(scores[i])) for i in top if scores[i] > 0]


@pytest.mark.parametrize("dense_share", [0, index_module._DENSE_SHARE, 10**9])
def test_scores_and_rankings_are_those_of_term_by_term_scoring_ties_included(
    seed_corpus_dir, monkeypatch, dense_share
):
    # Every passage twice (syndicated copies score alike, so the ranking has ties), groups
    # of one and of several weighted terms; a several-term group's scratch added by index
    # (0), as shipped, and whole (10**9).
    monkeypatch.setattr(index_module, "_DENSE_SHARE", dense_share)
    seed = load_corpus(seed_corpus_dir)
    texts = [p.text for p in seed.passages] * 2 + ["lawsuit suit complaint"] * 40
    index = build_index(corpus_of(*texts))
    questions = [
        "Who is suing LinkedIn?", "What is the UCL?", "lawsuit filed complaint case",
        "How much are plaintiffs asking per user?", "private InMail messages AI training",
        "withdrawn dismissed", "zzzz",
    ]  # fmt: skip
    weighted = [QueryGroup("mix", {"lawsuit": 1.0, "suit": 0.6, "complaint": 0.3}),
                QueryGroup("linkedin", {"linkedin": 1.0}), QueryGroup("ai", {"ai": 0.5})]  # fmt: skip
    for groups in [index.analyzer.query(q) for q in questions] + [weighted]:
        assert np.array_equal(index.score(groups), _score_term_by_term(index, groups))
        for limit in (1, 5, 20, len(texts)):
            assert index.search(groups, limit=limit) == _search_by_reference(index, groups, limit)
