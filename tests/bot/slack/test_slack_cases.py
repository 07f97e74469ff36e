"""Many cases in Slack, over the wire (the real slack-bolt app against tests/support/fake_slack.py):
/case cases, which case answers (each route quoting only its case's sources), the
buttons or menu under "Which case?", /case use, alerts naming their case, the Home tab, and
fifty cases."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.alert_corpus import REFILED
from tests.support.cases import case_urls, urls_in, write_cases, write_fifty
from tests.support.fake_slack import BOT_USER_ID, block_kit_problems
from tests.support.intake_pages import news_page
from tests.support.intake_server import Route, Site, serve
from tests.support.slack_harness import (
    ADMIN,
    CHANNEL,
    DM,
    MEMBER,
    Harness,
    all_text,
    buttons,
    choose_option,
    click_key,
    direct_message,
    mention,
)

NAMES = {"linkedin": "De La Torre v. LinkedIn", "parcelo": "Okafor v. Parcelo",
         "kessling": "Kessling v. Ardent Polymers"}  # fmt: skip


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    return write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))


@pytest.fixture
async def slack(start: Callable[..., Awaitable[Harness]], cases: Path) -> Harness:
    return await start(corpus_dir=cases, alert_retry_seconds=0)


def assert_from(payload: dict[str, Any], corpus: Path, case: str) -> None:
    """The message names its case and links only to that case's sources (and to some)."""
    assert f"Case: *{NAMES[case]}*" in all_text(payload)
    linked = urls_in(payload["blocks"])
    assert linked and linked <= case_urls(corpus, case), linked


async def test_cases_lists_every_case_with_its_latest_development(slack: Harness) -> None:
    payload = await slack.answer("cases")
    assert payload["response_type"] == "in_channel"
    text = all_text(payload)
    assert "casebot follows 3 cases:" in text
    for case_id, name in NAMES.items():
        assert f"{name} ({case_id})" in text
    assert text.count("latest: “") == 3


async def test_a_question_naming_no_case_is_asked_which_and_answered_on_a_click(
    slack: Harness, cases: Path
) -> None:
    chooser = await slack.answer("who is the judge?")
    assert chooser["response_type"] == "ephemeral"
    assert "Which case do you mean?" in all_text(chooser)
    assert set(buttons(chooser)) == set(NAMES.values())
    key = await click_key(slack, chooser, NAMES["kessling"], ephemeral=True)
    note, answer = (await slack.fake.wait_until_calls("response_url", key, 2))
    assert note.payload == {"text": "You chose Kessling v. Ardent Polymers.", "replace_original": True}
    assert answer.payload["response_type"] == "in_channel"
    assert block_kit_problems(answer.payload["blocks"]) == []
    assert_from(answer.payload, cases, "kessling")
    # The same buttons again: that question is answered.
    again = await click_key(slack, chooser, NAMES["parcelo"], ephemeral=True)
    (refused,) = await slack.fake.wait_until_calls("response_url", again, 1)
    assert "ask it again" in all_text(refused.payload)


async def test_only_the_asker_can_choose(slack: Harness) -> None:
    chooser = await slack.answer("who is the judge?")
    key = await click_key(slack, chooser, NAMES["parcelo"], user=ADMIN, ephemeral=True)
    (refused,) = await slack.fake.wait_until_calls("response_url", key, 1)
    assert "Only the person who asked" in all_text(refused.payload)
    assert refused.payload["replace_original"] is False  # the buttons stay for the asker


@pytest.mark.parametrize(
    ("text", "case"),
    [
        ("ask parcelo: who is the judge?", "parcelo"),  # named in the command
        ("status kessling", "kessling"),
        ("what did Parcelo say about the tips?", "parcelo"),  # a party the question names
        ("who is the judge in the pfas case?", "kessling"),  # an alias
    ],
)
async def test_a_case_named_in_the_command_or_the_question_answers(
    slack: Harness, cases: Path, text: str, case: str
) -> None:
    assert_from(await slack.answer(text), cases, case)


async def test_the_channels_case_answers_once_chosen_with_use(
    slack: Harness, cases: Path
) -> None:
    refused = await slack.answer("use kessling")
    assert refused["response_type"] == "ephemeral" and "Sorry, only" in all_text(refused)
    chosen = await slack.answer("use kessling", user=ADMIN)
    assert "This channel's case is now Kessling v. Ardent Polymers (kessling)" in all_text(chosen)
    for text in ("who is the judge?", "timeline", "status"):
        assert_from(await slack.answer(text), cases, "kessling")


async def test_a_mention_finds_its_case_and_the_thread_keeps_it(
    slack: Harness, cases: Path
) -> None:
    first = mention(f"<@{BOT_USER_ID}> what did Parcelo say about the lawsuit?")
    await slack.event(first)
    (answer,) = await slack.posts(1)
    assert answer.payload["thread_ts"] == first["ts"]
    assert_from(answer.payload, cases, "parcelo")
    # In the thread, a question naming no case stays with the thread's.
    await slack.event(mention(f"<@{BOT_USER_ID}> who is the judge?", thread_ts=first["ts"]))
    _, follow = await slack.posts(2)
    assert follow.payload["thread_ts"] == first["ts"]
    assert_from(follow.payload, cases, "parcelo")


