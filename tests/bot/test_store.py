"""The store on each backend (`database_target`: SQLite and a real PostgreSQL): records,
the question-text switch, cases; and SQLite's own file, WAL and migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.store import SCHEMA_VERSION, Store
from tests.support.old_database import database_of_schema_3


@pytest.fixture
async def store(database_target: str | Path) -> AsyncIterator[Store]:
    opened = await Store.open(database_target)
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
    await store.record_load(case_id="seed", by_platform="system", by_user="system", result="ok")
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
        case_id="seed", by_platform="system", by_user="system", result="ok",
        fingerprint="abc", articles=5, passages=23,
    )  # fmt: skip
    await store.record_load(
        case_id="seed", by_platform="slack", by_user="U1", result="failed",
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


async def test_question_text_is_not_stored_by_default(store: Store) -> None:
    written = await store.record_question(
        case_id="seed", platform="slack", user_id="U1", kind="answer", question="who is suing?"
    )
    assert written is False
    assert await store._rows("SELECT * FROM questions", ()) == []


async def test_question_text_is_stored_when_enabled(database_target: str | Path) -> None:
    store = await Store.open(database_target, store_questions=True)
    try:
        written = await store.record_question(
            case_id="seed", platform="slack", user_id="U1", kind="answer",
            question="who is suing?",
        )  # fmt: skip
        asker = store.user_hash("slack", "U1")
        rows = await store._rows("SELECT platform, user_id, kind, question FROM questions", ())
    finally:
        await store.close()
    assert written is True
    # Never the id itself: its salted hash.
    assert rows == [("slack", asker, "answer", "who is suing?")] and asker != "U1"


# --- many cases (schema 4) -----------------------------------------------------------------


async def test_schema_4_keeps_every_record_as_the_legacy_case_until_one_case_adopts_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    database_of_schema_3(path)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 5
        (follow,) = await store.follows()
        assert (follow.platform, follow.channel_id, follow.case_id) == ("slack", "C1", "")
        assert await store.pending_alerts() == {("slack", "C1", ""): ["dev1"]}
        assert await store.known_through("") == (True, date(2025, 1, 30))

        assert await store.adopt_legacy("linkedin") is True
        assert await store.adopt_legacy("other") is False  # once only
        assert [f.case_id for f in await store.follows()] == ["linkedin"]
        assert await store.pending_alerts() == {("slack", "C1", "linkedin"): ["dev1"]}
        assert await store.known_through("linkedin") == (True, date(2025, 1, 30))
        assert await store.known_through("") == (False, None)
        record = await store.answer("0123456789abcdef")
        assert record is not None and record.case_id == "linkedin"
        (load,) = await store.recent_loads()
        assert load.case_id == "linkedin"
    finally:
        await store.close()
    for table in ("corpus_loads", "questions", "answers", "feedback", "follows", "alerts"):
        assert _rows(path, f"SELECT DISTINCT case_id FROM {table}") == [("linkedin",)]


async def test_a_channel_follows_cases_each_with_its_own_mark_and_alerts(store: Store) -> None:
    for case in ("a", "b"):
        assert await store.follow(platform="slack", channel_id="C1", case_id=case, by_user="U")
    assert not await store.follow(platform="slack", channel_id="C1", case_id="a", by_user="U")
    await store.follow(platform="slack", channel_id="C2", case_id="b", by_user="U")
    assert await store.queue_alerts("b", ["d1"], date(2025, 3, 1)) == 2
    assert await store.known_through("b") == (True, date(2025, 3, 1))
    assert await store.known_through("a") == (False, None)
    assert await store.pending_alerts() == {("slack", "C1", "b"): ["d1"], ("slack", "C2", "b"): ["d1"]}
    assert await store.unfollow(platform="slack", channel_id="C1", case_id="b")
    assert await store.pending_alerts() == {("slack", "C2", "b"): ["d1"]}
    assert [f.case_id for f in await store.follows(channel_id="C1")] == ["a"]


async def test_a_channels_case_is_kept_replaced_and_cleared(store: Store) -> None:
    assert await store.channel_case(platform="slack", channel_id="C1") is None
    assert await store.set_channel_case(
        platform="slack", channel_id="C1", case_id="a", by_user="U1"
    ) is None  # fmt: skip
    before = await store.set_channel_case(platform="slack", channel_id="C1", case_id="b", by_user="U2")
    assert before == "a" and await store.channel_case(platform="slack", channel_id="C1") == "b"
    (choice,) = await store.channel_cases()
    assert (choice.case_id, choice.by_user) == ("b", "U2")
    await store.set_channel_case(platform="slack", channel_id="C1", case_id=None, by_user="U2")
    assert await store.channel_case(platform="slack", channel_id="C1") is None


async def test_a_channels_case_is_remembered_a_while_and_its_own_changes_at_once(
    database_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = await Store.open(database_target), await Store.open(database_target)
    try:
        assert await reader.channel_case(platform="slack", channel_id="C1") is None
        await writer.set_channel_case(platform="slack", channel_id="C1", case_id="a", by_user="U")
        # Another process's choice is seen once the remembered answer is old enough.
        assert await reader.channel_case(platform="slack", channel_id="C1") is None
        monkeypatch.setattr("bot.store.store.CHANNEL_CASE_SECONDS", 0.0)
        assert await reader.channel_case(platform="slack", channel_id="C1") == "a"
        monkeypatch.setattr("bot.store.store.CHANNEL_CASE_SECONDS", 60.0)
        await reader.set_channel_case(platform="slack", channel_id="C1", case_id="b", by_user="U")
        assert await reader.channel_case(platform="slack", channel_id="C1") == "b"
    finally:
        await reader.close()
        await writer.close()
