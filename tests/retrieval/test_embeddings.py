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


# Words that take every path of the merging: whole tokens, merged words, unknown characters
# (byte fallback), the piece mark itself inside a word, digits, accents and scripts. (Not
# "<s>": wordllama's tokenizer reads that text as its start token, as casebot never did.)
_ODD_WORDS = [
    "lawsuit", "unconscionability", "LinkedIn's", "$1,000", "2025-01-22", "café", "naïve",
    "Straße", "漢字", "😀", "x▁▁y", "▁", "▁▁▁▁", "a▁b", "—", "“quoted”", "<0x0A>",
    "e-mail", "InMail", "De", "La", "Torre", "§1798.150", "ﬁle", "\u200bzero",
]


def _tokenizer_file() -> Path:
    from retrieval.language.embeddings import CONFIG, _package_dir

    return _package_dir() / "tokenizers" / f"{CONFIG}_tokenizer_config.json"


def test_the_ranks_derived_from_the_vocabulary_are_the_files_own():
    """The rule the embedder uses instead of reading the merges, checked on every merge of
    the installed file (a new wordllama with another file fails here first)."""
    import json
    import zlib

    from retrieval.language.embeddings import DERIVED_RANKS_FILE, _vocabulary

    raw = _tokenizer_file().read_bytes()
    assert (len(raw), zlib.crc32(raw)) == DERIVED_RANKS_FILE
    model = json.loads(raw)["model"]
    vocab, merges = model["vocab"], model["merges"]
    assert _vocabulary(raw) == vocab
    assert len(vocab) <= 2**15  # the ids fit the rank's fields

    def runs_of_marks(merge: str) -> bool:
        return set(merge.replace(" ", "")) == {"▁"}

    # A pair merges when both halves and the whole are pieces: exactly the file's merges.
    derived = {
        (piece[:i], piece[i:]) for piece in vocab for i in range(1, len(piece))
        if piece[:i] in vocab and piece[i:] in vocab
    }  # fmt: skip
    assert derived == {tuple(m.split(" ")) for m in merges}
    # Ordered by (id of the whole, ids of the halves), runs of marks alone listed last.
    ordinary = [m for m in merges if not runs_of_marks(m)]
    assert all(runs_of_marks(m) for m in merges[len(ordinary) :])

    def rank(merge: str) -> tuple[int, int, int]:
        left, right = merge.split(" ")
        return vocab[left + right], vocab[left], vocab[right]

    assert ordinary == sorted(ordinary, key=rank)
    assert len({rank(m) for m in ordinary}) == len(ordinary)


def test_another_tokenizer_file_is_read_whole_and_tokenizes_alike(tmp_path):
    """A file other than the checked one (here the same with a byte more) is read as it
    lists its merges; on the corpus's words and odd ones both ways give the same ids."""
    from retrieval.language.embeddings import Embedder, _package_dir

    package = _package_dir()
    (tmp_path / "tokenizers").mkdir()
    (tmp_path / "tokenizers" / _tokenizer_file().name).write_bytes(_tokenizer_file().read_bytes() + b"\n")
    (tmp_path / "weights").symlink_to(package / "weights")
    listed, derived = Embedder(tmp_path), Embedder(package)
    assert not listed._derived and derived._derived
    words = {w for p in load_corpus(SEED_CORPUS_DIR).passages for s in p.sentence_texts() for w in s.split()}
    for word in sorted(words) + _ODD_WORDS:
        assert listed.word_ids(word) == derived.word_ids(word), word


def test_odd_words_get_wordllamas_own_tokens():
    from tokenizers import Tokenizer  # wordllama's own tokenizer library


    theirs = Tokenizer.from_file(str(_tokenizer_file()))
    ours = embedder()
    for word in _ODD_WORDS:
        assert list(ours.word_ids(word)) == [i for i in theirs.encode(word, add_special_tokens=False).ids if i != 0], word