async def test_a_mention_asked_which_case_is_answered_in_its_thread(
    slack: Harness, cases: Path
) -> None:
    asked = mention(f"<@{BOT_USER_ID}> who is the judge?")
    await slack.event(asked)
    (chooser,) = await slack.posts(1, "chat.postEphemeral")
    assert chooser.payload["user"] == MEMBER and chooser.payload["thread_ts"] == asked["ts"]
    await click_key(slack, chooser.payload, NAMES["parcelo"], ephemeral=True)
    (answer,) = await slack.posts(1)
    assert answer.payload["thread_ts"] == asked["ts"] and answer.payload["channel"] == CHANNEL
    assert_from(answer.payload, cases, "parcelo")


async def test_in_a_dm_anyone_may_choose_their_case(slack: Harness, cases: Path) -> None:
    await slack.event(direct_message("use linkedin"))
    (chosen,) = await slack.posts(1)
    assert chosen.payload["channel"] == DM
    assert "This channel's case is now De La Torre v. LinkedIn" in all_text(chosen.payload)
    await slack.event(direct_message("who is suing LinkedIn?"))
    _, answer = await slack.posts(2)
    assert "Case: *De La Torre v. LinkedIn*" in all_text(answer.payload)
    assert urls_in(answer.payload["blocks"]) <= case_urls(cases, "linkedin")


async def test_alerts_name_their_case_and_go_where_it_is_followed(
    slack: Harness, cases: Path
) -> None:
    followed = await slack.answer("follow linkedin", user=ADMIN)
    assert "This channel now follows De La Torre v. LinkedIn" in all_text(followed)
    (cases / "linkedin" / "delta.md").write_text(REFILED["delta.md"])
    report = await slack.answer("reload", user=ADMIN)
    assert "De La Torre v. LinkedIn (linkedin): reloaded" in all_text(report)
    await slack.desk.alerts.idle()
    (alert,) = await slack.posts(1)
    assert alert.payload["channel"] == CHANNEL
    text = all_text(alert.payload)
    assert "Case: *De La Torre v. LinkedIn*" in text
    assert "A new development in De La Torre v. LinkedIn" in text


async def test_the_home_tab_lists_the_cases(slack: Harness) -> None:
    await slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home",
                       "channel": DM, "event_ts": "1.0"})  # fmt: skip
    (published,) = await slack.posts(1, "views.publish")
    view = published.payload["view"]
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Cases (3)", "How to ask"]
    text = json.dumps(view, ensure_ascii=False)
    assert all(name in text for name in NAMES.values())


# --- fifty cases ---------------------------------------------------------------------------


async def test_fifty_cases_are_listed_chosen_from_a_menu_and_answered(
    start: Callable[..., Awaitable[Harness]], tmp_path: Path
) -> None:
    corpus = write_fifty(tmp_path)
    slack = await start(corpus_dir=corpus)
    listing = await slack.answer("cases")
    assert "casebot follows 50 cases:" in all_text(listing)
    chooser = await slack.answer("who filed the lawsuit?")
    (menu,) = [e for b in chooser["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert menu["type"] == "static_select" and len(menu["options"]) == 50
    key = await choose_option(slack, chooser, "Plaintiff07 v. Company07", ephemeral=True)
    _, answer = await slack.fake.wait_until_calls("response_url", key, 2)
    text = all_text(answer.payload)
    assert "Case: *Plaintiff07 v. Company07*" in text and "Company07" in text
    assert urls_in(answer.payload["blocks"]) <= case_urls(corpus, "case-07")
    for command in ("status case-31", "timeline case-31", "sources case-31",
                    "what did Company31 say?"):  # fmt: skip
        payload = await slack.answer(command)
        assert "Case: *Plaintiff31 v. Company31*" in all_text(payload)
        assert urls_in(payload["blocks"]) <= case_urls(corpus, "case-31")


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({"/story": Route(body=news_page().encode())}) as running:
        yield running


async def test_every_admin_command_takes_its_case_among_fifty(
    start: Callable[..., Awaitable[Harness]], tmp_path: Path, site: Site
) -> None:
    corpus = write_fifty(tmp_path)
    slack = await start(corpus_dir=corpus, fetch_private=True)
    listing = all_text(await slack.answer("cases"))
    assert all(f"(case-{n:02d}): 2 articles" in listing for n in range(50))
    said = {
        "follow case-07": "This channel now follows Plaintiff07 v. Company07",
        "following": "Plaintiff07 v. Company07 (case-07)",
        "unfollow": "This channel no longer follows Plaintiff07 v. Company07",
        "report case-07 7": "Plaintiff07 v. Company07: Since ",
        "report": "Per case (answered / declined):",
        "reload case-07": "Reloaded: 1 unchanged. 50 cases served.",
        "remove case-07: report-1": "Removed report-1",
        "reload": "Reloaded: 50 unchanged. 50 cases served.",
    }
    for text, expected in said.items():
        assert expected in all_text(await slack.answer(text, user=ADMIN)), text
    assert not (corpus / "case-07" / "report-1.md").exists()
    assert (corpus / "case-08" / "report-1.md").exists()
    # add <case>: <url>, then Add: the article goes into that case's folder.
    preview = await slack.answer(f"add case-12: {site.url('/story')}", user=ADMIN)
    assert "Title: " in all_text(preview)
    key = await click_key(slack, preview, "Add", user=ADMIN, ephemeral=True)
    done = (await slack.fake.wait_for_call("response_url", key)).payload
    assert "Plaintiff12 v. Company12 (case-12): reloaded, 3 articles" in all_text(done)
    assert len(list((corpus / "case-12").glob("*.md"))) == 3
