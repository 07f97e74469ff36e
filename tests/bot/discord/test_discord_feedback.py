"""Issue 14 in Discord, end to end (the real discord.py client against tests/support/fake_discord.py):
follow-ups in a thread, and the feedback buttons."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.support.fake_discord import EPHEMERAL
from tests.support.discord_world import CALLBACK, World, answered

FIRST = "who is suing LinkedIn?"


def _text(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


# --- follow-ups in a thread --------------------------------------------------------------


async def test_a_follow_up_in_the_answer_thread_is_read_with_its_previous_question(
    world: World, bot: Any
) -> None:
    async with bot():
        message = await world.mention_in(world.general, world.member, FIRST)
        # casebot answers in a thread it starts on the message, which takes its id.
        await world.fake.wait_for_request("POST", rf"/channels/{message['id']}/messages")
        thread = world.guild.channels[int(message["id"])]
        await world.mention_in(thread, world.member, "and when was that?")
        answer = await world.fake.wait_for_request(
            "POST", rf"/channels/{thread.id}/messages",
            where=lambda request: "and when was that?" in _text(request.body),
        )  # fmt: skip
    body = _text(answer.body)
    assert f"Read as a follow-up to “{FIRST}”." in body
    assert answer.body["embeds"][0]["title"] == "and when was that?"


async def test_a_question_of_its_own_in_the_thread_is_asked_as_typed(
    world: World, bot: Any
) -> None:
    async with bot():
        await world.mention_in(world.thread, world.member, FIRST)
        await world.fake.wait_for_request("POST", rf"/channels/{world.thread.id}/messages")
        own = "how much are the plaintiffs seeking?"
        await world.mention_in(world.thread, world.member, own)
        answer = await world.fake.wait_for_request(
            "POST", rf"/channels/{world.thread.id}/messages",
            where=lambda request: own in _text(request.body),
        )  # fmt: skip
    body = _text(answer.body)
    assert "follow-up" not in body
    assert "$1,000" in body


# --- feedback buttons --------------------------------------------------------------------


def buttons(body: dict[str, Any]) -> dict[str, str]:
    """The message's buttons: label -> custom_id."""
    return {
        button["label"]: button["custom_id"]
        for row in body.get("components") or [] for button in row["components"]
    }  # fmt: skip


async def click(
    world: World, body: dict[str, Any], label: str, *, user: dict[str, Any] | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Click the button `label` of the message `body`; returns the bot's response data."""
    interaction = await world.fake.click_button(
        user or world.member, buttons(body)[label], guild=world.guild,
        channel_id=channel_id or world.general.id, components=body["components"],
    )  # fmt: skip
    callback = await world.fake.wait_for_request(
        "POST", CALLBACK, lambda request: interaction["token"] in request.path
    )
    assert callback.body["type"] == 4
    data = callback.body["data"]
    assert data["flags"] & EPHEMERAL  # only the clicker sees it
    return data


def votes(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT platform, kind, passages, vote, reason, user_hash FROM feedback"
        ).fetchall()


async def test_ask_and_status_answers_carry_the_buttons_and_others_do_not(
    world: World, bot: Any
) -> None:
    async with bot():
        asked = (await answered(world, await world.slash(world.member, "ask", {"question": FIRST}))).body
        status = (await answered(world, await world.slash(world.member, "status"))).body
        sources = (await answered(world, await world.slash(world.member, "sources"))).body
        message = await world.mention_in(world.general, world.member, FIRST)
        mentioned = await world.fake.wait_for_request(
            "POST", rf"/channels/{message['id']}/messages"
        )
    for body in (asked, status, mentioned.body):
        assert list(buttons(body)) == ["👍", "👎"]
        assert all(len(custom_id) <= 100 for custom_id in buttons(body).values())
    assert buttons(sources) == {}


async def test_a_vote_is_recorded_thanked_privately_and_a_second_vote_replaces_it(
    world: World, bot: Any, tmp_path: Path
) -> None:
    db = tmp_path / "casebot.db"
    async with bot() as (desk, _):
        answer = (await answered(world, await world.slash(world.member, "ask", {"question": FIRST}))).body
        thanks = await click(world, answer, "👎")
        assert thanks["content"].startswith("Thanks for the 👎. Wrong source?")
        assert list(buttons(thanks)) == ["Wrong quote", "Outdated", "Missing"]
        ((platform, kind, passages, vote, reason, user_hash),) = votes(db)
        assert (platform, kind, vote, reason) == ("discord", "answer", "down", None)
        assert json.loads(str(passages))
        assert user_hash == desk.store.user_hash("discord", world.member["id"])

        noted = await click(world, thanks, "Wrong quote")
        assert noted["content"] == "Thanks, noted: wrong quote." and buttons(noted) == {}
        assert [row[3:5] for row in votes(db)] == [("down", "wrong_quote")]

        changed = await click(world, answer, "👍")
        assert changed["content"] == "Thanks, changed your vote to 👍."
        assert [row[3:5] for row in votes(db)] == [("up", None)]
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    assert str(world.member["id"]) not in dump


async def test_a_button_works_after_a_restart(world: World, bot: Any, tmp_path: Path) -> None:
    async with bot():
        answer = (await answered(world, await world.slash(world.member, "status"))).body
    async with bot():
        thanks = await click(world, answer, "👍")
    assert thanks["content"] == "Thanks for the 👍."
    assert [row[:2] + row[3:5] for row in votes(tmp_path / "casebot.db")] == [
        ("discord", "status", "up", None)
    ]  # fmt: skip


async def test_other_buttons_are_left_alone_and_a_forged_one_is_refused_politely(
    world: World, bot: Any
) -> None:
    async with bot():
        answer = (await answered(world, await world.slash(world.member, "ask", {"question": FIRST}))).body
        forged = json.loads(json.dumps(answer))
        forged["components"][0]["components"][0]["custom_id"] = "cbfb:ffffffffffffffff:up"
        refused = await click(world, forged, "👍")
    assert "no longer have that answer" in refused["content"]


# --- /case report ------------------------------------------------------------------------


async def test_case_report_is_private_to_admins_and_refused_to_others(
    world: World, bot: Any
) -> None:
    async with bot():
        await answered(world, await world.slash(world.member, "ask", {"question": FIRST}))
        asked = await world.slash(world.member, "report")
        refused = (await answered(world, asked)).body
        deferred = world.fake.requests_to("POST", rf"/interactions/\d+/{asked['token']}/callback")
        report = (await answered(world, await world.slash(world.manager, "report"))).body
    # Deferred privately (it reads the database), then the placeholder edited.
    assert deferred[0].body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "only casebot admins" in refused["content"]
    assert "1 question answered, 0 declined" in report["content"]
