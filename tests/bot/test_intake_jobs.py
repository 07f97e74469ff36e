"""Adds in chat against hostile servers: each in its own bounded job, at most so many at once,
never holding up questions or a shutdown; one preview per button; clicks within the limits.

The servers are `tests.support.intake_server` on 127.0.0.1 (CASEBOT_FETCH_PRIVATE on). Waits
are generous timeouts, never measurements.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.desk import Caller, Desk
from bot.feedback import button_value
from bot.intake.chat import STOPPING
from tests.support.fake_slack import FakeSlack
from tests.support.intake_pages import ARTICLE_PARAGRAPHS, news_page
from tests.support.intake_server import Route, Site, serve
from tests.support.slack_harness import all_text

REPO_ROOT = Path(__file__).resolve().parents[2]

ADMIN = Caller(platform="slack", user_id="UADMIN", is_admin=True)
OTHER_ADMIN = Caller(platform="slack", user_id="UOTHER", is_admin=True)
THIRD_ADMIN = Caller(platform="discord", user_id="3", is_admin=True)
MEMBER = Caller(platform="slack", user_id="UMEMBER", is_admin=False)
QUESTION = "How much are plaintiffs asking per user?"


class _Together:
    """Holds each request for its page until `count` have arrived, so that previews
    finish at the same moment."""

    def __init__(self, count: int) -> None:
        self._barrier = threading.Barrier(count, timeout=20)

    def __call__(self) -> None:
        self._barrier.wait()


@pytest.fixture
def site() -> Iterator[Site]:
    second = (
        "A second lawsuit says LinkedIn trained its models on the private messages of "
        "recruiters, according to a complaint filed in federal court on Friday.",
        *ARTICLE_PARAGRAPHS[1:],
    )
    routes = {
        "/first": Route(body=news_page(title="First story about the lawsuit").encode()),
        "/second": Route(body=news_page(title="Second story about the lawsuit", outlet="Other News",
                                        paragraphs=second).encode()),
        # Headers a byte every 0.2 s for a minute: far past any fetch timeout here.
        "/drip": Route(drip=0.2, drip_for=60),
    }  # fmt: skip
    with serve(routes) as running:
        yield running


@pytest.fixture
def settings(make_settings, small_corpus_dir: Path):
    return make_settings(corpus_dir=small_corpus_dir, fetch_private=True, fetch_timeout=60)


@pytest.fixture
async def desk(settings) -> AsyncIterator[Desk]:
    opened = await Desk.open(settings)
    yield opened
    await opened.close()


def _workers() -> list[int]:
    """The intake worker processes this process has running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] not in "ZX" and b"bot.intake.worker" in command:
            found.append(int(entry.name))
    return found


async def _hits(site: Site, count: int) -> None:
    async with asyncio.timeout(30):
        while len(site.hits) < count:
            await asyncio.sleep(0.05)


# --- one preview, one article ----------------------------------------------------------------


async def test_two_previews_finishing_together_each_add_their_own_article(
    desk: Desk, site: Site, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    together = _Together(2)
    for path in ("/first", "/second"):
        site.routes[path].before = together
    first, second = await asyncio.gather(
        desk.handle(f"add {site.url('/first')}", ADMIN), desk.handle(f"add {site.url('/second')}", ADMIN)
    )
    assert (first.answer.kind, second.answer.kind) == ("preview", "preview")
    assert "Title: First story about the lawsuit" in first.answer.notes
    assert "Title: Second story about the lawsuit" in second.answer.notes
    assert first.confirm_token != second.confirm_token

    added = await desk.intake.confirm(ADMIN, first.confirm_token, accept=True)
    assert added.text.startswith("Added example-tech-news-first-story-about-the-lawsuit.md"), added.text
    added = await desk.intake.confirm(ADMIN, second.confirm_token, accept=True)
    assert added.text.startswith("Added other-news-second-story-about-the-lawsuit.md"), added.text


# --- bounded jobs ------------------------------------------------------------------------------


async def test_adds_beyond_the_limits_are_refused_at_once(desk: Desk, site: Site) -> None:
    # Defaults: 3 at once in all, 2 for one admin.
    running = [asyncio.create_task(desk.handle(f"add {site.url('/drip')}", who))
               for who in (ADMIN, ADMIN, OTHER_ADMIN)]  # fmt: skip
    await _hits(site, 3)
    theirs = await asyncio.wait_for(desk.handle(f"add {site.url('/drip')}", ADMIN), 10)
    assert theirs.answer.kind == "limited" and "You already have 2 adds being fetched" in theirs.answer.text
    anyone = await asyncio.wait_for(desk.handle(f"add {site.url('/drip')}", THIRD_ADMIN), 10)
    assert anyone.answer.kind == "limited" and "already fetching 3 articles" in anyone.answer.text
    assert len(site.hits) == 3
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    # Cancelling a request kills its worker.
    async with asyncio.timeout(10):
        while _workers():
            await asyncio.sleep(0.05)


async def test_a_server_dripping_headers_is_cut_off_at_the_fetch_timeout(make_settings, small_corpus_dir: Path, site: Site) -> None:
    desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir, fetch_private=True, fetch_timeout=2))
    try:
        reply = await asyncio.wait_for(desk.handle(f"add {site.url('/drip')}", ADMIN), 20)
    finally:
        await desk.close()
    assert reply.answer.kind == "refused"
    assert "did not send the page within 2 seconds" in reply.answer.text


