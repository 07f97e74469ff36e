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
from functools import lru_cache
from pathlib import Path

import numpy as np

CONFIG = "l2_supercat"
DIMENSIONS = 256
_PIECE_MARK = "▁"  # SentencePiece's mark of a word's start


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
        # Bytes decoded at once: read_text's newline-translating text layer takes twice as
        # long over these 1.7 MB (JSON has no raw line breaks inside its strings anyway).
        config = (directory / "tokenizers" / f"{CONFIG}_tokenizer_config.json").read_bytes().decode("utf-8")
        model = json.loads(config)["model"]
        self._vocab: dict[str, int] = model["vocab"]
        self._merges: list = model["merges"]
        self._ranks: dict[str, int] | None = None  # made on the first word that needs them
        self._byte_ids = {b: self._vocab.get(f"<0x{b:02X}>") for b in range(256)}

    @lru_cache(maxsize=200_000)  # noqa: B019 - one embedder per process, words recur
    def word_ids(self, word: str) -> tuple[int, ...]:
        """The token ids of one whitespace-free word, as it stands after a space."""
        whole = self._vocab.get(_PIECE_MARK + word)
        if whole is not None:
            # Byte-pair merges of a word that is one token end in that token.
            return (whole,)
        if self._ranks is None:
            # "a b" -> rank: string keys, as this file writes them (newer tokenizer files
            # write pairs). dict(zip()) builds the 61,000 entries in C rather than in a
            # Python loop; a pair listed twice keeps its last rank, as a loop would.
            merges = self._merges
            if merges and not isinstance(merges[0], str):
                merges = [" ".join(m) for m in merges]
            self._ranks = dict(zip(merges, range(len(merges))))
        ranks = self._ranks
        symbols = list(_PIECE_MARK + word)
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
        ids: list[int] = []
        for symbol in symbols:
            known = self._vocab.get(symbol)
            if known is not None:
                ids.append(known)
            else:  # byte fallback, as the tokenizer does
                ids.extend(i for i in (self._byte_ids[b] for b in symbol.encode("utf-8")) if i is not None)
        return tuple(ids)

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
