"""Following the case through the desk: what is news, exactly once, retries and drops.

A real desk and store over corpora written to tmp_path, reloaded for real. The platform
side is `Recorder`, a `bot.alerts.Poster` of the test's own (the Slack and Discord
adapters' posters are tested against the fakes in test_alerts_slack.py and
test_alerts_discord.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import MAX_QUOTES, STATUS_POINTER, PostFailed
from bot.desk import Caller, Desk
from bot.discord.embeds import render_discord
from bot.slack.blocks import render_slack
from bot.settings import Settings
from retrieval.model import Answer
from tests.support.alert_corpus import FILED, RE_REPORT, REFILED, WITHDRAWAL_SENTENCE, WITHDRAWN
from tests.support.corpora import article
from tests.support.fake_slack import block_kit_problems
from tests.support.discord_world import assert_within_limits

ADMIN = Caller("slack", "UADMIN", is_admin=True, channel_id="C1")


class Recorder:
    """Posts nowhere: records each alert, or fails as told, per channel."""

    platform = "slack"

    def __init__(
        self,
        failures: dict[str, list[PostFailed]] | None = None,
        always: dict[str, PostFailed] | None = None,
    ) -> None:
        self.sent: list[tuple[str, Answer]] = []
        self.failures = failures or {}  # used up one per try
        self.always = always or {}
        self.tries: list[str] = []

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        self.tries.append(channel_id)
        if channel_id in self.always:
            raise self.always[channel_id]
        if self.failures.get(channel_id):
            raise self.failures[channel_id].pop(0)
        self.sent.append((channel_id, answer))

    def to(self, channel_id: str) -> list[Answer]:
        return [answer for channel, answer in self.sent if channel == channel_id]


@pytest.fixture
def corpus(make_corpus: Callable[..., Path]) -> Path:
    return make_corpus(FILED)


@pytest.fixture
def running(
    corpus: Path, make_settings: Callable[..., Settings]
) -> Callable[..., Any]:
    """`async with running(poster, **settings) as desk`: a desk posting through `poster`."""

    @asynccontextmanager
    async def run(poster: Recorder, **overrides: Any) -> AsyncIterator[Desk]:
        settings = make_settings(corpus_dir=corpus, alert_retry_seconds=0, **overrides)
        desk = await Desk.open(settings)
        desk.alerts.attach(poster)
        try:
            yield desk
        finally:
            await desk.close()

    return run


async def say(desk: Desk, text: str, caller: Caller = ADMIN) -> Answer:
    answer = (await desk.handle(text, caller)).answer
    await desk.alerts.idle()
    return answer


async def test_news_is_posted_once_to_each_following_channel(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        assert "now follows" in (await say(desk, "follow")).text
        in_dm = Caller("slack", "UADMIN", is_admin=True, channel_id="D9")
        assert "now follows" in (await say(desk, "follow", in_dm)).text
        assert "already follows" in (await say(desk, "follow")).text
        await say(desk, "reload")
        assert poster.sent == []  # nothing new yet
        make_corpus(WITHDRAWN)
        assert (await say(desk, "reload")).kind == "reload"

        assert sorted(channel for channel, _ in poster.sent) == ["C1", "D9"]
        (alert,) = poster.to("C1")
        (quote,) = alert.quotes
        assert " ".join(WITHDRAWAL_SENTENCE.split()) == quote.text
        assert (quote.source.outlet, quote.date.isoformat()) == ("Beta Daily", "2025-01-31")
        assert alert.notes[-1] == STATUS_POINTER

        # The same corpus again, twice: no news.
        await say(desk, "reload")
        await say(desk, "reload")
        assert len(poster.sent) == 2


async def test_a_restart_and_reload_post_nothing_again(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with running(Recorder()) as desk:
        await say(desk, "follow")
        make_corpus(WITHDRAWN)
        await say(desk, "reload")
    poster = Recorder()
    async with running(poster) as desk:
        await desk.alerts.idle()
        await say(desk, "reload")
        assert poster.sent == []


async def test_a_corpus_changed_while_stopped_brings_its_news_at_start(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    async with running(Recorder()) as desk:
        await say(desk, "follow")
    make_corpus(WITHDRAWN)
    poster = Recorder()
    async with running(poster) as desk:
        await desk.alerts.idle()
        assert len(poster.to("C1")) == 1


async def test_a_re_report_of_a_known_development_is_not_news(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        await say(desk, "follow")
        make_corpus(WITHDRAWN)
        await say(desk, "reload")
        assert len(poster.sent) == 1
        # Published February 6, about the January 30 withdrawal.
        make_corpus(RE_REPORT)
        await say(desk, "reload")
        assert len(poster.sent) == 1


async def test_one_new_development_from_two_sources_is_one_quote_also_reported_by(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        await say(desk, "follow")
        make_corpus({**WITHDRAWN, **RE_REPORT})
        await say(desk, "reload")
        (alert,) = poster.to("C1")
        (quote,) = alert.quotes
        # The earliest report is quoted; the later one is "also reported by".
        assert quote.source.outlet == "Beta Daily"
        assert [source.outlet for source in quote.also_in] == ["Gamma Tech"]


async def test_a_burst_of_developments_is_one_message(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        await say(desk, "follow")
        make_corpus({**WITHDRAWN, **REFILED})
        await say(desk, "reload")
        (alert,) = poster.to("C1")
        assert [q.source.outlet for q in alert.quotes] == ["Beta Daily", "Delta Wire"]
        assert alert.text.startswith("2 new developments")


async def test_unfollow_stops_alerts(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        await say(desk, "follow")
        assert "no longer follows" in (await say(desk, "unfollow")).text
        assert "doesn't follow" in (await say(desk, "unfollow")).text
        make_corpus(WITHDRAWN)
        await say(desk, "reload")
        assert poster.sent == []
        assert (await say(desk, "following")).text == "No channel follows the case."


async def test_a_crash_between_posting_and_recording_repeats_only_that_alert(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    class PostsThenHangs(Recorder):
        """Posts to C2, then never returns: the process dies before the alert is marked."""

        async def post_alert(self, channel_id: str, answer: Answer) -> None:
            await super().post_alert(channel_id, answer)
            if channel_id == "C2":
                await asyncio.Event().wait()

    first = PostsThenHangs()
    async with running(first) as desk:
        await say(desk, "follow")
        await say(desk, "follow", Caller("slack", "UADMIN", True, "C2"))
        make_corpus(WITHDRAWN)
        await desk.handle("reload", ADMIN)
        # C1's alert posted and recorded; C2's posted and not recorded.
        while len(first.sent) < 2 or {key[:2] for key in await desk.store.pending_alerts()} != {
            ("slack", "C2")
        }:
            await asyncio.sleep(0)
        # Closing cancels the post to C2 before it was recorded, as a crash would.
    assert sorted(channel for channel, _ in first.sent) == ["C1", "C2"]

    second = Recorder()
    async with running(second) as desk:
        await desk.alerts.idle()
        await say(desk, "reload")
    assert [channel for channel, _ in second.sent] == ["C2"]


async def test_failures_are_retried_with_doubling_waits_then_a_gone_channel_is_dropped(
    corpus: Path, make_settings: Callable[..., Settings], make_corpus: Callable[..., Path]
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    settings = make_settings(corpus_dir=corpus, alert_attempts=4, alert_retry_seconds=2)
    desk = await Desk.open(settings)
    desk.alerts._sleep = sleep  # record the waits instead of waiting them
    gone = PostFailed("not_in_channel", gone=True)
    poster = Recorder(always={"C2": gone})
    desk.alerts.attach(poster)
    try:
        await say(desk, "follow")
        await say(desk, "follow", Caller("slack", "UADMIN", True, "C2"))
        make_corpus(WITHDRAWN)
        await say(desk, "reload")

        assert poster.tries.count("C2") == 4
        assert waits == [2, 4, 8]
        assert [channel for channel, _ in poster.sent] == ["C1"]
        following = await say(desk, "following")
        assert following.notes and all("C2" not in line for line in following.notes)
        _following, audit = await desk.store.recent_audit(2)
        assert (audit.user_id, audit.command) == ("system", "unfollow")
        assert "C2" in audit.result and "not_in_channel" in audit.result
        metrics = desk.metrics.registry
        assert metrics.get_sample_value("casebot_follows_dropped_total", {"platform": "slack"}) == 1
        assert metrics.get_sample_value("casebot_alerts_failed_total", {"platform": "slack"}) == 1
        assert metrics.get_sample_value("casebot_alerts_sent_total", {"platform": "slack"}) == 1

        make_corpus(REFILED)
        await say(desk, "reload")
        assert poster.tries.count("C2") == 4  # dropped: never tried again
    finally:
        await desk.close()


async def test_a_passing_failure_keeps_the_channel_and_the_alert_for_later(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    down = PostFailed("internal_error", gone=False)
    # Three tries fail (the last says "gone", but not every one did), then Slack is back.
    poster = Recorder({"C1": [down, down, PostFailed("not_in_channel", gone=True)]})
    async with running(poster, alert_attempts=3) as desk:
        await say(desk, "follow")
        make_corpus(WITHDRAWN)
        await say(desk, "reload")
        assert poster.sent == [] and poster.tries == ["C1"] * 3
        assert "C1" in (await say(desk, "following")).notes[0]
        await say(desk, "reload")  # the next reload brings no news, but posts what is owed
        assert len(poster.to("C1")) == 1
        await say(desk, "reload")
        assert len(poster.to("C1")) == 1


async def test_only_admins_or_channel_managers_may_follow_unless_anyone_may(
    running: Callable[..., Any],
) -> None:
    member = Caller("discord", "42", is_admin=False, channel_id="100")
    manager = Caller("discord", "43", is_admin=False, channel_id="100", manages_channel=True)
    async with running(Recorder()) as desk:
        refused = await say(desk, "follow", member)
        assert refused.kind == "refused" and "manage this channel" in refused.text
        assert (await say(desk, "following", manager)).kind == "refused"
        assert "now follows" in (await say(desk, "follow", manager)).text
        assert (await say(desk, "follow", Caller("console", "console", True))).kind == "refused"
        audit = await desk.store.recent_audit(4)
        assert [(a.user_id, a.command, a.allowed) for a in reversed(audit)] == [
            ("42", "follow", False), ("43", "following", False), ("43", "follow", True),
            ("console", "follow", True),
        ]  # fmt: skip
    async with running(Recorder(), anyone_can_follow=True) as desk:
        assert "no longer follows" in (await say(desk, "unfollow", member)).text
        assert (await say(desk, "following", member)).kind == "refused"


async def test_a_desk_with_no_platform_connected_moves_nothing(
    running: Callable[..., Any],
    corpus: Path,
    make_corpus: Callable[..., Path],
    make_settings: Callable[..., Settings],
) -> None:
    async with running(Recorder()) as desk:
        await say(desk, "follow")
    make_corpus(WITHDRAWN)
    # `casebot chat --corpus other/` on the same database, where a later development is
    # told: it posts to nobody, so it must not make serve's January 30 news old.
    other = make_corpus({**FILED, **REFILED}, name="other")
    console = await Desk.open(make_settings(corpus_dir=other))
    try:
        await say(console, "reload", Caller("console", "console", is_admin=True))
    finally:
        await console.close()
    poster = Recorder()
    async with running(poster) as desk:
        await desk.alerts.idle()
        assert len(poster.to("C1")) == 1


async def test_a_long_burst_is_one_message_within_both_platforms_limits(
    running: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    poster = Recorder()
    async with running(poster) as desk:
        await say(desk, "follow")
        long_tail = " and the court's docket, which runs to many pages," * 20
        make_corpus({
            f"ruling-{day:02d}.md": article(
                outlet=f"Outlet {day}", published=f"2025-03-{day:02d}",
                paragraphs=[f"The judge dismissed the lawsuit{long_tail} on March {day}, 2025."],
            )
            for day in range(1, 13)
        })  # fmt: skip
        await say(desk, "reload")
        (alert,) = poster.to("C1")
        assert len(alert.quotes) == MAX_QUOTES
        assert alert.notes[0] == f"…and {12 - MAX_QUOTES} more: `/case timeline`"
        assert block_kit_problems(render_slack(alert).to_dict()["blocks"]) == []
        body = render_discord(alert).send_kwargs()
        embeds = [embed.to_dict() for embed in body["embeds"]]
        assert_within_limits({"content": body["content"], "embeds": embeds})
