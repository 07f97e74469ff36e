"""The desk: grammar, admin gate and audit, reloads, concurrency and failure handling."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.desk import Caller, Desk
from bot.queries import DEFAULT
from bot.settings import Settings
from retrieval.corpus import CorpusError
from retrieval.index import build_index
from retrieval.case.timeline import timeline

ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)
MEMBER = Caller(platform="slack", user_id="U-MEMBER", is_admin=False)
QUESTION = "who is suing LinkedIn?"


@pytest.fixture
async def desk(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> AsyncIterator[Desk]:
    opened = await Desk.open(make_settings(corpus_dir=small_corpus_dir))
    yield opened
    await opened.close()


@pytest.fixture
async def desk_with(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> AsyncIterator[Callable[..., Desk]]:
    """`await desk_with(ask=...)`: a desk whose `Queries` has those functions instead."""
    opened: list[Desk] = []

    async def open_(**functions: Callable[..., object]) -> Desk:
        queries = replace(DEFAULT, **functions)
        desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir), queries=queries)
        opened.append(desk)
        return desk

    yield open_
    for desk in opened:
        await desk.close()


async def test_open_records_the_load_by_system(desk: Desk) -> None:
    (load,) = await desk.store.recent_loads(10)
    assert (load.by_platform, load.result, load.articles) == ("system", "ok", 3)
    assert load.passages == len(desk.index.corpus.passages)
    assert load.fingerprint == desk.index.corpus.fingerprint


async def test_open_raises_corpus_error_and_records_it(
    make_settings: Callable[..., Settings], make_corpus: Callable[..., Path], tmp_path: Path
) -> None:
    broken = make_corpus({"bad.md": "no front matter here\n"}, name="broken")
    with pytest.raises(CorpusError):
        await Desk.open(make_settings(corpus_dir=broken))
    with sqlite3.connect(tmp_path / "casebot.db") as db:
        rows = db.execute("SELECT result, errors FROM corpus_loads").fetchall()
    assert len(rows) == 1 and rows[0][0] == "failed" and "bad.md" in rows[0][1]


async def test_help_is_private(desk: Desk) -> None:
    reply = await desk.handle("/case help", MEMBER)
    assert reply.answer.kind == "help"
    assert reply.public is False


async def test_unknown_command_gets_help_naming_it(desk: Desk) -> None:
    reply = await desk.handle("/case statsu", MEMBER)
    assert reply.answer.kind == "help"
    assert "“statsu”" in reply.answer.text


async def test_question_is_answered_publicly(desk: Desk) -> None:
    reply = await desk.handle(QUESTION, MEMBER)
    assert reply.answer.kind == "answer"
    assert reply.answer.quotes
    assert reply.public is True


@pytest.mark.parametrize("text", ["/case status", "/case timeline", "/case sources"])
async def test_read_only_commands_answer_with_their_kind(desk: Desk, text: str) -> None:
    reply = await desk.handle(text, MEMBER)
    assert reply.answer.kind == text.split()[-1]
    assert reply.public is True


async def test_ephemeral_setting_makes_answers_private(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> None:
    desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir, ephemeral_answers=True))
    try:
        reply = await desk.handle(QUESTION, MEMBER)
    finally:
        await desk.close()
    assert reply.answer.kind == "answer"
    assert reply.public is False


async def test_non_admin_reload_is_refused_audited_and_changes_nothing(
    desk: Desk, small_corpus_dir: Path
) -> None:
    before = desk.index
    (small_corpus_dir / "gamma.md").unlink()

    reply = await desk.handle("/case reload", MEMBER)

    assert reply.answer.kind == "refused"
    assert reply.public is False
    assert desk.index is before
    (audit,) = await desk.store.recent_audit(10)
    assert (audit.user_id, audit.command, audit.allowed) == ("U-MEMBER", "reload", False)
    assert len(await desk.store.recent_loads(10)) == 1  # only the load at open


async def test_admin_reload_reports_added_changed_and_removed(
    desk: Desk, make_corpus: Callable[..., Path], article_text: Callable[..., str]
) -> None:
    passages_before = len(desk.index.corpus.passages)
    directory = make_corpus(
        {
            "beta.md": article_text(
                outlet="Beta Daily",
                published="2025-01-24",
                paragraphs=["LinkedIn denies the claims.", "A hearing has not been set."],
            ),
            "delta.md": article_text(
                outlet="Delta Wire",
                paragraphs=["The suit was filed in the Northern District of California."],
            ),
        }
    )
    (directory / "gamma.md").unlink()

    reply = await desk.handle("/case reload", ADMIN)

    corpus = desk.index.corpus
    answer = reply.answer
    assert answer.kind == "reload"
    assert reply.public is False
    assert answer.text == (
        f"Reloaded the corpus: 3 articles, {len(corpus.passages)} passages "
        f"(was {passages_before})."
    )
    assert answer.notes == ("Added: delta", "Changed: beta", "Removed: gamma")
    assert {a.source.id for a in corpus.articles} == {"alpha", "beta", "delta"}
    (audit,) = await desk.store.recent_audit(10)
    assert (audit.user_id, audit.allowed) == ("U-ADMIN", True)
    assert audit.result.startswith("reload: Reloaded the corpus")
    latest = (await desk.store.recent_loads(1))[0]
    assert (latest.by_user, latest.result, latest.articles) == ("U-ADMIN", "ok", 3)


async def test_reload_without_changes_says_so(desk: Desk) -> None:
    answer = await desk.reload(ADMIN)
    assert answer.kind == "reload"
    assert answer.notes == ("No articles changed.",)


async def test_failed_reload_lists_every_problem_and_keeps_serving(
    desk: Desk, make_corpus: Callable[..., Path]
) -> None:
    before = desk.index
    make_corpus(
        {
            "broken-one.md": "no front matter at all\n",
            "broken-two.md": '+++\nauthor = "Someone"\n+++\nText without a title or outlet.\n',
        }
    )

    reply = await desk.handle("/case reload", ADMIN)

    answer = reply.answer
    assert answer.kind == "error"
    assert reply.public is False
    assert re.fullmatch(
        r"Reload failed; still serving the corpus loaded at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.",
        answer.text,
    )
    assert any(note.startswith("broken-one.md: ") for note in answer.notes)
    assert any(note.startswith("broken-two.md: ") for note in answer.notes)
    assert desk.index is before
    assert (await desk.handle(QUESTION, MEMBER)).answer.kind == "answer"
    latest = (await desk.store.recent_loads(1))[0]
    assert latest.result == "failed" and len(latest.errors) == len(answer.notes)
    (audit,) = await desk.store.recent_audit(1)
    assert audit.allowed is True and audit.result.startswith("error: Reload failed")


async def test_questions_are_answered_during_a_reload(
    desk: Desk, make_corpus: Callable[..., Path], article_text: Callable[..., str]
) -> None:
    make_corpus({"delta.md": article_text(outlet="Delta", paragraphs=["LinkedIn was sued."])})

    reload = asyncio.create_task(desk.handle("/case reload", ADMIN))
    await asyncio.sleep(0)  # let the reload start and take its lock
    assert desk.reloading
    # Fifty people, one question each: one person's fifty would meet the per-person limits.
    members = [Caller(platform="slack", user_id=f"U-MEMBER-{n}", is_admin=False) for n in range(50)]
    replies = await asyncio.gather(*(desk.handle(QUESTION, member) for member in members))
    reloaded = await reload

    assert [reply.answer.kind for reply in replies] == ["answer"] * 50
    assert reloaded.answer.kind == "reload"
    assert not desk.reloading


async def test_reloads_run_one_at_a_time(
    desk: Desk, make_corpus: Callable[..., Path], article_text: Callable[..., str]
) -> None:
    make_corpus({"delta.md": article_text(outlet="Delta", paragraphs=["LinkedIn was sued."])})
    first, second = await asyncio.gather(desk.reload(ADMIN), desk.reload(ADMIN))
    assert first.kind == second.kind == "reload"
    # The second read the files after the first had served them, so found nothing changed:
    # the start's load and the first reload's, no third.
    assert len(await desk.store.recent_loads(10)) == 2
    assert second.notes == ("No articles changed.",)


async def test_exception_in_a_command_becomes_an_error_with_request_id(
    desk_with: Callable[..., Desk], caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom in the ranking code")

    desk = await desk_with(ask=explode)

    with caplog.at_level(logging.ERROR, logger="bot.desk"):
        reply = await desk.handle(QUESTION, MEMBER)

    answer = reply.answer
    assert answer.kind == "error"
    assert reply.public is False
    match = re.search(r"request id ([0-9a-f]{8})", answer.text)
    assert match is not None
    assert "Traceback" not in answer.text and "kaboom" not in answer.text
    (record,) = [r for r in caplog.records if r.exc_info]
    assert match.group(1) in record.getMessage()


async def test_questions_are_not_stored_by_default(desk: Desk, tmp_path: Path) -> None:
    await desk.handle(QUESTION, MEMBER)
    with sqlite3.connect(tmp_path / "casebot.db") as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (0,)


async def test_questions_are_stored_when_enabled(
    make_settings: Callable[..., Settings], small_corpus_dir: Path, tmp_path: Path
) -> None:
    desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir, store_questions=True))
    try:
        await desk.handle(f"/case ask {QUESTION}", MEMBER)
        await desk.handle("/case status", MEMBER)
    finally:
        await desk.close()
    with sqlite3.connect(tmp_path / "casebot.db") as db:
        rows = db.execute("SELECT platform, user_id, kind, question FROM questions").fetchall()
    # Who asked, as the salted hash the feedback records use (bot/store.py).
    assert rows == [("slack", desk.store.user_hash("slack", "U-MEMBER"), "answer", QUESTION)]


async def test_unexpected_reload_failure_is_recorded_audited_and_apologised_for(
    desk_with: Callable[..., Desk], make_corpus: Callable[..., Path],
    article_text: Callable[..., str],
) -> None:  # fmt: skip
    exploding = False

    def failing_after_open(corpus: object) -> object:
        if exploding:
            raise MemoryError("out of memory while indexing")
        return build_index(corpus)  # type: ignore[arg-type]

    desk = await desk_with(build=failing_after_open)
    before = desk.index
    exploding = True
    # A changed file: only a case whose files changed is built again.
    make_corpus({"delta.md": article_text(outlet="Delta", paragraphs=["LinkedIn was sued."])})

    reply = await desk.handle("/case reload", ADMIN)

    assert reply.answer.kind == "error" and "request id" in reply.answer.text
    assert desk.index is before
    assert not desk.reloading
    latest = (await desk.store.recent_loads(1))[0]
    assert latest.result == "failed" and latest.errors[0].startswith("MemoryError")
    (audit,) = await desk.store.recent_audit(1)
    assert audit.allowed is True and audit.result.startswith("exception, request ")


async def test_timeline_is_computed_once_per_snapshot_off_the_loop(
    desk_with: Callable[..., Desk],
) -> None:
    import threading

    calls: list[str] = []

    def counting(index):
        calls.append(threading.current_thread().name)
        return timeline(index)

    desk = await desk_with(timeline=counting)
    callers = [Caller(platform="slack", user_id=f"U{i}", is_admin=False) for i in range(5)]
    replies = await asyncio.gather(*(desk.handle("/case timeline", c) for c in callers))
    assert {r.answer.kind for r in replies} == {"timeline"}
    assert len({r.answer for r in replies}) == 1
    assert len(calls) == 1 and calls[0] != threading.main_thread().name


async def test_a_served_snapshot_has_its_status_worked_out_before_anyone_asks(
    desk_with: Callable[..., Desk], make_corpus: Callable[..., Path], article_text: Callable[..., str]
) -> None:
    worked_out: list[object] = []
    status = DEFAULT.status

    def recording_status(index: object) -> object:
        answer = status(index)
        worked_out.append(index)  # once worked out: the test then reads what it kept
        return answer

    desk = await desk_with(status=recording_status)
    deadline = asyncio.get_running_loop().time() + 30
    while not worked_out:
        assert asyncio.get_running_loop().time() < deadline, "the status was never worked out"
        await asyncio.sleep(0.05)
    assert worked_out == [desk.index]
    assert desk.index.cache.status is not None  # kept in the snapshot for the first request
    # A reload serves a new snapshot, and its status is worked out in turn.
    make_corpus({"beta.md": article_text(outlet="Beta Daily", published="2025-01-24", paragraphs=["LinkedIn denies the claims."])})
    await desk.handle("/case reload", ADMIN)
    while len(worked_out) < 2:
        assert asyncio.get_running_loop().time() < deadline, "the new snapshot's status was never worked out"
        await asyncio.sleep(0.05)
    assert worked_out[-1] is desk.index
