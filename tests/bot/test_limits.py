"""Per-person limits: the token bucket, the in-flight cap, question length, and fairness.

The rate limit runs on a fake clock: nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.cli import _chat
from bot.commands import parse_command
from bot.desk import Caller, Desk
from bot.limits import InFlight, Limits, RateLimiter
from bot.settings import Settings

ALICE = ("slack", "U-ALICE")
BOB = ("slack", "U-BOB")
QUESTION = "who is suing LinkedIn?"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the token bucket ------------------------------------------------------------------


def test_a_burst_of_the_limit_passes_then_one_more_waits_for_a_token(clock: FakeClock) -> None:
    rate = RateLimiter(20, clock=clock)
    assert [rate.take(ALICE) for _ in range(20)] == [0.0] * 20
    assert rate.take(ALICE) == pytest.approx(3.0)  # 20 a minute: one token every 3 s
    clock.advance(1.0)
    assert rate.take(ALICE) == pytest.approx(2.0)  # a refusal spends nothing
    clock.advance(2.0)
    assert rate.take(ALICE) == 0.0
    assert rate.take(ALICE) == pytest.approx(3.0)


def test_each_person_on_each_platform_has_their_own_bucket(clock: FakeClock) -> None:
    rate = RateLimiter(2, clock=clock)
    assert [rate.take(ALICE), rate.take(ALICE)] == [0.0, 0.0]
    assert rate.take(ALICE) > 0
    assert rate.take(BOB) == 0.0
    assert rate.take(("discord", "U-ALICE")) == 0.0


def test_tokens_refill_up_to_the_limit_only(clock: FakeClock) -> None:
    rate = RateLimiter(6, clock=clock)
    for _ in range(6):
        rate.take(ALICE)
    clock.advance(3600)
    assert [rate.take(ALICE) for _ in range(6)] == [0.0] * 6
    assert rate.take(ALICE) == pytest.approx(10.0)


def test_buckets_of_people_gone_quiet_are_forgotten(clock: FakeClock) -> None:
    rate = RateLimiter(20, clock=clock)
    for n in range(1000):
        rate.take(("slack", f"U{n}"))
    assert len(rate) == 1000
    clock.advance(59.0)  # a bucket that gave one token is full again after 3 s
    rate.take(ALICE)
    assert len(rate) == 1


def test_a_clock_that_goes_back_refills_nothing(clock: FakeClock) -> None:
    rate = RateLimiter(1, clock=clock)
    assert rate.take(ALICE) == 0.0
    clock.advance(-30)
    assert rate.take(ALICE) == pytest.approx(60.0)


# --- requests in flight ----------------------------------------------------------------


def test_in_flight_is_capped_per_person_and_freed_on_leave() -> None:
    flight = InFlight(2)
    assert flight.enter(ALICE) and flight.enter(ALICE)
    assert not flight.enter(ALICE)
    assert flight.enter(BOB)
    flight.leave(ALICE)
    assert flight.count(ALICE) == 1
    assert flight.enter(ALICE)
    assert flight.enter(ALICE, exempt=True)  # counted, not checked
    assert flight.count(ALICE) == 3


def test_no_in_flight_limit_at_zero() -> None:
    flight = InFlight(0)
    assert all(flight.enter(ALICE) for _ in range(100))
    for _ in range(100):
        flight.leave(ALICE)
    assert flight.count(ALICE) == 0


# --- the limits together ---------------------------------------------------------------


def test_too_long_a_question_is_refused_saying_the_limit(clock: FakeClock) -> None:
    limits = Limits(max_question_chars=500, clock=clock)
    refusal = limits.admit(ALICE, parse_command("ask " + "why " * 200))
    assert refusal is not None and refusal.kind == "limited"
    assert "799 characters" in refusal.text and "up to 500 characters" in refusal.text
    assert limits.in_flight.count(ALICE) == 0
    assert limits.admit(ALICE, parse_command("ask " + "y" * 500)) is None


def test_length_counts_only_questions(clock: FakeClock) -> None:
    limits = Limits(max_question_chars=10, clock=clock)
    assert limits.admit(ALICE, parse_command("status " + "x" * 100)) is None


def test_rate_refusal_says_when_to_ask_again(clock: FakeClock) -> None:
    limits = Limits(rate_per_minute=2, clock=clock)
    for _ in range(2):
        assert limits.admit(ALICE, parse_command(QUESTION)) is None
        limits.release(ALICE)
    refusal = limits.admit(ALICE, parse_command(QUESTION))
    assert refusal is not None and refusal.kind == "limited"
    assert "at most 2 questions a minute" in refusal.text
    assert "ask again in 30 seconds" in refusal.text


def test_in_flight_refusal_asks_to_wait_for_the_answers(clock: FakeClock) -> None:
    limits = Limits(max_in_flight=2, clock=clock)
    assert limits.admit(ALICE, parse_command(QUESTION)) is None
    assert limits.admit(ALICE, parse_command(QUESTION)) is None
    refusal = limits.admit(ALICE, parse_command(QUESTION))
    assert refusal is not None and refusal.kind == "limited"
    assert "still answering your earlier 2 questions" in refusal.text
    limits.release(ALICE)
    assert limits.admit(ALICE, parse_command(QUESTION)) is None


def test_exempt_requests_pass_the_rate_and_in_flight_limits(clock: FakeClock) -> None:
    limits = Limits(rate_per_minute=1, max_in_flight=1, clock=clock)
    assert limits.admit(ALICE, parse_command("status")) is None
    assert limits.admit(ALICE, parse_command("reload"), exempt=True) is None
    assert limits.in_flight.count(ALICE) == 2


def test_all_limits_off_at_zero(clock: FakeClock) -> None:
    limits = Limits(clock=clock)
    for _ in range(1000):
        assert limits.admit(ALICE, parse_command("ask " + "x" * 10_000)) is None


# --- in the desk -----------------------------------------------------------------------

MEMBER = Caller(platform="slack", user_id="U-MEMBER", is_admin=False)
ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)


@pytest.fixture
async def desks(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> AsyncIterator[Callable[..., object]]:
    """`await desks(**settings)`: an open desk over the small corpus, closed afterwards."""
    opened: list[Desk] = []

    async def open_(**overrides: object) -> Desk:
        desk = await Desk.open(make_settings(corpus_dir=small_corpus_dir, **overrides))
        opened.append(desk)
        return desk

    yield open_
    for desk in opened:
        await desk.close()


async def test_desk_refuses_a_long_question_privately_before_any_work(
    desks: Callable[..., object], tmp_path: Path
) -> None:
    desk = await desks(store_questions=True)
    reply = await desk.handle("/case ask " + "x" * 501, MEMBER)
    assert reply.answer.kind == "limited" and reply.public is False
    assert "501 characters" in reply.answer.text and "500 characters" in reply.answer.text
    with sqlite3.connect(tmp_path / "casebot.db") as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (0,)


async def test_desk_limits_the_rate_and_lets_admin_reloads_through(
    desks: Callable[..., object], clock: FakeClock
) -> None:
    desk = await desks()
    desk.limits = Limits(rate_per_minute=3, max_in_flight=2, clock=clock)
    kinds = [(await desk.handle(QUESTION, ADMIN)).answer.kind for _ in range(4)]
    assert kinds == ["answer", "answer", "answer", "limited"]
    # A reload is an admin's way out of trouble: never limited for an admin.
    assert (await desk.handle("/case reload", ADMIN)).answer.kind == "reload"
    clock.advance(20)
    assert (await desk.handle(QUESTION, ADMIN)).answer.kind == "answer"


async def test_admin_refusals_count_toward_the_limits_and_each_admitted_one_is_audited(
    desks: Callable[..., object], clock: FakeClock
) -> None:
    desk = await desks()
    desk.limits = Limits(rate_per_minute=3, max_in_flight=2, clock=clock)
    # One person's stream of refused reloads must not write unlimited audit rows: a
    # refusal is a message like any other, so the rate limit stops the flood.
    kinds = [(await desk.handle("/case reload", MEMBER)).answer.kind for _ in range(10)]
    assert kinds == ["refused"] * 3 + ["limited"] * 7
    audit = await desk.store.recent_audit(100)
    assert [row.allowed for row in audit if row.user_id == MEMBER.user_id] == [False] * 3
    # ...and they used up the person's messages: a question now is limited too.
    assert (await desk.handle(QUESTION, MEMBER)).answer.kind == "limited"


async def test_a_flood_from_one_person_does_not_delay_another(
    desks: Callable[..., object],
) -> None:
    # Stored questions make each answer wait on the database, so a person's requests
    # really are in flight at once and the in-flight cap comes into play.
    desk = await desks(store_questions=True)
    flooder = Caller(platform="discord", user_id="flooder", is_admin=False)
    other = Caller(platform="slack", user_id="other", is_admin=False)

    async def timed(caller: Caller) -> tuple[str, float]:
        started = time.perf_counter()
        reply = await desk.handle(QUESTION, caller)
        return reply.answer.kind, time.perf_counter() - started

    flood = [asyncio.create_task(timed(flooder)) for _ in range(200)]
    kind, seconds = await timed(other)  # asked after all 200 are queued
    flooded = await asyncio.gather(*flood)

    assert kind == "answer"
    assert seconds < 1.0
    answered = [k for k, _ in flooded if k == "answer"]
    assert 1 <= len(answered) <= 20  # at most the rate's burst
    assert len(answered) + sum(1 for k, _ in flooded if k == "limited") == 200
    assert desk.limits.in_flight.count(("discord", "flooder")) == 0


def test_console_chat_has_no_rate_limit(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> None:
    out = io.StringIO()
    settings = make_settings(corpus_dir=small_corpus_dir, rate_limit=2)
    # The chat runs its own event loop (bot/cli.py).
    assert _chat(settings, stdin=io.StringIO("status\n" * 5), stdout=out) == 0
    assert "questions a minute" not in out.getvalue()
