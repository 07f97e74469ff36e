"""Shared fixtures: the bundled corpus, small corpora written to tmp_path, and settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests.support.corpora import SEED_CORPUS_DIR, SMALL_CORPUS, article
# A real PostgreSQL for the tests that ask for one (started only then).
from tests.support.postgres import database_target, postgres_server, postgres_url  # noqa: F401


# Environment variables that would change the settings under test.
_SETTING_PREFIXES = ("CASEBOT_", "SLACK_", "DISCORD_")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's environment and `.env` out of every test."""
    for name in list(os.environ):
        if name.upper().startswith(_SETTING_PREFIXES):
            monkeypatch.delenv(name)
    # Settings read `.env` from the working directory; an empty one there reads nothing.
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def _restored_root_logging() -> Iterator[None]:
    """Put the root logger back as it was: an in-process `main()` installs a handler."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def seed_corpus_dir() -> Path:
    """The corpus shipped in the repository."""
    return SEED_CORPUS_DIR


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """Write a corpus directory under tmp_path; returns `make(files, name="corpus") -> Path`.

    `files` maps file names to their text; writing to the same name again updates it.
    """

    def make(files: dict[str, str], name: str = "corpus") -> Path:
        directory = tmp_path / name
        directory.mkdir(parents=True, exist_ok=True)
        for file_name, text in files.items():
            (directory / file_name).write_text(text, encoding="utf-8")
        return directory

    return make


@pytest.fixture
def article_text() -> Callable[..., str]:
    """The `article(...)` builder, for tests that write their own articles."""
    return article


@pytest.fixture
def small_corpus_dir(make_corpus: Callable[..., Path]) -> Path:
    return make_corpus(SMALL_CORPUS)


@pytest.fixture
def make_settings(tmp_path: Path, seed_corpus_dir: Path) -> Callable[..., Settings]:
    """Settings with a database in tmp_path and the bundled corpus; keywords override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "corpus_dir": seed_corpus_dir,
            "db_path": tmp_path / "casebot.db",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture(scope="session")
def seed_index():
    """The bundled corpus, indexed once for the session (an index is read-only)."""
    from retrieval.corpus import load_corpus
    from retrieval.index import build_index

    return build_index(load_corpus(SEED_CORPUS_DIR))
