"""Handing a built index from a builder process to the serving process, in small pieces.

A reload of a large corpus is built in a child process (`python -m bot.builder`, which
writes these frames), so the build's CPU time and its hold on the GIL stay out of the
process that answers questions: a build in a thread of that process made every
answer meanwhile wait its turn for the GIL, a few milliseconds at a time, and 10,000
passages' build slowed answers from ~2 ms to ~200 ms. The child writes the index to stdout
as a stream of frames; the parent feeds them to `Assembler` as they arrive, between other
work on its event loop. Each frame is small (one article, or a slice of the term table), so
none holds the loop for more than a millisecond or two, where one pickle of the whole index
would hold it for ~70 ms per 10,000 passages.

A frame is an 8-byte big-endian length, then a pickle of (kind, payload). The stream is
"head", every "article", "terms" slices, "postings", "words" slices, "word counts",
"developments" slices, "end"; or a single "problems" (the corpus is invalid) or "failed"
(the build raised). One child may write several such streams in turn, one per corpus it
is asked for.

This module is the whole protocol: the child writes with `write_index`, `write_problems`
or `write_failure`, and the parent reads with `read_index`. Starting, stopping and timing
the child is `bot.builder`'s business.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from retrieval.corpus import CorpusError, Problem
from retrieval.case.developments import Development
from retrieval.errors import CasebotError
from retrieval.index import Index, PostingTable, assemble
from retrieval.terms import Terms, TermValues
from retrieval.model import Article, Corpus, Passage

HEADER = struct.Struct(">Q")
# Terms and developments per frame: each frame then takes a millisecond or two to read in.
TERMS_PER_FRAME = 10_000
DEVELOPMENTS_PER_FRAME = 1_000

Frame = tuple[str, Any]


class HandoverError(CasebotError, RuntimeError):
    """The stream of frames broke off or made no sense."""


class StreamEnded(HandoverError):
    """The stream ended before its "end" frame (the writer stopped or died)."""


def frames(index: Index) -> Iterator[Frame]:
    """The frames that carry `index`, in order."""
    corpus = index.corpus
    yield "head", {
        "loaded_at": corpus.loaded_at,
        "directory": corpus.directory,
        "acronyms": index.analyzer.acronyms,
        "idf_floor": index.idf_floor,
    }
    for article in corpus.articles:
        yield "article", article
    # Terms go as strings, which the serving process interns into the strings all its
    # snapshots share (retrieval.terms); the tables by row go as arrays.
    table = index.postings
    names = table.terms.names
    for start in range(0, len(names), TERMS_PER_FRAME):
        yield "terms", names[start : start + TERMS_PER_FRAME]
    yield "postings", {
        "order": table.terms.order,
        "starts": table.starts,
        "passages": table.passages,
        "scores": table.scores,
        "idf": index.idf.array(),
    }
    words = index.words
    names = words.terms.names
    for start in range(0, len(names), TERMS_PER_FRAME):
        yield "words", names[start : start + TERMS_PER_FRAME]
    yield "word counts", {"order": words.terms.order, "counts": words.array()}
    developments = [(d.passage.id, d.sentence, d.step) for d in index.developments]
    for start in range(0, len(developments), DEVELOPMENTS_PER_FRAME):
        yield "developments", developments[start : start + DEVELOPMENTS_PER_FRAME]
    yield "end", None


class Assembler:
    """Builds the `Index` back from its frames, one `add` at a time."""

    def __init__(self) -> None:
        self._head: dict[str, Any] | None = None
        self._articles: list[Article] = []
        self._terms: list[str] = []
        self._postings: dict[str, np.ndarray] | None = None
        self._passages: tuple[Passage, ...] | None = None
        self._developments: list[Development] = []
        self._words: list[str] = []
        self._word_counts: dict[str, np.ndarray] | None = None
        self.done = False

    def add(self, kind: str, payload: Any) -> None:
        """Take one frame.

        Raises:
            CorpusError: the frame says the corpus is invalid.
            HandoverError: the frame says the build failed, or is out of place.
        """
        if self.done:
            raise HandoverError(f"a {kind!r} frame after the end")
        if kind == "problems":
            raise CorpusError([Problem(file, message) for file, message in payload])
        if kind == "failed":
            raise HandoverError(f"the index build failed: {payload}")
        if kind != "head" and self._head is None:
            raise HandoverError(f"a {kind!r} frame before the head")
        match kind:
            case "head":
                self._head = payload
            case "article":
                self._articles.append(payload)
            case "terms":
                # Into the strings every snapshot of this process shares (retrieval.terms).
                self._terms.extend(map(sys.intern, payload))
            case "postings":
                self._postings = payload
            case "words":
                self._words.extend(map(sys.intern, payload))
            case "word counts":
                self._word_counts = payload
            case "developments":
                passages = self._all_passages()
                self._developments.extend(
                    Development(passages[passage], sentence, step)
                    for passage, sentence, step in payload
                )
            case "end":
                self.done = True
            case _:
                raise HandoverError(f"an unknown {kind!r} frame")

    def index(self) -> Index:
        """The index, once the "end" frame has come."""
        if not self.done or self._head is None or self._postings is None or self._word_counts is None:
            raise HandoverError("the stream ended before the whole index came")
        head = self._head
        corpus = Corpus(
            articles=tuple(self._articles),
            loaded_at=head["loaded_at"],
            directory=head["directory"],
        )
        tables, words = self._postings, self._word_counts
        terms = Terms(self._terms, tables["order"])
        if not len(terms) == len(tables["idf"]) == len(tables["starts"]) - 1:
            raise HandoverError("the term frames do not match the postings")
        word_terms = Terms(self._words, words["order"])
        if len(word_terms) != len(words["counts"]):
            raise HandoverError("the word frames do not match their counts")
        return assemble(
            corpus=corpus,
            acronyms=head["acronyms"],
            postings=PostingTable(terms, tables["starts"], tables["passages"], tables["scores"]),
            idf=tables["idf"],
            idf_floor=head["idf_floor"],
            developments=tuple(self._developments),
            words=TermValues.of(word_terms, words["counts"], "i"),
        )

    def _all_passages(self) -> tuple[Passage, ...]:
        if self._passages is None:
            self._passages = tuple(p for a in self._articles for p in a.passages)
        return self._passages


def write_frame(out: BinaryIO, kind: str, payload: Any) -> None:
    """Write one frame: its length, then the pickle of (kind, payload)."""
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(data)))
    out.write(data)


def write_index(out: BinaryIO, index: Index) -> None:
    """Write `index` as its frames, "head" to "end"."""
    for kind, payload in frames(index):
        write_frame(out, kind, payload)


def write_problems(out: BinaryIO, error: CorpusError) -> None:
    """Write the one frame that says the corpus is invalid, with every problem."""
    write_frame(out, "problems", [(problem.file, problem.message) for problem in error.problems])


def write_failure(out: BinaryIO, message: str) -> None:
    """Write the one frame that says the build failed, and why."""
    write_frame(out, "failed", message)


def read_frame(data: bytes) -> Frame:
    """A frame's (kind, payload) from its bytes after the length header.

    Only ever given what our own child process wrote: pickle trusts its input.
    """
    kind, payload = pickle.loads(data)
    return kind, payload


async def read_index(stream: asyncio.StreamReader) -> Index:
    """The index written to `stream` by `write_index`, read and assembled frame by frame.

    Frames are added as they arrive, so other work on the event loop runs in between (no
    frame takes more than a millisecond or two to add: see above).

    Raises:
        CorpusError: the stream says the corpus is invalid (`write_problems`).
        StreamEnded: the stream ended before the "end" frame.
        HandoverError: the stream says the build failed, or its frames make no sense.
    """
    assembler = Assembler()
    while not assembler.done:
        try:
            header = await stream.readexactly(HEADER.size)
            data = await stream.readexactly(HEADER.unpack(header)[0])
        except asyncio.IncompleteReadError:
            raise StreamEnded("the stream ended before the whole index came") from None
        assembler.add(*read_frame(data))
    return assembler.index()
