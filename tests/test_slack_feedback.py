"""Issue 14 in Slack, over the wire (the real slack-bolt app against tests/fake_slack.py):
follow-ups in a thread, and the feedback buttons."""

from __future__ import annotations

from tests.fake_slack import BOT_USER_ID
from tests.test_slack import (  # noqa: F401 - fixtures
    CHANNEL,
    Harness,
    all_text,
    corpus_copy,
    fake,
    mention,
    slack,
    stack,
    start,
)

FIRST = "who is suing LinkedIn?"


# --- follow-ups in a thread --------------------------------------------------------------


async def test_a_follow_up_in_the_thread_is_read_with_its_previous_question(
    slack: Harness,
) -> None:
    first = mention(f"<@{BOT_USER_ID}> {FIRST}")
    await slack.event(first)
    await slack.posts(1)
    # The mention started the thread; the follow-up is written in it.
    await slack.event(mention(f"<@{BOT_USER_ID}> and when was that?", thread_ts=first["ts"]))
    _, follow_up = await slack.posts(2)
    text = all_text(follow_up.payload)
    assert follow_up.payload["thread_ts"] == first["ts"]
    assert f"Read as a follow-up to “{FIRST}”." in text
    assert "Question: “and when was that?”" in text
    assert "filed" in text.lower()


async def test_a_question_of_its_own_in_the_thread_is_asked_as_typed(slack: Harness) -> None:
    first = mention(f"<@{BOT_USER_ID}> {FIRST}")
    await slack.event(first)
    await slack.posts(1)
    await slack.event(
        mention(f"<@{BOT_USER_ID}> how much are the plaintiffs seeking?", thread_ts=first["ts"])
    )
    _, own = await slack.posts(2)
    text = all_text(own.payload)
    assert "follow-up" not in text
    assert "$1,000" in text


async def test_the_same_thread_ts_in_another_channel_has_no_context(slack: Harness) -> None:
    first = mention(f"<@{BOT_USER_ID}> {FIRST}")
    await slack.event(first)
    await slack.posts(1)
    await slack.event(
        mention(f"<@{BOT_USER_ID}> and when was that?", thread_ts=first["ts"], channel="C0OTHER1")
    )
    _, other = await slack.posts(2)
    assert other.payload["channel"] == "C0OTHER1" != CHANNEL
    assert "follow-up" not in all_text(other.payload)
