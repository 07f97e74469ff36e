"""A snapshot's terms in arrays (retrieval.terms): the same tables as dicts would be, in the
same order, with strings shared between snapshots and nothing of one snapshot in another."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from retrieval import handover
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from retrieval.model import Article, Corpus, Passage, Source
from retrieval.terms import Terms, TermValues


def corpus_of(*texts: str, name: str = "tiny") -> Corpus:
    source = Source(id=name, title=name.title())
    passages = tuple(
        Passage(id=i, source_id=name, position=i, text=t, date=None, sentences=((0, len(t)),))
        for i, t in enumerate(texts)
    )
    return Corpus(
        articles=(Article(source=source, passages=passages, fingerprint=name),),
        loaded_at=datetime.now(UTC),
        directory=name,
    )


def handed_over(index):  # type: ignore[no-untyped-def]
    """The index as the serving process gets it from a builder process: pickled frames."""
    assembler = handover.Assembler()
    for frame in handover.frames(index):
        assembler.add(*pickle.loads(pickle.dumps(frame)))
    return assembler.index()


def test_terms_are_found_by_name_and_iterate_in_the_order_given() -> None:
    given = ["pear", "apple", "zebra", "fig"]
    terms, rank = Terms.of(given)
    assert terms.names == ("apple", "fig", "pear", "zebra")
    assert [terms.names[r] for r in rank] == given
    assert list(terms) == given
    assert [terms.row(t) for t in ("apple", "zebra", "kiwi", "", "zzz")] == [0, 3, -1, -1, -1]


def test_term_values_behave_as_the_dict_they_replace() -> None:
    given = {"pear": 3, "apple": 1, "zebra": 7, "fig": 2}
    terms, rank = Terms.of(given)
    by_row = np.empty(len(given), dtype=np.int64)
    by_row[rank] = list(given.values())
    values = TermValues.of(terms, by_row, "q")
    assert dict(values) == given and values == given
    assert list(values) == list(given) and values.values() == list(given.values())
    assert values.items() == list(given.items())
    assert values["zebra"] == 7 and type(values["zebra"]) is int
    assert values.get("kiwi") is None and values.get("kiwi", 0) == 0 and "kiwi" not in values
    with pytest.raises(KeyError):
        values["kiwi"]
    assert values.array().tolist() == [1, 2, 3, 7] and not values.array().flags.writeable
    floats = TermValues.of(terms, by_row / 2, "d")
    assert type(floats["pear"]) is float and floats["pear"] == 1.5


def test_tables_equal_counts_made_the_plain_way(seed_corpus_dir) -> None:  # type: ignore[no-untyped-def]
    # What the index's dicts held before: term -> passages holding it, in order of first
    # appearance; surface word -> count, likewise.
    index = build_index(load_corpus(seed_corpus_dir))
    analyzer = index.analyzer
    held: dict[str, int] = {}
    words: Counter[str] = Counter()
    for passage in index.passages:
        words.update(analyzer.tokens(passage.text))
        for term in dict.fromkeys(analyzer.terms(passage.text)):
            held[term] = held.get(term, 0) + 1
    assert list(index.document_frequency.items()) == list(held.items())
    assert list(index.postings) == list(index.idf) == list(held)
    assert list(index.words.items()) == list(words.items())
    for term, count in held.items():
        assert len(index.postings[term].passages) == count
    assert index.max_idf == max(index.idf.values())


def test_snapshots_share_strings_but_never_each_others_terms() -> None:
    apples = build_index(corpus_of("apples and bananas grow here", name="apples"))
    cherries = handed_over(build_index(corpus_of("apples and cherries grow there", name="cherries")))
    a, c = apples.postings.terms.names, cherries.postings.terms.names
    shared = set(a) & set(c)
    assert shared == {"appl", "grow"}
    for term in shared:  # one string for both snapshots, the handed-over one included
        assert a[a.index(term)] is c[c.index(term)]
    assert "cherri" in cherries.postings and "cherri" not in apples.postings
    assert apples.search(apples.analyzer.query("cherries"), limit=5) == []
    assert [p.text for p, _ in cherries.search(cherries.analyzer.query("cherries"), limit=5)] == [
        "apples and cherries grow there"
    ]
    assert apples.words.get("cherries") is None and cherries.words["cherries"] == 1


def test_a_handed_over_index_has_the_same_tables(seed_corpus_dir) -> None:  # type: ignore[no-untyped-def]
    index = build_index(load_corpus(seed_corpus_dir))
    moved = handed_over(index)
    assert moved.postings.terms.names == index.postings.terms.names
    assert list(moved.idf.items()) == list(index.idf.items())
    assert list(moved.words.items()) == list(index.words.items())
    question = index.analyzer.query("private InMail messages used to train AI")
    np.testing.assert_array_equal(moved.score(question), index.score(question))


def test_an_empty_corpus_has_empty_tables() -> None:
    index = build_index(corpus_of())
    assert len(index.postings) == len(index.idf) == len(index.words) == 0
    assert index.search(index.analyzer.query("anything"), limit=3) == []
    assert len(handed_over(index).postings) == 0
