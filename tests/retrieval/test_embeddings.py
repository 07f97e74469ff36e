"""Static embeddings read from the wordllama wheel: offline, and the same as wordllama's own."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np

from retrieval.corpus import load_corpus
from retrieval.language.embeddings import embedder
from tests.support.corpora import SEED_CORPUS_DIR


def test_the_embeddings_load_with_the_network_off():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from retrieval.language.embeddings import embedder\n"
        "v = embedder().embed(['The lawsuit was filed in federal court.', 'who is suing'])\n"
        "assert v.shape == (2, 256) and abs(float((v[0] ** 2).sum()) - 1) < 1e-3\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_our_reading_gives_wordllamas_own_tokens_and_vectors():
    """retrieval/language/embeddings.py reads the package's files itself (not importing wordllama
    on the answering path): on the seed corpus it must tokenize and embed exactly as
    wordllama does, loaded from the same files."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama  # configures the root logger on import: put it back below
    from wordllama import WordLlama

    root.handlers[:], root.level = handlers, level
    theirs = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    texts = [s for p in load_corpus(SEED_CORPUS_DIR).passages for s in p.sentence_texts()][:80]
    ours = embedder()
    for text, encoded in zip(texts, theirs.tokenizer.encode_batch(texts, add_special_tokens=False), strict=True):
        assert [i for word in text.split() for i in ours.word_ids(word)] == [i for i in encoded.ids if i != 0], text
    cosines = (ours.embed(texts) * theirs.embed(texts, norm=True)).sum(axis=1)
    assert np.allclose(cosines, 1.0, atol=1e-4)


def test_similar_sentences_are_nearer_than_unrelated_ones():
    a, b, c = embedder().embed(["Who sued the company?", "The lawsuit was filed by three users.", "Bake the bread for an hour."])
    assert float(a @ b) > float(a @ c)
