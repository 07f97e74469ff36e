"""Many cases on Discord, over the wire (the real discord.py against tests/support/fake_discord.py):
the `case` option and its suggestions, the select menu under "Which case?", /case use,
mentions finding their case, alerts naming their case, and fifty cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.alert_corpus import REFILED
from tests.support.cases import case_urls, urls_in, write_cases, write_fifty
from tests.support.discord_world import (
    CALLBACK,
    FOLLOWUP,
    ORIGINAL,
    World,
    answered,
    assert_within_limits,
    embed_text,
    message_body,
)
from tests.support.fake_discord import EPHEMERAL

NAMES = {"linkedin": "De La Torre v. LinkedIn", "parcelo": "Okafor v. Parcelo",
         "kessling": "Kessling v. Ardent Polymers"}  # fmt: skip


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    return write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))


def assert_from(body: dict[str, Any], corpus: Path, case: str) -> None:
    """The message names its case and links only to that case's sources (and to some)."""
    assert (body.get("content") or "").startswith(f"-# Case: {NAMES[case]}\n"), body.get("content")
    linked = urls_in(body.get("embeds") or [])
    assert linked and linked <= case_urls(corpus, case), linked
    assert_within_limits(body)


def menus(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The select menus of a message."""
    return [c for row in body.get("components") or [] for c in row["components"] if c["type"] == 3]


async def choose(
    world: World, body: dict[str, Any], case_id: str, *, user: dict[str, Any] | None = None,
    ephemeral: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Pick `case_id` in the message's menu, as `user` (the member by default)."""
    menu = next(m for m in menus(body) if any(o["value"] == case_id for o in m["options"]))
    return await world.fake.click_button(
        user or world.member, menu["custom_id"], guild=world.guild,
        channel_id=world.general.id, components=body["components"], values=[case_id],
        flags=EPHEMERAL if ephemeral else 0,
    )  # fmt: skip


async def test_the_case_option_names_the_case_and_is_suggested_as_typed(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases):
        for subcommand, options, case in (
            ("ask", {"question": "who is the judge?", "case": "parcelo"}, "parcelo"),
            ("status", {"case": "kessling"}, "kessling"),
            ("timeline", {"case": "Okafor v. Parcelo"}, "parcelo"),
        ):
            interaction = await world.slash(world.member, subcommand, options)
            assert_from(message_body(await answered(world, interaction)), cases, case)
        typed = await world.fake.autocomplete(
            world.member, "status", {"case": "pfa"}, "case", guild=world.guild,
            channel_id=world.general.id,
        )  # fmt: skip
        callback = await world.fake.wait_for_request(
            "POST", CALLBACK, lambda r: typed["token"] in r.path
        )
        assert callback.body["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        assert callback.body["data"]["choices"] == [
            {"name": "Kessling v. Ardent Polymers (kessling)", "value": "kessling"}
        ]


async def test_a_question_naming_no_case_is_asked_which_with_a_menu(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases):
        interaction = await world.slash(world.member, "ask", {"question": "who is the judge?"})
        chooser = message_body(await answered(world, interaction))
        assert chooser["flags"] & EPHEMERAL
        assert "Which case do you mean?" in embed_text(chooser)
        (menu,) = menus(chooser)
        assert {o["label"] for o in menu["options"]} == set(NAMES.values())
        # Someone else's pick is refused privately, the menu stays.
        stranger = await choose(world, chooser, "parcelo", user=world.manager)
        refused = await world.fake.wait_for_request(
            "POST", FOLLOWUP, lambda r: stranger["token"] in r.path
        )
        assert "Only the person who asked" in embed_text(refused.body)
        assert refused.body["flags"] & EPHEMERAL
        picked = await choose(world, chooser, "parcelo")
        edited = await world.fake.wait_for_request(
            "PATCH", ORIGINAL, lambda r: picked["token"] in r.path
        )
        assert edited.body["content"] == "You chose Okafor v. Parcelo."
        assert edited.body["components"] == []
        answer = await world.fake.wait_for_request(
            "POST", FOLLOWUP, lambda r: picked["token"] in r.path
        )
        assert not (answer.body.get("flags") or 0) & EPHEMERAL  # a question's answer is public
        assert_from(answer.body, cases, "parcelo")


async def test_a_mention_asked_which_case_becomes_its_answer(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases):
        await world.mention_in(world.thread, world.member, "who is the judge?")
        chooser = await world.fake.wait_for_request(
            "POST", rf"/channels/{world.thread.id}/messages", lambda r: bool(r.body.get("components"))
        )
        picked = await choose(world, chooser.body, "kessling", ephemeral=False)
        answer = await world.fake.wait_for_request(
            "PATCH", ORIGINAL, lambda r: picked["token"] in r.path
        )
        assert_from(answer.body, cases, "kessling")
        # The menu has gone; the answer's 👍/👎 took its place.
        labels = [c.get("label") for row in answer.body["components"] for c in row["components"]]
        assert labels == ["👍", "👎"]


async def test_a_mention_naming_a_party_is_answered_from_its_case(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases):
        await world.mention_in(world.thread, world.member, "what did Parcelo say about the tips?")
        reply = await world.fake.wait_for_request("POST", rf"/channels/{world.thread.id}/messages")
        assert_from(reply.body, cases, "parcelo")


async def test_use_makes_a_case_the_channels_for_managers_of_it(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases):
        refused = await world.slash(world.member, "use", {"case": "kessling"})
        assert "Sorry, only" in message_body(await answered(world, refused))["content"]
        chosen = await world.slash(world.manager, "use", {"case": "kessling"})
        assert "This channel's case is now Kessling" in embed_text(
            message_body(await answered(world, chosen))
        )
        asked = await world.slash(world.member, "ask", {"question": "who is the judge?"})
        assert_from(message_body(await answered(world, asked)), cases, "kessling")


async def test_alerts_name_their_case(
    world: World, bot: Callable[..., Any], cases: Path
) -> None:
    async with bot(corpus_dir=cases, alert_retry_seconds=0) as (desk, _):
        followed = await world.slash(world.manager, "follow", {"case": "linkedin"})
        said = message_body(await answered(world, followed))
        assert "now follows De La Torre v. LinkedIn" in embed_text(said)
        (cases / "linkedin" / "delta.md").write_text(REFILED["delta.md"])
        reload = await world.slash(
            world.manager, "reload", {"case": "linkedin"}, command="case-admin"
        )
        report = message_body(await answered(world, reload))
        assert "De La Torre v. LinkedIn (linkedin): reloaded" in embed_text(report)
        await desk.alerts.idle()
        alert = await world.fake.wait_for_request("POST", rf"/channels/{world.general.id}/messages")
        assert alert.body["content"].startswith("-# Case: De La Torre v. LinkedIn\nA new development")


async def test_fifty_cases_offer_two_menus_and_answer_the_one_chosen(
    world: World, bot: Callable[..., Any], tmp_path: Path
) -> None:
    corpus = write_fifty(tmp_path)
    async with bot(corpus_dir=corpus):
        listing = message_body(await answered(world, await world.slash(world.member, "cases")))
        assert listing["content"] == "casebot follows 50 cases:"
        # Every case is listed, a line each, in one message.
        assert all(f"(case-{n:02d}): 2 articles" in embed_text(listing) for n in range(50))
        assert_within_limits(listing)
        interaction = await world.slash(world.member, "ask", {"question": "who filed the lawsuit?"})
        chooser = message_body(await answered(world, interaction))
        assert [len(m["options"]) for m in menus(chooser)] == [25, 25]
        picked = await choose(world, chooser, "case-42")
        answer = await world.fake.wait_for_request(
            "POST", FOLLOWUP, lambda r: picked["token"] in r.path
        )
        assert answer.body["content"].startswith("-# Case: Plaintiff42 v. Company42\n")
        assert urls_in(answer.body["embeds"]) <= case_urls(corpus, "case-42")
        for subcommand in ("status", "timeline", "sources"):
            asked = await world.slash(world.member, subcommand, {"case": "case-13"})
            body = message_body(await answered(world, asked))
            assert body["content"].startswith("-# Case: Plaintiff13 v. Company13\n")
            assert urls_in(body["embeds"]) <= case_urls(corpus, "case-13")


async def test_every_admin_command_takes_its_case_among_fifty(
    world: World, bot: Callable[..., Any], tmp_path: Path
) -> None:
    corpus = write_fifty(tmp_path)
    async with bot(corpus_dir=corpus):
        said = [
            ("follow", {"case": "case-07"}, "case", "This channel now follows Plaintiff07 v. Company07"),
            ("following", None, "case", "Plaintiff07 v. Company07 (case-07)"),
            ("unfollow", None, "case", "This channel no longer follows Plaintiff07 v. Company07"),
            ("report", {"case": "case-07", "days": "7"}, "case", "Plaintiff07 v. Company07: Since "),
            ("reload", {"case": "case-07"}, "case-admin", "Reloaded: 1 unchanged. 50 cases served."),
            ("remove", {"source_id": "report-1", "case": "case-07"}, "case-admin", "Removed report-1"),
        ]  # fmt: skip
        for subcommand, options, command, expected in said:
            interaction = await world.slash(world.manager, subcommand, options, command=command)
            assert expected in embed_text(message_body(await answered(world, interaction)))
        assert not (corpus / "case-07" / "report-1.md").exists()
        assert (corpus / "case-08" / "report-1.md").exists()
