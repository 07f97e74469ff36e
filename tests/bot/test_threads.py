"""Follow-ups in a thread: read with the thread's previous question, in memory, bounded and
expiring (bot/threads.py), through the desk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.commands import Command
from bot.desk import Caller, Desk
from bot.settings import Settings
from bot.threads import EXPIRY_SECONDS, MAX_THREADS, ThreadContexts

FIRST = "who is suing LinkedIn?"
IN_THREAD = Caller(platform="slack", user_id="U1", is_admin=False, channel_id="C1",
                   thread_id="C1:1.0")  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ask(text: str) -> Command:
    return Command(name="ask", argument=text)


def test_a_follow_up_is_read_with_the_previous_question_until_it_expires(seed_index) -> None:
    clock = Clock()
    threads = ThreadContexts(clock)
    threads.remember(IN_THREAD, _ask(FIRST), None)

    asked, previous = threads.resolve(seed_index, IN_THREAD, _ask("and when was that?"))
    assert previous == FIRST
    assert asked.argument == f"and when was that {FIRST}"
    # A follow-up keeps the context it was read with: "source?" after it reads FIRST too.
    threads.remember(IN_THREAD, asked, previous)
    assert threads.resolve(seed_index, IN_THREAD, _ask("source?"))[1] == FIRST

    clock.now += EXPIRY_SECONDS + 1
    assert threads.resolve(seed_index, IN_THREAD, _ask("and when was that?")) == (
        _ask("and when was that?"), None
    )  # fmt: skip


def test_no_context_outside_threads_or_in_another_thread(seed_index) -> None:
    threads = ThreadContexts(Clock())
    threads.remember(IN_THREAD, _ask(FIRST), None)
    elsewhere = Caller(platform="slack", user_id="U1", is_admin=False, channel_id="C1",
                       thread_id="C1:2.0")  # fmt: skip
    no_thread = Caller(platform="slack", user_id="U1", is_admin=False, channel_id="C1")
    other_platform = Caller(platform="discord", user_id="U1", is_admin=False,
                            thread_id="C1:1.0")  # fmt: skip
    for caller in (elsewhere, no_thread, other_platform):
        assert threads.resolve(seed_index, caller, _ask("and when was that?"))[1] is None


def test_the_oldest_threads_are_forgotten_past_the_bound(seed_index) -> None:
    threads = ThreadContexts(Clock())
    callers = [
        Caller(platform="slack", user_id="U1", is_admin=False, thread_id=f"C:{n}")
        for n in range(MAX_THREADS + 1)
    ]
    for caller in callers:
        threads.remember(caller, _ask(FIRST), None)
    assert threads.resolve(seed_index, callers[0], _ask("source?"))[1] is None
    assert threads.resolve(seed_index, callers[-1], _ask("source?"))[1] == FIRST


async def test_desk_answers_a_follow_up_with_the_context_and_says_so(
    make_settings: Callable[..., Settings], seed_corpus_dir: Path
) -> None:
    desk = await Desk.open(make_settings(corpus_dir=seed_corpus_dir))
    try:
        await desk.handle(FIRST, IN_THREAD)
        follow_up = await desk.handle("and when was that?", IN_THREAD)
        own = await desk.handle("how much are the plaintiffs seeking?", IN_THREAD)
        elsewhere = await desk.handle("and when was that?", Caller(
            platform="slack", user_id="U1", is_admin=False, channel_id="C1", thread_id="C1:9"
        ))  # fmt: skip
    finally:
        await desk.close()
    assert follow_up.answer.kind == "answer"
    assert follow_up.answer.question == "and when was that?"
    assert follow_up.answer.notes[0] == f"Read as a follow-up to “{FIRST}”."
    assert all("follow-up" not in note for note in own.answer.notes)
    assert all("follow-up" not in note for note in elsewhere.answer.notes)
