"""Which case answers a command (bot/routing.py): each rule, in its order, on plain values."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cases import CaseInfo
from bot.commands import Command, parse_command
from bot.routing import Names, Route, route

CASES = (
    CaseInfo("kessling", Path("k"), "Kessling v. Ardent Polymers", aliases=("the pfas case",),
             parties=("Kessling", "Ardent Polymers", "Calloway Industries")),
    CaseInfo("linkedin", Path("l"), "De La Torre v. LinkedIn", aliases=("the inmail case",),
             parties=("De La Torre", "LinkedIn")),
    CaseInfo("parcelo", Path("p"), "Okafor v. Parcelo", aliases=("the tips case",),
             parties=("Okafor", "Parcelo")),
)  # fmt: skip
IDS = tuple(case.id for case in CASES)
NAMES = Names(CASES)


async def routed(
    text: str, *, ids: tuple[str, ...] = IDS, channel: str | None = None, **rules: object
) -> Route:
    async def channel_case() -> str | None:
        return channel

    return await route(parse_command(text), NAMES, ids, channel=channel_case, **rules)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "case", "argument"),
    [
        ("ask linkedin: who is suing?", "linkedin", "who is suing?"),
        ("linkedin: who is suing?", "linkedin", "who is suing?"),
        ("ask the pfas case: who is the judge?", "kessling", "who is the judge?"),
        ("ask De La Torre v. LinkedIn: when?", "linkedin", "when?"),
        ("status parcelo", "parcelo", ""),
        ("timeline Okafor v. Parcelo", "parcelo", ""),
        ("follow KESSLING", "kessling", ""),
        ("add linkedin: https://example.com/a", "linkedin", "https://example.com/a"),
    ],
)
async def test_a_case_named_in_the_command_answers_and_leaves_the_argument(
    text: str, case: str, argument: str
) -> None:
    result = await routed(text, channel="parcelo" if case != "parcelo" else "linkedin")
    assert (result.case, result.command.argument, result.how) == (case, argument, "named")


async def test_a_case_named_outside_the_text_comes_first() -> None:
    result = await routed("who is suing LinkedIn?", named="parcelo", channel="kessling")
    assert (result.case, result.how) == ("parcelo", "named")


async def test_a_colon_that_names_no_case_stays_in_the_question() -> None:
    result = await routed("quick one: who is suing?", channel="kessling")
    assert result.command.argument == "quick one: who is suing?"
    assert result.case == "kessling"


@pytest.mark.parametrize(
    ("question", "case"),
    [
        ("who is suing LinkedIn?", "linkedin"),
        ("what did linkedin's lawyers say?", "linkedin"),
        ("what did Calloway Industries say?", "kessling"),
        ("is the tips case over?", "parcelo"),
        ("did de la  torre back out?", "linkedin"),
    ],
)
async def test_a_question_naming_one_case_by_a_party_or_alias_goes_to_it(
    question: str, case: str
) -> None:
    # Even in a channel whose case is another one.
    result = await routed(question, channel="kessling" if case != "kessling" else "parcelo")
    assert (result.case, result.how) == (case, "question")


async def test_a_name_inside_a_word_names_nothing() -> None:
    result = await routed("what about linkedinfluencers?", channel="parcelo")
    assert result.case == "parcelo"


async def test_a_question_naming_several_cases_goes_to_the_channels_if_named_else_asks() -> None:
    question = "did LinkedIn or Parcelo settle?"
    assert (await routed(question, channel="parcelo")).case == "parcelo"
    asked = await routed(question, channel="kessling")
    assert asked.case is None and asked.candidates == ("linkedin", "parcelo")


async def test_a_thread_keeps_its_case_before_the_channels() -> None:
    result = await routed("and when was that?", thread="linkedin", channel="parcelo")
    assert (result.case, result.how) == ("linkedin", "thread")
    # A question naming a case is not held by the thread.
    assert (await routed("what did Parcelo say?", thread="linkedin")).case == "parcelo"


async def test_the_channels_case_then_the_only_case_then_ask() -> None:
    assert (await routed("who is suing?", channel="kessling")).how == "channel"
    only = await routed("who is suing?", ids=("linkedin",))
    assert (only.case, only.how) == ("linkedin", "only")
    asked = await routed("who is suing?")
    assert asked.case is None and asked.candidates == IDS


async def test_a_channel_case_no_longer_served_is_passed_over() -> None:
    asked = await routed("who is suing?", channel="gone")
    assert asked.case is None and asked.candidates == IDS


async def test_a_case_typed_that_names_none_is_refused_unless_there_is_only_one() -> None:
    unknown = await routed("status nosuchcase")
    assert unknown.case is None and unknown.unknown == "nosuchcase"
    # One case: anything after `status` is ignored, as it always was.
    assert (await routed("status nosuchcase", ids=("linkedin",))).case == "linkedin"


async def test_remove_goes_to_the_one_case_holding_the_source() -> None:
    result = await route(Command("remove", "metrowire-ruling"), NAMES, IDS, hinted=("parcelo",))
    assert (result.case, result.how) == ("parcelo", "question")


async def test_unfollow_offers_the_cases_the_channel_follows() -> None:
    one = await route(Command("unfollow"), NAMES, IDS, hinted=("kessling",))
    assert one.case == "kessling"
    two = await route(Command("unfollow"), NAMES, IDS, hinted=("kessling", "linkedin"))
    assert two.case is None and two.candidates == ("kessling", "linkedin")


def test_names_resolve_ids_first_then_unique_names() -> None:
    assert NAMES.resolve("LinkedIn") == ("linkedin",)
    assert NAMES.resolve(" the Tips Case: ") == ("parcelo",)
    assert NAMES.resolve("nothing") == ()
    shared = Names([*CASES, CaseInfo("linkedin-2", Path("x"), "LinkedIn again", parties=("LinkedIn",))])
    assert shared.resolve("linkedin") == ("linkedin",)  # an id wins
    assert shared.mentioned("what did LinkedIn say?") == ("linkedin", "linkedin-2")
