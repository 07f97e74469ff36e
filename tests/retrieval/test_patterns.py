"""Regular expressions compiled on first use match exactly what re.compile would."""

from __future__ import annotations

import re

from retrieval.language import vocabulary as vocab
from retrieval.language.patterns import LazyPattern, lazy


def test_a_lazy_pattern_compiles_on_first_use_and_matches_as_compiled():
    source, flags = r"\b(?:settled|dismissed)\b", re.I
    pattern = lazy(source, flags)
    assert pattern._compiled is None  # nothing compiled on creation
    compiled = re.compile(source, flags)
    text = "The case was Settled, then dismissed; unsettled."
    assert pattern.search(text).span() == compiled.search(text).span()
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert pattern.fullmatch("DISMISSED") and not pattern.fullmatch("dismissal")
    assert pattern.search(text, 20).span() == compiled.search(text, 20).span()
    assert (pattern.pattern, pattern.flags) == (compiled.pattern, compiled.flags)
    assert pattern._compiled is compiled  # re's own cache: the very same object


def test_the_vocabularys_patterns_are_lazy_and_still_match():
    assert isinstance(vocab.CURRENCY, LazyPattern)
    assert vocab.CURRENCY.search("They seek $1,000 per user")
    assert vocab.is_lawsuit_word("settled") and vocab.is_lawsuit_word("class-action")
    assert not vocab.is_lawsuit_word("bread")
