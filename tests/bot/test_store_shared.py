"""What replicas share through the store, on each backend (`database_target`: SQLite and a
real PostgreSQL): values with an expiry, taken and claimed once, rate-limit hits counted
across Store objects on one database, and owed alerts claimed by one Store at a time.
Plus the report's queries and votes, whose SQL both backends must read alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store


class Clock:
    """Wall-clock seconds that move only when a test says."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def two(database_target: str | Path, clock: Clock) -> AsyncIterator[tuple[Store, Store]]:
    """Two Store objects on one database, as two replicas would hold (on SQLite, two
    connections of one process), sharing a clock."""
    first = await Store.open(database_target)
    second = await Store.open(database_target)
    first._clock = second._clock = clock
    yield first, second
    await first.close()
    await second.close()


async def test_a_value_put_on_one_is_read_on_the_other_until_it_expires(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, other = two
    await one.shared_put("preview", "tok1", '{"url": "https://example.com/a"}', ttl=300)
    assert await other.shared_get("preview", "tok1") == '{"url": "https://example.com/a"}'
    assert await other.shared_get("preview", "tok2") is None
    assert await other.shared_get("thread", "tok1") is None  # kinds are apart
    # Replaced, with a new expiry.
    await other.shared_put("preview", "tok1", '"second"', ttl=10)
    clock.now += 9
    assert await one.shared_get("preview", "tok1") == '"second"'
    clock.now += 1
    assert await one.shared_get("preview", "tok1") is None


async def test_a_value_taken_twice_is_returned_once(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, other = two
    await one.shared_put("preview", "tok", '"article"', ttl=300)
    taken = await asyncio.gather(
        one.shared_take("preview", "tok"), other.shared_take("preview", "tok")
    )
    assert sorted(taken, key=str) == ['"article"', None]
    assert await one.shared_get("preview", "tok") is None
    # An expired value is not taken.
    await one.shared_put("preview", "old", '"late"', ttl=5)
    clock.now += 5
    assert await other.shared_take("preview", "old") is None


async def test_a_claim_made_twice_succeeds_once_until_it_expires(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, other = two
    claims = await asyncio.gather(
        *(store.shared_claim("slack-retry", "Ev123", ttl=60) for store in (one, other) * 5)
    )
    assert claims.count(True) == 1
    assert not await one.shared_claim("slack-retry", "Ev123", ttl=60)
    assert await one.shared_claim("slack-retry", "Ev456", ttl=60)
    clock.now += 60
    assert await other.shared_claim("slack-retry", "Ev123", ttl=60)


async def test_hits_are_counted_across_stores_within_a_sliding_window(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, other = two
    # 20 at once, half through each: exactly 5 are within a limit of 5 a minute.
    results = await asyncio.gather(
        *(store.count_hit("rate", "slack:U1", window=60, limit=5) for store in (one, other) * 10)
    )
    assert results.count(True) == 5
    # Another person is counted apart.
    assert await other.count_hit("rate", "slack:U2", window=60, limit=5)
    # Refused hits are not counted: once the first five leave the window, five more.
    clock.now += 59
    assert not await one.count_hit("rate", "slack:U1", window=60, limit=5)
    clock.now += 1
    assert [await other.count_hit("rate", "slack:U1", window=60, limit=5) for _ in range(6)] == [
        True, True, True, True, True, False,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        await one.count_hit("rate", "slack:U1", window=60, limit=0)


async def test_forget_expired_deletes_only_what_has_expired(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, _ = two
    await one.shared_put("thread", "short", '"a"', ttl=10)
    await one.shared_put("thread", "long", '"b"', ttl=1000)
    await one.count_hit("rate", "slack:U1", window=10, limit=5)
    await one.count_hit("rate", "slack:U2", window=1000, limit=5)
    assert await one.forget_expired() == 0
    clock.now += 10
    assert await one.forget_expired() == 2
    assert await one.shared_get("thread", "long") == '"b"'
    assert await one._rows("SELECT key FROM hits", ()) == [("slack:U2",)]


async def _follow_and_queue(store: Store, channels: int, developments: list[str]) -> None:
    for n in range(channels):
        await store.follow(platform="slack", channel_id=f"C{n}", case_id="c", by_user="U")
    await store.queue_alerts("c", developments, date(2025, 3, 1))


async def test_owed_alerts_are_claimed_by_one_store_at_a_time(
    two: tuple[Store, Store], clock: Clock
) -> None:
    one, other = two
    await _follow_and_queue(one, 5, ["d1", "d2"])
    # Both stores claim every channel's alerts at once.
    where = [{"platform": "slack", "channel_id": f"C{n}", "case_id": "c"} for n in range(5)]
    claims = await asyncio.gather(
        *(store.claim_alerts(**key, lease=300) for key in where for store in (one, other))
    )
    if one.backend == "sqlite":
        # One process: nothing is leased, as before replicas (the alerts module posts each
        # channel from one task at a time).
        assert claims == [["d1", "d2"]] * 10
        return
    # Each channel's two developments went to exactly one of the two, whole and in order.
    for n in range(5):
        pair = claims[2 * n : 2 * n + 2]
        assert sorted(pair) == [[], ["d1", "d2"]], pair
    # Claimed alerts are not owed to anyone else meanwhile.
    assert await other.pending_alerts() == {}
    assert await other.next_lease_end() == clock.now + 300
    # Released (a post that failed): owed again, to whoever claims next.
    await one.release_alerts(**where[0])
    assert await other.pending_alerts() == {("slack", "C0", "c"): ["d1", "d2"]}
    assert await other.claim_alerts(**where[0], lease=300) == ["d1", "d2"]
    # Done: never claimed again, even after the lease.
    await other.finish_alerts(**where[0], sent=["d1", "d2"])
    clock.now += 301
    assert await one.claim_alerts(**where[0], lease=300) == []
    # A store that claimed and died without finishing: the rest are owed again after the
    # lease, once, to one claimer.
    assert set(await one.pending_alerts()) == {("slack", f"C{n}", "c") for n in range(1, 5)}
    again = await asyncio.gather(
        *(store.claim_alerts(**where[1], lease=300) for store in (one, other))
    )
    assert sorted(again) == [[], ["d1", "d2"]]


async def test_alerts_queued_by_two_stores_at_once_are_queued_once(
    two: tuple[Store, Store],
) -> None:
    one, other = two
    for n in range(5):
        await one.follow(platform="slack", channel_id=f"C{n}", case_id="c", by_user="U")
    queued = await asyncio.gather(
        *(store.queue_alerts("c", ["d1"], date(2025, 3, 1)) for store in (one, other))
    )
    assert sum(queued) == 5
    assert len(await other.pending_alerts()) == 5


NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


async def test_votes_and_the_reports_figures(database_target: str | Path) -> None:
    store = await Store.open(database_target, store_questions=True)
    try:
        for n, kind in enumerate(["answer", "answer", "no_answer"]):
            await store.record_answer(
                answer_id=f"a{n}", case_id="c", platform="slack", command="ask", kind=kind,
                passages=[f"s#{n}"], question=f"question {n}?",
            )  # fmt: skip
        first = await store.answer("a0")
        assert first is not None and first.passages == ("s#0",) and first.question == "question 0?"
        assert await store.record_vote(first, platform="slack", user_id="U1", vote="up") is None
        replaced = await store.record_vote(
            first, platform="slack", user_id="U1", vote="down", reason="outdated"
        )
        assert replaced == "up"
        since = datetime.now(UTC) - timedelta(days=1)
        assert await store.answers_per_case(since) == [("c", 2, 1)]
        ((day, kind, count), (_, other_kind, other_count)) = await store.answers_per_day(since)
        assert (kind, count, other_kind, other_count) == ("answer", 2, "no_answer", 1)
        assert day == datetime.now(UTC).date().isoformat()
        assert await store.votes_per_kind(since, case_id="c") == [("answer", 0, 1)]
        assert await store.reasons(since) == [("outdated", 1)]
        assert await store.down_voted_passages(since) == [("c", "s#0", 1)]
        assert await store.frequent_questions(since, declined=True) == [("question 2?", 1)]
        assert await store.frequent_questions(since, declined=False) == [("question 0?", 1)]
        # Retention: nothing is old enough yet; everything is a day later.
        assert await store.forget_questions(30) == 0
        assert await store.forget_questions(0, now=datetime.now(UTC) + timedelta(days=1)) == 3
        assert (await store.answer("a0")).question is None  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_records_from_before_cases_are_adopted_once(database_target: str | Path) -> None:
    store = await Store.open(database_target)
    try:
        await store.follow(platform="slack", channel_id="C1", case_id="", by_user="U")
        await store.queue_alerts("", [], date(2025, 1, 30))
        assert await store.adopt_legacy("linkedin") is True
        assert await store.adopt_legacy("other") is False
        assert [f.case_id for f in await store.follows()] == ["linkedin"]
        assert await store.known_through("linkedin") == (True, date(2025, 1, 30))
        assert await store.known_through("") == (False, None)
    finally:
        await store.close()


async def test_the_user_salt_is_made_once_and_kept(database_target: str | Path) -> None:
    first = await Store.open(database_target)
    second = await Store.open(database_target)
    try:
        assert first.user_hash("slack", "U1") == second.user_hash("slack", "U1")
        assert first.user_hash("slack", "U1") != first.user_hash("slack", "U2")
    finally:
        await first.close()
        await second.close()
    salted = await Store.open(database_target, user_salt="operator's salt")
    try:
        assert salted.user_hash("slack", "U1") != first.user_hash("slack", "U1")
        assert await salted.healthy()
    finally:
        await salted.close()

