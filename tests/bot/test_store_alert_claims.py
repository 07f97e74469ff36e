"""Alerts exactly once across replicas: three desks on one real PostgreSQL database, each
posting through its own recorder, as three `casebot serve` processes would (the processes
themselves are run in tests/bot/replicas/). The claims are the store's
(`Store.claim_alerts`); what is shown here is that bot/alerts.py posts through them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.alerts import PostFailed
from bot.desk import Caller, Desk
from bot.settings import Settings
from retrieval.model import Answer
from tests.support.alert_corpus import FILED, WITHDRAWN

ADMIN = "UADMIN"
CHANNELS = [f"C{n}" for n in range(5)]


class Recorder:
    """Records each alert it is given; with `hang`, records it and then never returns, as
    a replica killed between posting and recording would leave it."""

    platform = "slack"

    def __init__(self, *, hang: bool = False) -> None:
        self.sent: list[str] = []
        self.hang = hang

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        self.sent.append(channel_id)
        if self.hang:
            await asyncio.Event().wait()


async def _desks(settings: Settings, n: int) -> list[Desk]:
    return list(await asyncio.gather(*(Desk.open(settings) for _ in range(n))))


async def _follow(desk: Desk) -> None:
    for channel in CHANNELS:
        caller = Caller("slack", ADMIN, is_admin=True, channel_id=channel)
        assert "now follows" in (await desk.handle("follow", caller)).answer.text


async def _until(check: Callable[[], bool], seconds: float = 60.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.05)


async def test_three_replicas_reloading_the_same_news_post_it_once_per_channel(
    make_settings: Callable[..., Settings], make_corpus: Callable[..., Path], postgres_url: str
) -> None:
    corpus = make_corpus(FILED)
    settings = make_settings(corpus_dir=corpus, database_url=postgres_url, alert_retry_seconds=0)
    desks = await _desks(settings, 3)
    recorders = [Recorder() for _ in desks]
    try:
        for desk, recorder in zip(desks, recorders, strict=True):
            desk.alerts.attach(recorder)  # connected: the first corpus sets the mark of news
            await desk.alerts.idle()
        await _follow(desks[0])
        make_corpus(WITHDRAWN)
        admin = Caller("slack", ADMIN, is_admin=True, channel_id="C0")
        replies = await asyncio.gather(*(desk.handle("reload", admin) for desk in desks))
        assert all(reply.answer.kind == "reload" for reply in replies)
        await asyncio.gather(*(desk.alerts.idle() for desk in desks))
        posted = sorted(channel for recorder in recorders for channel in recorder.sent)
        assert posted == CHANNELS
        assert await desks[1].store.pending_alerts() == {}
    finally:
        for desk in desks:
            await desk.close()


async def test_a_replica_killed_mid_post_leaves_its_alerts_to_another_once(
    make_settings: Callable[..., Settings], make_corpus: Callable[..., Path],
    postgres_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # A lease of 1 s instead of minutes, so the survivor's wait is short.
    monkeypatch.setattr("bot.alerts.POST_SECONDS", 0.5)
    monkeypatch.setattr("bot.alerts.LEASE_MARGIN_SECONDS", 0.5)
    corpus = make_corpus(FILED)
    settings = make_settings(
        corpus_dir=corpus, database_url=postgres_url, alert_retry_seconds=0, alert_attempts=1
    )
    dying, survivor = await _desks(settings, 2)
    hanging, recorder = Recorder(hang=True), Recorder()
    try:
        # The dying replica alone is connected: it posts to every channel, and records none.
        dying.alerts.attach(hanging)
        await dying.alerts.idle()  # the first corpus sets the mark of news
        await _follow(dying)
        make_corpus(WITHDRAWN)
        admin = Caller("slack", ADMIN, is_admin=True, channel_id="C0")
        await dying.handle("reload", admin)
        await _until(lambda: len(hanging.sent) == len(CHANNELS) - 1)  # 4 posting at once
        # The survivor, connected meanwhile, finds them all claimed...
        survivor.alerts.attach(recorder)
        await survivor.handle("reload", admin)
        await survivor.alerts.idle()
        claimed = set(hanging.sent)
        assert not claimed & set(recorder.sent)
    finally:
        await dying.close()  # ...and the dying replica goes without recording its posts.
    try:
        # Once the claims lapse, the survivor posts each channel's alert once: the four the
        # dying replica posted and never recorded once more (the single-process
        # guarantee), and the one it never reached.
        await _until(lambda: len(recorder.sent) == len(CHANNELS))
        await asyncio.sleep(2.5)  # another lapse, and nothing more is posted
        assert sorted(recorder.sent) == CHANNELS
        assert await survivor.store.pending_alerts() == {}
        assert await survivor.store.next_lease_end() is None
    finally:
        await survivor.close()


class Refusing(Recorder):
    """A platform that refuses every post for a passing reason (the alert stays owed)."""

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        self.sent.append(channel_id)
        raise PostFailed("service_unavailable", gone=False)


async def test_news_from_a_replica_ahead_is_not_stale_to_one_behind(
    make_settings: Callable[..., Settings], make_corpus: Callable[..., Path], postgres_url: str
) -> None:
    corpus = make_corpus(FILED)
    settings = make_settings(
        corpus_dir=corpus, database_url=postgres_url, alert_retry_seconds=0, alert_attempts=1
    )
    ahead, behind = await _desks(settings, 2)
    refusing, recorder = Refusing(), Recorder()
    admin = Caller("slack", ADMIN, is_admin=True, channel_id="C0")
    try:
        ahead.alerts.attach(refusing)
        await ahead.alerts.idle()
        await _follow(ahead)
        make_corpus(WITHDRAWN)
        await ahead.handle("reload", admin)
        await ahead.alerts.idle()
        assert sorted(refusing.sent) == CHANNELS  # queued, tried, refused: still owed
        # A replica still serving the corpus from before the news can't quote it, and must
        # not mark it stale: it leaves it owed.
        behind.alerts.attach(recorder)
        await behind.alerts.idle()
        assert recorder.sent == []
        assert len(await behind.store.pending_alerts()) == len(CHANNELS)
        # Once it has read the new corpus, it posts the news, once per channel.
        await behind.handle("reload", admin)
        await behind.alerts.idle()
        assert sorted(recorder.sent) == CHANNELS
        outcomes = await behind.store._rows("SELECT DISTINCT outcome FROM alerts", ())
        assert outcomes == [("sent",)]
    finally:
        await ahead.close()
        await behind.close()
