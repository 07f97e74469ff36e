"""Issue 14 in Discord, end to end (the real discord.py client against tests/fake_discord.py):
follow-ups in a thread, and the feedback buttons."""

from __future__ import annotations

import json
from typing import Any

from tests.test_discord import (  # noqa: F401 - fixtures
    World,
    bot,
    world,
)

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
