"""The frame protocol end to end: what `write_*` puts on a stream, `read_index` reads back."""

from __future__ import annotations

import asyncio
import io

import pytest

from retrieval.answering import ask
from retrieval.corpus import CorpusError, Problem, load_corpus
from retrieval.handover import (
    HandoverError,
    StreamEnded,
    read_index,
    write_failure,
    write_frame,
    write_index,
    write_problems,
)
from retrieval.index import Index, build_index


def _stream(data: bytes) -> asyncio.StreamReader:
    """A reader that has received `data`, then the end of the stream."""
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    return stream


def _written(index: Index) -> bytes:
    out = io.BytesIO()
    write_index(out, index)
    return out.getvalue()


@pytest.fixture(scope="module")
def seed_index() -> Index:
    from tests.support.corpora import SEED_CORPUS_DIR

    return build_index(load_corpus(SEED_CORPUS_DIR))


async def test_read_index_reads_back_what_write_index_wrote(seed_index: Index) -> None:
    rebuilt = await read_index(_stream(_written(seed_index)))
    assert rebuilt.passages == seed_index.passages
    assert rebuilt.corpus.loaded_at == seed_index.corpus.loaded_at
    question = "How much are plaintiffs asking per user?"
    assert ask(rebuilt, question) == ask(seed_index, question)


@pytest.mark.parametrize("cut", ["nothing", "in a header", "in a payload", "before the end"])
async def test_a_truncated_stream_is_a_handover_error(seed_index: Index, cut: str) -> None:
    data = _written(seed_index)
    end = io.BytesIO()
    write_frame(end, "end", None)
    keep = {
        "nothing": 0,
        "in a header": 3,
        "in a payload": len(data) // 2,
        "before the end": len(data) - len(end.getvalue()),
    }[cut]
    with pytest.raises(StreamEnded) as raised:
        await read_index(_stream(data[:keep]))
    assert isinstance(raised.value, HandoverError)


async def test_a_stream_of_problems_is_the_corpus_error() -> None:
    out = io.BytesIO()
    problems = [Problem("bad.md", "is empty"), Problem("worse.md", "has no front matter")]
    write_problems(out, CorpusError(problems))
    with pytest.raises(CorpusError) as raised:
        await read_index(_stream(out.getvalue()))
    assert list(raised.value.problems) == problems


async def test_a_stream_saying_the_build_failed_is_a_handover_error() -> None:
    out = io.BytesIO()
    write_failure(out, "MemoryError: out of memory")
    with pytest.raises(HandoverError, match="the index build failed: MemoryError") as raised:
        await read_index(_stream(out.getvalue()))
    assert not isinstance(raised.value, StreamEnded)
