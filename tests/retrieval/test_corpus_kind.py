"""The `kind` field of the corpus format: "article" (the default) or "filing"."""

from __future__ import annotations

import pytest

from retrieval.corpus import CorpusError, load_corpus

BODY = "The complaint was filed in federal court in San Jose.\n"


def _corpus(make_corpus, kind_line: str):
    return make_corpus({"a.md": f'+++\ntitle = "Complaint"\n{kind_line}\n+++\n{BODY}'})


def test_a_filing_is_a_source_like_an_article(make_corpus) -> None:
    corpus = load_corpus(_corpus(make_corpus, 'kind = "filing"'))
    assert corpus.articles[0].source.kind == "filing"


def test_kind_defaults_to_article(make_corpus) -> None:
    assert load_corpus(_corpus(make_corpus, "")).articles[0].source.kind == "article"


@pytest.mark.parametrize(("line", "words"), [('kind = "blog"', "the text \"blog\""), ("kind = 1", "a number")])
def test_any_other_kind_is_rejected(make_corpus, line: str, words: str) -> None:
    with pytest.raises(CorpusError, match="field 'kind' must be one of 'article', 'filing'") as error:
        load_corpus(_corpus(make_corpus, line))
    assert words in str(error.value)
