"""Static word embeddings: meaning beyond the words, for how near a sentence is to a question.

The vectors are WordLlama's ("l2_supercat", 256 dimensions: the token embeddings of a
large language model, trained to average well into sentence embeddings), which ship
inside the `wordllama` wheel. casebot reads the two files it needs from the installed
package, the weights (safetensors) and the tokenizer's vocabulary and merges, without
importing wordllama itself, whose import loads far more than this (and configures the
root logger). Nothing is ever fetched: the files are on disk or casebot says which
package is missing.

A text's vector is the mean of its tokens' vectors (as WordLlama's own `embed` pools),
normalised; tokens are byte-pair encoded word by word with the tokenizer's own merges.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
import struct
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

CONFIG = "l2_supercat"
DIMENSIONS = 256
_PIECE_MARK = "▁"  # SentencePiece's mark of a word's start

# The tokenizer file (its size and CRC-32) whose merges' ranks are derived, not read. It
# was converted from SentencePiece by Hugging Face's converter, which lists a merge for
# each way to split each piece into two pieces, ordered by the piece's id (its score in
# the SentencePiece model) and then by the two halves' ids. So a pair merges when the two
# and their concatenation are all pieces, and ranks by (id of the whole, ids of the
# halves), except for the merges of runs of "▁" alone, which the file lists last in its
# own order. tests/retrieval/test_embeddings.py checks all of that on this file; any other
# file's merges are read from it.
DERIVED_RANKS_FILE = (1_842_796, 0x3FAF5800)
_NO_MERGE = 1 << 62  # above every derived rank


class EmbeddingsMissing(RuntimeError):
    """The wordllama package (which ships the vectors) is not installed."""


def _package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise EmbeddingsMissing("the wordllama package is not installed (pip install wordllama)")
    return Path(spec.origin).parent


class Embedder:
    """Embeds texts with WordLlama's token vectors (load with `embedder()`)."""

    def __init__(self, directory: Path) -> None:
        self.vectors = _read_safetensors(directory / "weights" / f"{CONFIG}_{DIMENSIONS}.safetensors")
        self._tokenizer = directory / "tokenizers" / f"{CONFIG}_tokenizer_config.json"
        raw = self._tokenizer.read_bytes()
        # The merges' ranks: derived from the vocabulary for the file that rule was checked
        # on (a third of the load time: the 61,000 merges are neither parsed nor indexed),
        # else read from the file, made on the first word that needs them.
        self._derived = (len(raw), zlib.crc32(raw)) == DERIVED_RANKS_FILE
        model = None if self._derived else _model(raw)
        self._vocab: dict[str, int] = _vocabulary(raw) if model is None else model["vocab"]
        # The listed merges: of the parse just made, else parsed if a word needs them.
        self._merges: list | None = None if model is None else model["merges"]
        self._ranks: dict[str, int] | None = None

    @lru_cache(maxsize=200_000)  # noqa: B019 - one embedder per process, words recur
    def word_ids(self, word: str) -> tuple[int, ...]:
        """The token ids of one whitespace-free word, as it stands after a space."""
        vocab = self._vocab
        whole = vocab.get(_PIECE_MARK + word)
        if whole is not None:
            # Byte-pair merges of a word that is one token end in that token.
            return (whole,)
        symbols = list(_PIECE_MARK + word)
        # A word holding the mark itself could meet the merges of runs of marks, the one
        # part of the file the derived order does not give (see DERIVED_RANKS_FILE).
        if self._derived and _PIECE_MARK not in word:
            ids = self._merge_by_ids(symbols)
        else:
            self._merge_by_listed_ranks(symbols)
            ids = [vocab.get(symbol) for symbol in symbols]
        out: list[int] = []
        for symbol, known in zip(symbols, ids, strict=True):
            if known is not None:
                out.append(known)
            else:  # byte fallback, as the tokenizer does
                byte_ids = (vocab.get(f"<0x{b:02X}>") for b in symbol.encode("utf-8"))
                out.extend(i for i in byte_ids if i is not None)
        return tuple(out)

    def _merge_by_ids(self, symbols: list[str]) -> list[int | None]:
        """Merges `symbols` in place, ranking a pair by (its merged piece's id, its left
        and right pieces' ids): the file's order of merges. Returns the symbols' ids."""
        vocab = self._vocab
        ids = [vocab.get(symbol) for symbol in symbols]

        def rank(i: int) -> int:
            # One int ordered as the triple (ids are < 2**15), no tuple built per pair.
            left, right = ids[i], ids[i + 1]
            if left is None or right is None:
                return _NO_MERGE
            merged = vocab.get(symbols[i] + symbols[i + 1])
            return _NO_MERGE if merged is None else (merged << 30) | (left << 15) | right

        # Each pair's rank, kept as pairs merge: only the merged symbol's two neighbours
        # change, and min() and index() find the lowest, leftmost of equals, in C.
        ranks = [rank(i) for i in range(len(symbols) - 1)]
        while ranks:
            best = min(ranks)
            if best == _NO_MERGE:
                break
            at = ranks.index(best)
            symbols[at : at + 2] = [symbols[at] + symbols[at + 1]]
            ids[at : at + 2] = [best >> 30]
            del ranks[at]
            if at > 0:
                ranks[at - 1] = rank(at - 1)
            if at < len(ranks):
                ranks[at] = rank(at)
        return ids

    def _merge_by_listed_ranks(self, symbols: list[str]) -> None:
        """Merges `symbols` in place by the ranks the file lists (parsed once, when needed)."""
        if self._ranks is None:
            # "a b" -> rank: string keys, as this file writes them (newer tokenizer files
            # write pairs). dict(zip()) builds the 61,000 entries in C rather than in a
            # Python loop; a pair listed twice keeps its last rank, as a loop would.
            merges = self._merges
            if merges is None:
                merges = _model(self._tokenizer.read_bytes())["merges"]
            if merges and not isinstance(merges[0], str):
                merges = [" ".join(m) for m in merges]
            self._ranks, self._merges = dict(zip(merges, range(len(merges)))), None
        ranks = self._ranks
        while len(symbols) > 1:
            # The pair of lowest rank merges first, the leftmost of equals (a plain loop:
            # half the time of building the pairs as tuples, on a question's ~600 words).
            best, at = None, -1
            for i in range(len(symbols) - 1):
                rank = ranks.get(symbols[i] + " " + symbols[i + 1])
                if rank is not None and (best is None or rank < best):
                    best, at = rank, i
            if best is None:
                break
            symbols[at : at + 2] = [symbols[at] + symbols[at + 1]]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (a text without tokens gets zeros)."""
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [i for word in text.split() for i in self.word_ids(word)]
            if ids:
                vector = self.vectors[ids].astype(np.float32).mean(axis=0)
                norm = float(np.linalg.norm(vector))
                if norm > 0:
                    out[row] = vector / norm
        return out


def _model(raw: bytes) -> dict:
    """The tokenizer file's "model" object (its vocabulary and merges), parsed in full."""
    # Bytes decoded at once: read_text's newline-translating text layer takes twice as
    # long over these 1.7 MB (JSON has no raw line breaks inside its strings anyway).
    return json.loads(raw.decode("utf-8"))["model"]


