"""A snapshot's terms and the values it keeps per term, in arrays rather than dicts.

A process serving many cases holds one index per case. With a dict per table (term -> row,
document frequency, idf; surface word -> count) and its own copy of every string, each term
cost ~300 bytes per case, and a word common to all the cases was paid for once per case:
fifty cases took 1.5x the memory of one case of the same passages. Here a snapshot keeps its
terms as one sorted tuple, found by binary search, and each table as an array in the same
order (~20-30 bytes per term and case). The strings themselves are interned (`sys.intern`),
so every snapshot of the process points at one copy of each word. CPython frees an interned
string with the last reference to it, so this shared vocabulary is only ever the union of
the snapshots alive: it needs no bookkeeping, survives reloads and handovers (the serving
process interns what a builder process sends), and one snapshot's table only ever lists its
own terms, so no case can find another's.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

import numpy as np

V = TypeVar("V", int, float)


class Terms:
    """A snapshot's distinct terms: sorted for lookup, iterated in corpus order.

    Attributes:
        names: the terms in code-point order, interned; a term's row is its place here.
        order: the rows in the order the terms first appear in the corpus (int32), which is
            the order every table iterates in, as the dicts it replaces did.
    """

    __slots__ = ("names", "order")

    def __init__(self, names: Sequence[str], order: np.ndarray) -> None:
        # `names` must be sorted and interned already (`of` does both; retrieval.handover
        # interns what it receives).
        self.names = tuple(names)
        self.order = order

    @classmethod
    def of(cls, first_seen: Iterable[str]) -> tuple[Terms, np.ndarray]:
        """The terms of a corpus, given once each in the order they first appear, and
        `rank`: each given term's row (so `rank[i]` is the row of the i-th term given)."""
        given = [sys.intern(term) for term in first_seen]
        by_name = sorted(range(len(given)), key=given.__getitem__)
        rank = np.empty(len(given), dtype=np.int32)
        rank[by_name] = np.arange(len(given), dtype=np.int32)
        return cls([given[i] for i in by_name], rank), rank

    def row(self, term: str) -> int:
        """The term's row, or -1 if no passage holds it."""
        names = self.names
        row = bisect_left(names, term)
        return row if row < len(names) and names[row] == term else -1

    def __iter__(self) -> Iterator[str]:
        return map(self.names.__getitem__, self.order.tolist())

    def __len__(self) -> int:
        return len(self.names)


K = TypeVar("K")


class ByTerm(Mapping[str, K]):
    """A read-only mapping from the terms of `terms` to one item per row: a subclass says
    how to read a row (`at`); lookup, membership, iteration and size are the terms'."""

    __slots__ = ("terms",)

    def __init__(self, terms: Terms) -> None:
        self.terms = terms

    @abstractmethod
    def at(self, row: int) -> K:
        """The item of one row (TermValues: a value; index.PostingTable: a posting list)."""

    def __getitem__(self, term: str) -> K:
        row = self.terms.row(term)
        if row < 0:
            raise KeyError(term)
        return self.at(row)

    def get(self, term: str, default=None):  # type: ignore[no-untyped-def,override]
        # Called per term of every sentence an answer weighs and every query term of a
        # search: one binary search, no exception.
        row = self.terms.row(term)
        return default if row < 0 else self.at(row)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.terms.row(term) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)


class TermValues(ByTerm[V]):
    """A read-only mapping term -> value, one value per row of `terms` in an array.

    `values` is an `array.array`: reading one item gives a plain Python int or float, as
    the dict this replaces did (numpy scalars would leak into arithmetic and JSON).
    """

    __slots__ = ("values_by_row",)

    def __init__(self, terms: Terms, values_by_row: array) -> None:
        super().__init__(terms)
        self.values_by_row = values_by_row

    @classmethod
    def of(cls, terms: Terms, values_by_row: np.ndarray, typecode: str) -> TermValues:
        """From a numpy array in row order, stored as an `array.array` of `typecode`."""
        return cls(terms, array(typecode, values_by_row.astype(np.dtype(typecode)).tobytes()))

    def at(self, row: int) -> V:
        return self.values_by_row[row]

    def values(self) -> list[V]:  # type: ignore[override]
        """The values in iteration order (a list: callers read them once, in bulk)."""
        return [self.values_by_row[row] for row in self.terms.order.tolist()]

    def items(self) -> list[tuple[str, V]]:  # type: ignore[override]
        """(term, value) in iteration order."""
        names, values = self.terms.names, self.values_by_row
        return [(names[row], values[row]) for row in self.terms.order.tolist()]

    def array(self) -> np.ndarray:
        """The values by row, as a numpy array over the same memory (read-only)."""
        out = np.frombuffer(self.values_by_row, dtype=np.dtype(self.values_by_row.typecode))
        out.flags.writeable = False
        return out
