"""Issue 14 in Slack, over the wire (the real slack-bolt app against tests/support/fake_slack.py):
follow-ups in a thread, and the feedback buttons."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.support.fake_slack import BOT_USER_ID, block_kit_problems, model_problems
from bot.slack.home import MAX_HOME_BLOCKS, home_view
from tests.support.cases import docket_of
from tests.support.corpora import article
from tests.support.slack_harness import (
    ADMIN,
    CHANNEL,
    MEMBER,
    Harness,
    all_text,
    buttons,
    click,
    mention,
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


# --- feedback buttons --------------------------------------------------------------------


def votes(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT platform, kind, passages, vote, reason, user_hash FROM feedback"
        ).fetchall()


async def test_ask_and_status_answers_carry_the_buttons_and_others_do_not(
    slack: Harness,
) -> None:
    asked = await slack.answer(FIRST)
    status = await slack.answer("status")
    timeline = await slack.answer("timeline")
    await slack.event(mention(f"<@{BOT_USER_ID}> {FIRST}"))
    (mentioned,) = await slack.posts(1)
    for payload in (asked, status, mentioned.payload):
        assert list(buttons(payload)) == ["👍", "👎"]
        assert all(len(value) <= 100 for value in buttons(payload).values())
    assert buttons(timeline) == {}


async def test_a_vote_is_recorded_thanked_privately_and_a_second_vote_replaces_it(
    slack: Harness, tmp_path: Path
) -> None:
    answer = await slack.answer(FIRST)
    thanks = await click(slack, answer, "👎")
    assert thanks["response_type"] == "ephemeral" and thanks["replace_original"] is False
    assert "Thanks for the 👎" in all_text(thanks)
    # "Wrong source?" after a 👎: the choices.
    assert "Wrong source?" in all_text(thanks)
    assert list(buttons(thanks)) == ["Wrong quote", "Outdated", "Missing"]
    ((platform, kind, passages, vote, reason, user_hash),) = votes(tmp_path / "casebot.db")
    assert (platform, kind, vote, reason) == ("slack", "answer", "down", None)
    assert json.loads(str(passages)) and all("#" in key for key in json.loads(str(passages)))
    assert user_hash == slack.desk.store.user_hash("slack", MEMBER) and MEMBER not in str(user_hash)

    reason = await click(slack, thanks, "Outdated")
    assert "Thanks, noted: outdated." in all_text(reason) and buttons(reason) == {}
    assert [row[3:5] for row in votes(tmp_path / "casebot.db")] == [("down", "outdated")]

    changed = await click(slack, answer, "👍")
    assert "changed your vote to 👍" in all_text(changed)
    assert [row[3:5] for row in votes(tmp_path / "casebot.db")] == [("up", None)]

    # Someone else's vote is their own.
    await click(slack, answer, "👎", user="UOTHER001")
    assert sorted(row[3] for row in votes(tmp_path / "casebot.db")) == ["down", "up"]


async def test_a_button_works_after_a_restart(
    start: Callable[..., Awaitable[Harness]], tmp_path: Path
) -> None:
    first = await start()
    answer = await first.answer(FIRST)
    await first.adapter.close()
    await first.desk.close()

    again = await start()
    thanks = await click(again, answer, "👎")
    assert "Thanks for the 👎" in all_text(thanks)
    assert [row[:2] + row[3:5] for row in votes(tmp_path / "casebot.db")] == [
        ("slack", "answer", "down", None)
    ]  # fmt: skip


async def test_the_question_is_kept_with_a_vote_only_when_storing_is_on(
    start: Callable[..., Awaitable[Harness]], tmp_path: Path
) -> None:
    off = await start()
    await click(off, await off.answer(FIRST), "👎")
    await off.adapter.close()
    await off.desk.close()
    on = await start(store_questions=True)
    # The fake Slack is the same: the new harness's response_urls must not repeat the old.
    on._keys = itertools.count(100)
    await click(on, await on.answer("how much are the plaintiffs seeking?"), "👎")
    with sqlite3.connect(tmp_path / "casebot.db") as db:
        rows = db.execute(
            "SELECT a.question FROM feedback f JOIN answers a ON a.id = f.answer_id"
            " ORDER BY f.rowid"
        ).fetchall()
    assert rows == [(None,), ("how much are the plaintiffs seeking?",)]


async def test_a_forged_button_value_gets_a_polite_refusal(slack: Harness) -> None:
    answer = await slack.answer(FIRST)
    for block in answer["blocks"]:
        if block["type"] == "actions":
            block["elements"][0]["value"] = "cbfb:ffffffffffffffff:up"
    thanks = await click(slack, answer, "👍")
    assert "no longer have that answer" in all_text(thanks)
    assert "Traceback" not in json.dumps(thanks)


def test_the_models_check_catches_a_broken_button() -> None:
    broken = {"type": "actions", "block_id": "b", "elements": [
        {"type": "button", "action_id": "a" * 300, "text": {"type": "plain_text", "text": "x"},
         "value": "v"}
    ]}  # fmt: skip
    assert model_problems(broken) != []


# --- App Home ----------------------------------------------------------------------------


def home_opened(user: str = MEMBER, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0MEMBER1", "tab": tab,
            "event_ts": "1.0"}  # fmt: skip


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_the_home_view_is_valid_block_kit_with_status_sources_and_how_to_ask(
    seed_corpus_dir: Path,
) -> None:
    view = home_view(docket_of(seed_corpus_dir), max_quotes=3)
    assert view["type"] == "home"
    assert model_problems(view) == []  # slack_sdk's View and Block models
    assert block_kit_problems(view["blocks"], max_blocks=MAX_HOME_BLOCKS) == []
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Where the case stands", "How to ask", "Sources"]
    assert "/case ask" in view_text(view) and "@casebot" in view_text(view)


def test_a_corpus_of_many_sources_still_fits_a_home_view(
    make_corpus: Callable[..., Path],
) -> None:
    files = {
        f"a{n:03d}.md": article(title=f"Article {n}", outlet=f"Outlet {n}",
                                published="2025-01-22", paragraphs=["LinkedIn was sued."])
        for n in range(400)
    }  # fmt: skip
    view = home_view(docket_of(make_corpus(files, name="many")), max_quotes=3)
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    assert model_problems(view) == []
    assert block_kit_problems(view["blocks"], max_blocks=MAX_HOME_BLOCKS) == []


async def test_opening_the_home_tab_publishes_it_and_the_messages_tab_does_not(
    slack: Harness,
) -> None:
    await slack.event(home_opened(tab="messages"))
    await slack.event(home_opened())
    (published,) = await slack.posts(1, "views.publish")
    assert published.payload["user_id"] == MEMBER
    assert "Where the case stands" in view_text(published.payload["view"])
    # The fake refuses views Slack would refuse; this one was taken.
    assert len(slack.fake.calls_to("views.publish")) == 1


async def test_a_reload_redraws_the_home_tab_of_those_who_opened_it(slack: Harness) -> None:
    await slack.event(home_opened())
    await slack.event(home_opened(user="UOTHER001"))
    await slack.posts(2, "views.publish")
    (slack.corpus_dir / "zeta.md").write_text(
        article(title="A brand new report", outlet="Zeta Wire", published="2025-02-01",
                paragraphs=["LinkedIn faces a lawsuit over Premium messages."]),
        encoding="utf-8",
    )  # fmt: skip
    assert (await slack.answer("reload", user=ADMIN))  # the admin's reload
    calls = await slack.posts(4, "views.publish")
    redrawn = {call.payload["user_id"] for call in calls[2:]}
    assert redrawn == {MEMBER, "UOTHER001"}
    assert all("Zeta Wire" in view_text(call.payload["view"]) for call in calls[2:])
    assert all("Zeta Wire" not in view_text(call.payload["view"]) for call in calls[:2])
