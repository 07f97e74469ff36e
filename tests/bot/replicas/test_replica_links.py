"""The replicas' own links through PostgreSQL, in one process on a real server: reloads
heard by every replica (LISTEN/NOTIFY), the Discord gateway held by one (an advisory lock),
and both through a database restart. The whole `casebot serve` is in test_replicas.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.caller import Caller
from bot.desk import Desk
from bot.replicas.corpus_sync import CorpusSync
from bot.replicas.gateway import ElectedDiscord
from bot.replicas.version import corpus_version
from tests.support.corpora import SMALL_CORPUS, article

ADMIN = Caller(platform="slack", user_id="UADMIN", is_admin=True)
# Generous: the machine is shared; these are timeouts, not measurements.
WAIT = 60.0

NEW_ARTICLE = article(
    title="LinkedIn answers the suit", outlet="Delta Wire", published="2025-02-10",
    paragraphs=["LinkedIn filed a motion to dismiss the lawsuit on February 10, 2025."],
)  # fmt: skip


async def _until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


@pytest.fixture
async def replicas(make_corpus, make_settings, tmp_path: Path, postgres_url: str):
    """Three desks on one corpus folder, each with its own corpus sync on one database."""
    corpus = make_corpus(SMALL_CORPUS)
    desks, syncs = [], []
    for number in range(3):
        settings = make_settings(corpus_dir=corpus, db_path=tmp_path / f"r{number}.db")
        desk = await Desk.open(settings)
        sync = CorpusSync(desk, postgres_url)
        await sync.start()
        desks.append(desk)
        syncs.append(sync)
    for sync in syncs:
        await asyncio.wait_for(sync.connected.wait(), WAIT)
    yield corpus, desks, syncs
    for sync in syncs:
        await sync.close()
    for desk in desks:
        await desk.close()


async def test_a_reload_on_one_replica_reloads_every_replica_once(replicas) -> None:
    corpus, desks, syncs = replicas
    before = {corpus_version(desk.docket) for desk in desks}
    assert len(before) == 1  # the same files: the same version
    reloads = [0, 0, 0]
    for number, desk in enumerate(desks):
        desk.reload_listeners.append(lambda _, n=number: reloads.__setitem__(n, reloads[n] + 1))

    (corpus / "delta.md").write_text(NEW_ARTICLE, encoding="utf-8")
    answer = await desks[0].reload(ADMIN)
    assert answer.kind == "reload"
    new = corpus_version(desks[0].docket)
    assert new not in before
    await _until(lambda: all(corpus_version(desk.docket) == new for desk in desks))
    # Long enough for an echo to have come back, had there been one.
    await asyncio.sleep(2.0)
    assert reloads == [1, 1, 1]
    assert all(len(desk.docket.only.index.corpus.articles) == 4 for desk in desks)


async def test_after_the_database_restarts_replicas_reconnect_and_catch_up(
    replicas, postgres_server
) -> None:
    corpus, desks, syncs = replicas
    assert all([await sync.is_connected() for sync in syncs])
    postgres_server.stop()
    try:
        # Readiness says so while the database is away.
        await _until(lambda: not any(sync.connected.is_set() for sync in syncs))
        assert not any([await sync.is_connected() for sync in syncs])
        # A reload while it is away: the notice can't go out now.
        (corpus / "delta.md").write_text(NEW_ARTICLE, encoding="utf-8")
        await desks[0].reload(ADMIN)
    finally:
        postgres_server.start()
    new = corpus_version(desks[0].docket)
    # Back: the notice goes out late, and the others catch up anyway.
    await _until(lambda: all(sync.connected.is_set() for sync in syncs))
    await _until(lambda: all(corpus_version(desk.docket) == new for desk in desks))
    assert all([await sync.is_connected() for sync in syncs])


class _FakeAdapter:
    """What `ElectedDiscord` starts when elected: stands for bot.discord.adapter's (whose
    connection to the fake Discord is tested through `casebot serve` in test_replicas.py)."""

    platform = "discord"

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def is_connected(self) -> bool:
        return not self.closed.is_set()

    async def wait(self) -> None:
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed.set()


async def test_one_replica_holds_the_gateway_and_another_takes_it_when_it_goes(
    make_settings, postgres_url: str
) -> None:
    started: list[tuple[int, _FakeAdapter]] = []

    def starter(number: int):
        async def start(desk: Any, settings: Any) -> _FakeAdapter:
            adapter = _FakeAdapter()
            started.append((number, adapter))
            return adapter

        return start

    settings = make_settings()
    elected = []
    for number in range(3):
        replica = ElectedDiscord(None, settings, postgres_url, starter(number))  # type: ignore[arg-type]
        await replica.start()
        elected.append(replica)
    try:
        await _until(lambda: len(started) == 1)
        await asyncio.sleep(3.0)  # the others keep trying meanwhile: none gets it
        assert len(started) == 1
        holder, adapter = started[0]
        assert elected[holder].state == "connected"
        assert [r.state for n, r in enumerate(elected) if n != holder] == ["standby"] * 2
        assert all([await r.is_connected() for r in elected])  # standing by is ready

        # The holder's database connection dies (as when its process is killed).
        elected[holder]._connection.terminate()
        lost_at = time.monotonic()
        await _until(lambda: len(started) == 2, timeout=15.0)
        taken_after = time.monotonic() - lost_at
        assert adapter.closed.is_set()  # the old holder left the gateway
        assert started[1][0] != holder
        assert taken_after < 15.0
        await asyncio.sleep(3.0)
        assert len([r for r in elected if r.state == "connected"]) == 1

        # A rolling restart: the new holder stops (SIGTERM closes it) and one of the
        # others (the first, back on standby since, or the third) takes the gateway.
        second = started[1][0]
        await elected[second].close()
        assert started[1][1].closed.is_set()
        await _until(lambda: len(started) == 3, timeout=15.0)
        assert started[2][0] != second
    finally:
        for replica in elected:
            await replica.close()


async def test_one_process_on_sqlite_keeps_its_state_in_memory(make_settings) -> None:
    from bot.intake.chat import LocalPreviews
    from bot.threads import ThreadContexts

    desk = await Desk.open(make_settings())
    try:
        assert desk.shared is None
        assert type(desk.threads) is ThreadContexts
        assert type(desk.intake._previews) is LocalPreviews
        assert desk.limits.shared_rate is None
    finally:
        await desk.close()


async def test_expired_shared_state_leaves_the_database(make_settings, postgres_url: str) -> None:
    import asyncpg

    from bot.replicas.housekeeping import Housekeeping
    from bot.store import Store

    store = await Store.from_settings(make_settings(database_url=postgres_url))
    housekeeping = Housekeeping(store, every=0.2)
    try:
        await store.shared_put("thread", "slack\x1fC1:1.0", '["who is suing?", null, 0]', ttl=0.5)
        await store.shared_put("thread", "slack\x1fC1:2.0", '["who sued?", null, 0]', ttl=600)
        housekeeping.start()
        connection = await asyncpg.connect(postgres_url)
        try:
            async def kept() -> int:
                return int(await connection.fetchval("SELECT count(*) FROM shared"))

            deadline = time.monotonic() + WAIT
            while await kept() != 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            assert await store.shared_get("thread", "slack\x1fC1:2.0") is not None
        finally:
            await connection.close()
    finally:
        await housekeeping.close()
        await store.close()


async def test_which_case_asked_on_one_replica_is_chosen_on_another(
    tmp_path: Path, make_settings, postgres_url: str
) -> None:
    from bot.choices import choice_value
    from tests.support.cases import write_cases

    corpus = write_cases(tmp_path / "cases", ("linkedin", "parcelo"))
    member = Caller("slack", "UMEMBER", is_admin=False, channel_id="C1")
    stranger = Caller("slack", "USTRANGER", is_admin=False, channel_id="C1")
    desks = [
        await Desk.open(make_settings(corpus_dir=corpus, database_url=postgres_url))
        for _ in range(2)
    ]
    try:
        reply = await desks[0].handle("who is suing?", member)
        assert reply.answer.kind == "choose" and reply.choice is not None
        value = choice_value(reply.choice.token, "parcelo")
        # Someone else's choice, on the other replica, finds nothing of theirs.
        refused = await desks[1].choose(stranger, value)
        assert refused.answer.kind == "refused"
        answered = await desks[1].choose(member, value)
        assert answered.answer.kind == "answer" and answered.answer.question == "who is suing?"
        assert answered.answer.case == "Okafor v. Parcelo"
        # Chosen again on the replica that asked: it was answered once.
        again = await desks[0].choose(member, value)
        assert again.answer.kind == "refused" and "no longer have" in again.answer.text
    finally:
        for desk in desks:
            await desk.close()


async def test_a_holder_that_cannot_reach_discord_lets_go_and_tries_again(
    make_settings, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import discord

    from bot.discord.adapter import DiscordStartError
    from bot.replicas import gateway

    monkeypatch.setattr(gateway, "FAILED_START_SECONDS", 0.5)
    tries: list[str] = []

    async def flaky(desk: Any, settings: Any) -> _FakeAdapter:
        tries.append("try")
        if len(tries) == 1:
            raise DiscordStartError("could not connect to Discord's gateway") from OSError()
        return _FakeAdapter()

    replica = ElectedDiscord(None, make_settings(), postgres_url, flaky)  # type: ignore[arg-type]
    await replica.start()
    try:
        await _until(lambda: replica.state == "connected")
        assert len(tries) == 2
    finally:
        await replica.close()

    async def refused(desk: Any, settings: Any) -> _FakeAdapter:
        raise DiscordStartError("Discord refused the bot token") from discord.LoginFailure()

    replica = ElectedDiscord(None, make_settings(), postgres_url, refused)  # type: ignore[arg-type]
    await replica.start()
    try:
        with pytest.raises(DiscordStartError):
            await asyncio.wait_for(replica.wait(), WAIT)  # serve stops, as without replicas
    finally:
        await replica.close()
