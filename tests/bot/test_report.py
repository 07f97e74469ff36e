"""Feedback records, retention, the report's figures on a seeded store, `casebot report`
and the admins' `/case report`."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.desk import Caller, Desk
from bot.feedback import Click, button_value, parse_click
from bot.report import build_report, report_lines, since_days
from bot.settings import Settings
from bot.store import SCHEMA_VERSION, Store

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)
MEMBER = Caller(platform="slack", user_id="U-MEMBER", is_admin=False)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def _answer(
    store: Store, answer_id: str, *, at: datetime, kind: str = "answer",
    question: str | None = None, passages: tuple[str, ...] = (), command: str = "ask",
) -> None:  # fmt: skip
    await store.record_answer(
        answer_id=answer_id, case_id="seed", platform="slack", command=command, kind=kind,
        passages=passages, question=question,
    )  # fmt: skip
    # Written "now"; moved to the seeded moment so the days are known.
    await store._db.execute(
        "UPDATE answers SET at = ? WHERE id = ?", (at.isoformat(timespec="seconds"), answer_id)
    )
    await store._db.commit()


async def _vote(store: Store, answer_id: str, user: str, vote: str, reason: str | None = None):
    record = await store.answer(answer_id)
    assert record is not None
    return await store.record_vote(
        record, platform="slack", user_id=user, vote=vote, reason=reason  # type: ignore[arg-type]
    )


async def _seed(store: Store) -> None:
    day1, day2 = NOW - timedelta(days=2), NOW - timedelta(days=1)
    await _answer(store, "a1", at=day1, question="Who is suing?", passages=("alpha#0",))
    await _answer(store, "a2", at=day1, kind="no_answer", question="Which judge?")
    await _answer(store, "a3", at=day2, kind="no_answer", question="which  JUDGE?")
    await _answer(store, "a4", at=day2, kind="no_answer", question="Is there a jury?")
    await _answer(store, "a5", at=day2, question="How much?", passages=("beta#1", "alpha#0"))
    await _answer(store, "s1", at=day2, kind="status", command="status", passages=("beta#1",))
    # Older than the report's window: not counted.
    await _answer(store, "old", at=NOW - timedelta(days=40), question="Old question?")
    await _vote(store, "a1", "U1", "down", "wrong_quote")
    await _vote(store, "a5", "U1", "down", "outdated")
    await _vote(store, "a5", "U2", "down")
    await _vote(store, "a5", "U3", "up")
    await _vote(store, "s1", "U2", "up")
    await _vote(store, "s1", "U3", "down", "missing")


# --- the store ---------------------------------------------------------------------------


async def test_schema_has_the_feedback_tables(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "c.db")
    await store.close()
    tables = {name for (name,) in _rows(tmp_path / "c.db", "SELECT name FROM sqlite_master")}
    assert {"kept", "answers", "feedback"} <= tables
    assert _rows(tmp_path / "c.db", "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _rows(tmp_path / "c.db", "PRAGMA journal_mode") == [("wal",)]


async def test_a_database_of_the_previous_schema_is_upgraded_with_its_records(
    tmp_path: Path,
) -> None:
    from bot.store import MIGRATIONS

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for target, script in enumerate(MIGRATIONS[:-1], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
        db.execute(
            "INSERT INTO audit (at, platform, user_id, command, allowed, result)"
            " VALUES ('2026-01-01T00:00:00+00:00', 'slack', 'U1', 'reload', 1, 'ok')"
        )
    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert len(await store.recent_audit(10)) == 1
    finally:
        await store.close()


async def test_user_hashes_are_salted_kept_across_opens_and_never_the_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "c.db"
    store = await Store.open(path)
    first = store.user_hash("slack", "U-SECRET")
    await _answer(store, "a1", at=NOW)
    await _vote(store, "a1", "U-SECRET", "up")
    await store.close()

    store = await Store.open(path)
    again = store.user_hash("slack", "U-SECRET")
    await store.close()
    configured = await Store.open(tmp_path / "other.db", user_salt="operator-salt-1234")
    other = configured.user_hash("slack", "U-SECRET")
    await configured.close()

    assert first == again != other
    assert first != store.user_hash("discord", "U-SECRET")
    ((salt,),) = _rows(path, "SELECT value FROM kept WHERE key = 'user_salt'")
    assert _rows(path, "SELECT user_hash FROM feedback") == [(first,)]
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "U-SECRET" not in dump
    assert str(salt) not in caplog.text and "U-SECRET" not in caplog.text


async def test_one_vote_per_person_per_answer_and_a_second_vote_replaces_it(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "c.db")
    try:
        await _answer(store, "a1", at=NOW, passages=("alpha#0", "beta#2"))
        assert await _vote(store, "a1", "U1", "down", "outdated") is None
        assert await _vote(store, "a1", "U1", "up") == "down"
        assert await _vote(store, "a1", "U2", "down") is None
    finally:
        await store.close()
    rows = _rows(tmp_path / "c.db", "SELECT kind, passages, vote, reason FROM feedback ORDER BY vote")
    # The 👍 clears the reason its 👎 had.
    assert rows == [
        ("answer", '["alpha#0", "beta#2"]', "down", None),
        ("answer", '["alpha#0", "beta#2"]', "up", None),
    ]


async def test_question_text_only_when_storing_and_deleted_after_the_retention(
    tmp_path: Path,
) -> None:
    off = await Store.open(tmp_path / "off.db")
    await _answer(off, "a1", at=NOW, question="Who is suing?")
    await off.close()
    assert _rows(tmp_path / "off.db", "SELECT question FROM answers") == [(None,)]

    on = await Store.open(tmp_path / "on.db", store_questions=True)
    try:
        await _answer(on, "old", at=NOW - timedelta(days=31), question="Old?")
        await _answer(on, "new", at=NOW - timedelta(days=29), question="New?")
        await on.record_question(
            case_id="seed", platform="slack", user_id="U1", kind="answer", question="Q?"
        )
        await on._db.execute("UPDATE questions SET at = ?", ((NOW - timedelta(days=31)).isoformat(),))
        await on._db.commit()
        assert await on.forget_questions(30, now=NOW) == 2
    finally:
        await on.close()
    rows = _rows(tmp_path / "on.db", "SELECT id, kind, question FROM answers ORDER BY id")
    assert rows == [("new", "answer", "New?"), ("old", "answer", None)]
    assert _rows(tmp_path / "on.db", "SELECT * FROM questions") == []


async def test_desk_start_deletes_question_text_past_the_retention(
    make_settings: Callable[..., Settings], small_corpus_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "casebot.db"
    store = await Store.open(path, store_questions=True)
    await _answer(store, "old", at=datetime.now(UTC) - timedelta(days=8), question="Old?")
    await _answer(store, "new", at=datetime.now(UTC) - timedelta(days=6), question="New?")
    await store.close()
    desk = await Desk.open(
        make_settings(corpus_dir=small_corpus_dir, store_questions=True, question_retention_days=7)
    )
    await desk.close()
    assert _rows(path, "SELECT id, question FROM answers ORDER BY id") == [
        ("new", "New?"), ("old", None)
    ]  # fmt: skip


# --- the report's figures ----------------------------------------------------------------


async def test_report_figures_on_a_seeded_store(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "c.db", store_questions=True)
    try:
        await _seed(store)
        report = await build_report(store, since_days=30, now=NOW)
    finally:
        await store.close()
    assert report.days == (("2026-03-08", 1, 1), ("2026-03-09", 1, 2))
    assert (report.answered, report.declined) == (2, 3)
    assert report.votes == (("answer", 1, 3), ("status", 1, 1))
    assert report.reasons == (("missing", 1), ("outdated", 1), ("wrong_quote", 1))
    assert report.down_passages == (("seed", "alpha#0", 3), ("seed", "beta#1", 3))
    # Asked alike when the same but for case and spaces; the first wording is shown.
    assert report.declined_questions == (("Which judge?", 2), ("Is there a jury?", 1))
    assert report.down_questions == (("How much?", 2), ("Who is suing?", 1))


async def test_report_window_and_no_question_lists_when_text_is_not_stored(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "c.db")
    try:
        await _seed(store)
        report = await build_report(store, since_days=1, now=NOW)
    finally:
        await store.close()
    assert report.days == (("2026-03-09", 1, 2),)
    assert report.declined_questions is None and report.down_questions is None
    text = "\n".join(report_lines(report))
    assert "CASEBOT_STORE_QUESTIONS=false" in text
    assert "judge" not in text.lower()


def test_since_days_reads_the_first_word() -> None:
    assert (since_days(""), since_days("7"), since_days("7 days"), since_days("-5")) == (
        30, 7, 7, -5
    )  # fmt: skip
    for wrong in ("seven", "٣", "1.5", "x7"):
        with pytest.raises(ValueError, match="is not a number of days"):
            since_days(wrong)


def test_button_values_round_trip_and_strangers_are_refused() -> None:
    value = button_value("0123456789abcdef", "down", "outdated")
    assert len(value) <= 100
    assert parse_click(value) == Click("0123456789abcdef", "down", "outdated")
    assert parse_click(button_value("0123456789abcdef", "up")) == Click("0123456789abcdef", "up")
    for bad in ("", "cbfb:0123:up", "cbfb:0123456789abcdef:maybe", "x" * 300, None, 5):
        assert parse_click(bad) is None


# --- casebot report ----------------------------------------------------------------------


async def test_casebot_report_prints_the_figures_as_text_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "seeded.db"
    store = await Store.open(path, store_questions=True)
    await _seed(store)
    # The seeded days, moved to the last few days so `--since 7` holds them.
    shift = datetime.now(UTC) - NOW
    for table in ("answers", "feedback"):
        rows = await store._rows(f"SELECT rowid, at FROM {table}", ())
        for rowid, at in rows:
            moved = (datetime.fromisoformat(at) + shift).isoformat(timespec="seconds")
            await store._db.execute(f"UPDATE {table} SET at = ? WHERE rowid = ?", (moved, rowid))
    await store._db.commit()
    await store.close()
    monkeypatch.setenv("CASEBOT_DB_PATH", str(path))
    monkeypatch.setenv("CASEBOT_STORE_QUESTIONS", "true")

    assert await _main(["report", "--since", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["answered"], data["declined"]) == (2, 3)
    assert data["votes"] == [
        {"kind": "answer", "up": 1, "down": 3}, {"kind": "status", "up": 1, "down": 1}
    ]  # fmt: skip
    assert data["declined_questions"][0] == {"question": "Which judge?", "count": 2}
    assert data["down_voted_passages"][0]["passage"] == "alpha#0"

    assert await _main(["report"]) == 0
    text = capsys.readouterr().out
    assert "2 questions answered, 3 declined" in text
    assert "2 × “Which judge?”" in text


async def _main(argv: list[str]) -> int:
    # `main` runs its own event loop: off this test's.
    import asyncio

    return await asyncio.to_thread(main, argv)


# --- /case report ------------------------------------------------------------------------


async def test_case_report_is_for_admins_privately_and_audited(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> None:
    desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir))
    try:
        asked = await desk.handle("who is suing LinkedIn?", MEMBER)
        assert asked.feedback_id is not None
        thanks = await desk.vote(MEMBER, button_value(asked.feedback_id, "down"))
        assert thanks.ask_reason_for == asked.feedback_id

        refused = await desk.handle("/case report", MEMBER)
        reply = await desk.handle("/case report 7", ADMIN)
        audit = await desk.store.recent_audit(10)
    finally:
        await desk.close()
    assert refused.answer.kind == "refused" and refused.public is False
    assert reply.public is False and reply.feedback_id is None
    assert "1 question answered, 0 declined" in reply.answer.text
    assert any("answer: 0 / 1" in line for line in reply.answer.notes)
    assert [(a.command, a.user_id, a.allowed) for a in audit] == [
        ("report", "U-ADMIN", True), ("report", "U-MEMBER", False)
    ]  # fmt: skip


async def test_a_report_over_too_many_days_is_refused_politely(
    make_settings: Callable[..., Settings], small_corpus_dir: Path,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir))
    try:
        with caplog.at_level(logging.INFO):
            reply = await desk.handle("/case report 999999", ADMIN)
            longest = await desk.handle("/case report 3650", ADMIN)
    finally:
        await desk.close()
    assert reply.answer.kind == "refused" and reply.public is False
    assert "0 to 3,650 days" in reply.answer.text and "999,999" in reply.answer.text
    assert longest.answer.kind == "answer"
    assert "Traceback" not in caplog.text and "OverflowError" not in caplog.text

    assert await _main(["report", "--since", "999999"]) == 1
    err = capsys.readouterr().err
    assert err == "casebot report: --since: a report covers 0 to 3,650 days (ten years), not 999,999.\n"