async def test_a_job_past_its_limit_is_killed(
    site: Site, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child's own fetch deadline (5 s) comes after the job's limit (5 + 1 - 4 = 2 s): the
    # parent's kill is what stops it, as it would a child stuck where no limit of its own
    # reaches (a resolver that never answers).
    from bot.intake import IntakeError, Options
    from bot.intake import worker

    monkeypatch.setattr(worker, "START_SECONDS", -4.0)
    options = Options(allow_private=True, timeout=5, extract_timeout=1)
    with pytest.raises(IntakeError, match="took longer than 2 seconds, so casebot stopped it"):
        await asyncio.wait_for(worker.prepare_in_child(site.url("/drip"), small_corpus_dir, options), 20)
    assert _workers() == []


async def test_questions_are_answered_while_six_hostile_adds_run(desk: Desk, site: Site) -> None:
    adds = [asyncio.create_task(desk.handle(f"add {site.url('/drip')}", who))
            for who in (ADMIN, OTHER_ADMIN, THIRD_ADMIN) for _ in range(2)]  # fmt: skip
    await _hits(site, 3)
    for n in range(20):
        asker = Caller(platform="slack", user_id=f"U{n}", is_admin=False)
        reply = await asyncio.wait_for(desk.handle(QUESTION, asker), 10)
        assert reply.answer.kind in ("answer", "no_answer")
    desk.intake.stop()
    replies = await asyncio.wait_for(asyncio.gather(*adds), 10)
    kinds = sorted(r.answer.kind for r in replies)
    assert kinds == ["limited"] * 3 + ["refused"] * 3


async def test_stopping_ends_every_add_at_once_and_kills_its_worker(desk: Desk, site: Site) -> None:
    adds = [asyncio.create_task(desk.handle(f"add {site.url('/drip')}", ADMIN)) for _ in range(2)]
    await _hits(site, 2)
    assert len(_workers()) == 2
    desk.intake.stop()
    replies = await asyncio.wait_for(asyncio.gather(*adds), 10)
    assert [r.answer.text for r in replies] == [STOPPING, STOPPING]
    assert _workers() == []
    late = await desk.handle(f"add {site.url('/first')}", ADMIN)
    assert late.answer.text == STOPPING


async def test_sigterm_stops_casebot_serve_at_once_while_hostile_adds_run(
    tmp_path: Path, site: Site, seed_corpus_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in seed_corpus_dir.glob("*.md"):
        (corpus / path.name).write_bytes(path.read_bytes())
    async with FakeSlack() as slack:
        settings = {
            "SLACK_ADMIN_IDS": "UADMIN,UOTHER",
            "CASEBOT_CORPUS_DIR": str(corpus),
            "CASEBOT_DB_PATH": str(tmp_path / "casebot.db"),
            "CASEBOT_OPS_PORT": "0",
            "CASEBOT_FETCH_PRIVATE": "true",
            # Each add would run for a minute (the server drips for that long).
            "CASEBOT_FETCH_TIMEOUT": "60",
        }
        serving = [sys.executable, "-m", "bot.cli", "serve"]
        process = await asyncio.create_subprocess_exec(
            *serving, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **slack.socket_mode_environment(), **settings},
        )  # fmt: skip
        try:
            await slack.wait_for_call("socket_connect", timeout=60)
            for n, user in enumerate(("UADMIN", "UADMIN", "UOTHER")):
                body = {
                    "command": "/case", "text": f"add {site.url('/drip')}", "user_id": user,
                    "channel_id": "C1", "team_id": "T1", "api_app_id": "A1",
                    "trigger_id": f"trigger-{n}", "response_url": slack.response_url(f"add-{n}"),
                }  # fmt: skip
                await slack.send_envelope("slash_commands", body)
            await _hits(site, 3)
        finally:
            stopped = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        # Well inside the 10 s the adapters give answers in flight, let alone the 30 s
        # deploy/ gives casebot to stop: the adds did not run their minute.
        assert time.monotonic() - stopped < 8, stderr.decode()
        assert process.returncode == 0, stderr.decode()
        for n in range(3):
            (reply,) = slack.calls_to("response_url", f"add-{n}")
            assert "casebot is restarting" in all_text(reply.payload)


# --- clicks count toward the limits ------------------------------------------------------------


async def test_feedback_clicks_count_toward_the_rate_limit(desk: Desk) -> None:
    answered = await desk.handle(QUESTION, MEMBER)
    assert answered.feedback_id is not None
    value = button_value(answered.feedback_id, "up")
    thanks = [await desk.vote(MEMBER, value) for _ in range(300)]
    kinds = [t.answer.kind for t in thanks]
    # The question took one of the 20 a minute; a few more may refill while this runs.
    assert kinds.count("answer") <= 22 and kinds.count("limited") >= 278
    assert kinds[:19] == ["answer"] * 19


async def test_clicks_on_someone_elses_add_buttons_count_too(desk: Desk, site: Site) -> None:
    preview = await desk.handle(f"add {site.url('/first')}", ADMIN)
    answers = [await desk.intake.confirm(MEMBER, preview.confirm_token, accept=True) for _ in range(100)]
    assert sum(a.kind == "limited" for a in answers) >= 78
    audit = await desk.store.recent_audit(500)
    assert sum(1 for a in audit if a.user_id == MEMBER.user_id) <= 22
    # The admin's own click still adds it.
    assert (await desk.intake.confirm(ADMIN, preview.confirm_token, accept=True)).kind == "reload"
