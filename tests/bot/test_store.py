"""The SQLite store: schema, WAL, records, and the question-text switch."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import SCHEMA_VERSION, Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "casebot.db")
    yield opened
    await opened.close()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def test_open_creates_file_and_parent_dirs_with_wal_and_schema_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep" / "er" / "casebot.db"
    store = await Store.open(path)
    await store.close()

    assert path.is_file()
    assert _rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    tables = {name for (name,) in _rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"corpus_loads", "audit", "questions"} <= tables


async def test_reopening_keeps_records_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "casebot.db"
    store = await Store.open(path)
    await store.record_load(by_platform="system", by_user="system", result="ok")
    await store.close()

    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert len(await store.recent_loads(10)) == 1
    finally:
        await store.close()


async def test_refuses_a_database_from_a_newer_casebot(tmp_path: Path) -> None:
    path = tmp_path / "casebot.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        await Store.open(path)


async def test_records_loads_newest_first_with_errors(store: Store) -> None:
    await store.record_load(
        by_platform="system", by_user="system", result="ok",
        fingerprint="abc", articles=5, passages=23,
    )  # fmt: skip
    await store.record_load(
        by_platform="slack", by_user="U1", result="failed",
        errors=["a.md: no front matter", "b.md: neither title nor outlet"],
    )  # fmt: skip

    failed, ok = await store.recent_loads(10)
    assert (failed.by_platform, failed.by_user, failed.result) == ("slack", "U1", "failed")
    assert failed.errors == ("a.md: no front matter", "b.md: neither title nor outlet")
    assert (ok.fingerprint, ok.articles, ok.passages, ok.result) == ("abc", 5, 23, "ok")
    assert ok.at.tzinfo is not None
    assert len(await store.recent_loads(1)) == 1


async def test_records_admin_attempts(store: Store) -> None:
    await store.record_admin(
        platform="discord", user_id="42", command="reload", allowed=False, result="refused"
    )
    await store.record_admin(
        platform="slack", user_id="U1", command="reload", allowed=True, result="reload: ok"
    )

    allowed, refused = await store.recent_audit(10)
    assert (allowed.platform, allowed.user_id, allowed.allowed) == ("slack", "U1", True)
    assert (refused.command, refused.allowed, refused.result) == ("reload", False, "refused")


async def test_question_text_is_not_stored_by_default(tmp_path: Path, store: Store) -> None:
    written = await store.record_question(
        platform="slack", user_id="U1", kind="answer", question="who is suing?"
    )
    assert written is False
    assert _rows(tmp_path / "casebot.db", "SELECT * FROM questions") == []


async def test_question_text_is_stored_when_enabled(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    store = await Store.open(path, store_questions=True)
    try:
        written = await store.record_question(
            platform="slack", user_id="U1", kind="answer", question="who is suing?"
        )
        asker = store.user_hash("slack", "U1")
    finally:
        await store.close()
    assert written is True
    rows = _rows(path, "SELECT platform, user_id, kind, question FROM questions")
    # Never the id itself: its salted hash.
    assert rows == [("slack", asker, "answer", "who is suing?")] and asker != "U1"