def _vocabulary(raw: bytes) -> dict[str, int]:
    """The vocabulary of the DERIVED_RANKS_FILE, parsing it alone: in that file the
    model's "vocab" object is the first text of that name, and its "merges" follow it."""
    start = raw.index(b"{", raw.index(b'"vocab":'))
    vocab, _ = json.JSONDecoder().raw_decode(raw[start : raw.index(b'"merges":', start)].decode("utf-8"))
    return vocab


def _read_safetensors(path: Path) -> np.ndarray:
    """The one tensor of a safetensors file, as a read-only numpy array over a memory map
    (only the rows of the tokens met are read from disk: a one-shot `casebot ask` reads
    a few hundred of 32,000)."""
    with path.open("rb") as file:
        data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    name, info = next((k, v) for k, v in header.items() if k != "__metadata__")
    if info["dtype"] not in ("F16", "F32"):
        raise ValueError(f"{path}: unexpected dtype {info['dtype']} for {name}")
    start, end = info["data_offsets"]
    dtype = np.float16 if info["dtype"] == "F16" else np.float32
    return np.frombuffer(data, dtype=dtype, offset=8 + size + start, count=(end - start) // np.dtype(dtype).itemsize).reshape(
        info["shape"]
    )


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    """The process's embedder, loaded on first use (~50 ms)."""
    return Embedder(_package_dir())
