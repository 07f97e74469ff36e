"""`add <url>` and `remove <id>` through the desk: admin gate, audit, preview, reload."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli import _chat
from bot.desk import Caller, Desk
from bot.intake.chat import PREVIEW_SECONDS
from tests.support.intake_pages import UPDATE_PARAGRAPH, news_page
from tests.support.intake_server import Route, Site, serve

ADMIN = Caller(platform="slack", user_id="UADMIN", is_admin=True)
OTHER_ADMIN = Caller(platform="slack", user_id="UOTHER", is_admin=True)
MEMBER = Caller(platform="slack", user_id="UMEMBER", is_admin=False)
NEW_FILE = "example-tech-news-linkedin-sued-over-ai-training-on-private-messages.md"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({"/story": Route(body=news_page().encode())}) as running:
        yield running


@pytest.fixture
def settings(make_settings, small_corpus_dir: Path):
    return make_settings(corpus_dir=small_corpus_dir, fetch_private=True)


@pytest.fixture
async def desk(settings) -> AsyncIterator[Desk]:
    opened = await Desk.open(settings)
    yield opened
    await opened.close()


async def test_admin_add_preview_then_add_writes_reloads_and_answers(
    desk: Desk, site: Site, small_corpus_dir: Path
) -> None:
    reply = await desk.handle(f"add {site.url('/story')}", ADMIN)
    assert reply.answer.kind == "preview" and not reply.public
    assert reply.confirm_token is not None
    assert "Title: LinkedIn sued over AI training on private messages" in reply.answer.notes
    assert not (small_corpus_dir / NEW_FILE).exists()

    report = await desk.intake.confirm(ADMIN, reply.confirm_token, accept=True)
    assert report.kind == "reload", report
    assert report.text.startswith(f"Added {NEW_FILE}. Reloaded the corpus: 4 articles")
    assert f"Added: {NEW_FILE[:-3]}" in report.notes
    answer = await desk.handle("Did the plaintiff file a notice of voluntary dismissal?", MEMBER)
    assert any(q.text in UPDATE_PARAGRAPH or UPDATE_PARAGRAPH in q.text for q in answer.answer.quotes)
    audit = await desk.store.recent_audit()
    assert [(a.command, a.allowed) for a in audit][:2] == [("add", True), ("add", True)]
    assert audit[0].result.startswith(f"added {NEW_FILE}")


async def test_a_link_as_slack_sends_it_is_read_as_its_url(desk: Desk, site: Site) -> None:
    reply = await desk.handle(f"add <{site.url('/story')}|127.0.0.1/story>", ADMIN)
    assert reply.answer.kind == "preview", reply.answer


async def test_a_member_is_refused_audited_and_nothing_is_fetched(desk: Desk, site: Site) -> None:
    reply = await desk.handle(f"add {site.url('/story')}", MEMBER)
    assert reply.answer.kind == "refused" and "admins" in reply.answer.text
    assert site.hits == []
    audit = await desk.store.recent_audit()
    assert (audit[0].command, audit[0].allowed, audit[0].user_id) == ("add", False, "UMEMBER")


async def test_cancel_writes_nothing(desk: Desk, site: Site, small_corpus_dir: Path) -> None:
    reply = await desk.handle(f"add {site.url('/story')}", ADMIN)
    answer = await desk.intake.confirm(ADMIN, reply.confirm_token, accept=False)
    assert "nothing was written" in answer.text
    assert not (small_corpus_dir / NEW_FILE).exists()


async def test_an_expired_preview_writes_nothing(desk: Desk, site: Site, small_corpus_dir: Path) -> None:
    now = [1000.0]
    desk.intake.clock = lambda: now[0]
    reply = await desk.handle(f"add {site.url('/story')}", ADMIN)
    now[0] += PREVIEW_SECONDS + 1
    answer = await desk.intake.confirm(ADMIN, reply.confirm_token, accept=True)
    assert answer.kind == "refused" and "expired" in answer.text
    assert not (small_corpus_dir / NEW_FILE).exists()


async def test_only_the_admin_who_asked_can_confirm(desk: Desk, site: Site, small_corpus_dir: Path) -> None:
    reply = await desk.handle(f"add {site.url('/story')}", ADMIN)
    for someone in (OTHER_ADMIN, MEMBER):
        answer = await desk.intake.confirm(someone, reply.confirm_token, accept=True)
        assert answer.kind == "refused" and "only the admin who asked" in answer.text
    assert not (small_corpus_dir / NEW_FILE).exists()
    # The preview still waits for its admin.
    assert (await desk.intake.confirm(ADMIN, reply.confirm_token, accept=True)).kind == "reload"


async def test_a_refused_add_is_one_sentence(desk: Desk, site: Site) -> None:
    reply = await desk.handle(f"add {site.url('/nothing-here')}", ADMIN)
    assert reply.answer.kind == "refused" and "404" in reply.answer.text
    assert reply.confirm_token is None


async def test_remove_moves_the_file_aside_and_reloads(desk: Desk, small_corpus_dir: Path) -> None:
    reply = await desk.handle("remove alpha", ADMIN)
    assert reply.answer.kind == "reload" and "Removed: alpha" in reply.answer.notes
    assert not (small_corpus_dir / "alpha.md").exists()
    assert (small_corpus_dir / ".removed" / "alpha.md").is_file()
    assert "alpha" not in {a.source.id for a in desk.index.corpus.articles}


async def test_remove_of_an_unknown_id_and_by_a_member(desk: Desk, small_corpus_dir: Path) -> None:
    assert "no article “nope”" in (await desk.handle("remove nope", ADMIN)).answer.text
    assert "not a source id" in (await desk.handle("remove ../alpha", ADMIN)).answer.text
    assert (await desk.handle("remove alpha", MEMBER)).answer.kind == "refused"
    assert (small_corpus_dir / "alpha.md").is_file()


async def test_a_question_starting_with_add_is_still_a_question(desk: Desk) -> None:
    reply = await desk.handle("add up the damages sought per user", MEMBER)
    assert reply.answer.kind in ("answer", "no_answer")


@pytest.mark.parametrize(("typed", "written"), [("yes", True), ("no", False)])
async def test_casebot_chat_asks_add_it_yes_no(
    settings, site: Site, small_corpus_dir: Path, typed: str, written: bool
) -> None:
    out = io.StringIO()
    # The chat runs its own event loop (bot/cli.py): off this test's.
    lines = io.StringIO(f"add {site.url('/story')}\n{typed}\n")
    assert await asyncio.to_thread(_chat, settings, lines, out) == 0
    assert "add it? (yes/no)" in out.getvalue()
    assert (small_corpus_dir / NEW_FILE).exists() is written
