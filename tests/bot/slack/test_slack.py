"""The Slack adapter over the wire: the real slack-bolt app against a fake Slack.

Each test starts the adapter in HTTP mode on 127.0.0.1 (or in Socket Mode against the fake's
WebSocket), with a real desk over a copy of the bundled corpus, and talks to it the way
Slack does: signed slash-command and event requests in, Web API calls and response_url
posts out, recorded by `tests.support.fake_slack.FakeSlack`.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.slack.adapter import SlackStartError
from retrieval.model import Answer, Conflict, ConflictValue, Event, Quote, Source
from tests.support.corpora import SMALL_CORPUS, article
from tests.support.fake_slack import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    FakeSlack,
    block_kit_problems,
)
from tests.support.slack_harness import (
    ADMIN,
    APP_TOKEN,
    BOT_TOKEN,
    CHANNEL,
    DM,
    Harness,
    LogWaiter,
    MEMBER,
    SIGNING_SECRET,
    all_text,
    buttons,
    click,
    direct_message,
    mention,
    new_ts,
    outside_quotes,
)
from tests.support.queries import queries_with


# --- slash commands ----------------------------------------------------------------------


async def test_status_is_acked_at_once_and_answered_in_channel_with_quotes(slack: Harness) -> None:
    payload = await slack.answer("status")
    assert payload["response_type"] == "in_channel"
    blocks = payload["blocks"]
    latest = next(b for b in blocks if all_text({"blocks": [b]}).startswith("*Latest*\n> "))
    assert latest["type"] == "rich_text"
    citation = blocks[blocks.index(latest) + 1]
    elements = [e["text"] for e in citation["elements"]]
    assert citation["type"] == "context"
    assert "*The Register*" in elements and "2025-01-30" in elements
    assert (
        "<https://www.theregister.com/2025/01/22/linkedin_sued_for_allegedly_training/"
        "|LinkedIn accused of training AI on private messages>"
    ) in elements
    assert "undated" in all_text(payload)
    assert payload["text"].startswith("Where the case stands")


async def test_ask_answers_in_channel_with_the_question_and_quotes(slack: Harness) -> None:
    payload = await slack.answer("ask who is suing LinkedIn?")
    assert payload["response_type"] == "in_channel"
    text = all_text(payload)
    assert "Question: “who is suing LinkedIn?”" in text
    blocks = payload["blocks"]
    quotes = [n for n, b in enumerate(blocks) if all_text({"blocks": [b]}).startswith("> ")]
    assert quotes
    for n in quotes:  # each quotation has its citation, with a date or "undated"
        cited = [e["text"] for e in blocks[n + 1]["elements"]]
        assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}|undated", part) for part in cited)


async def test_bare_text_is_a_question(slack: Harness) -> None:
    payload = await slack.answer("who is suing LinkedIn?")
    assert payload["response_type"] == "in_channel"
    assert "Here is what the sources say." in all_text(payload)


async def test_help_is_ephemeral_and_says_to_mention_in_threads(slack: Harness) -> None:
    payload = await slack.answer("help")
    assert payload["response_type"] == "ephemeral"
    text = all_text(payload)
    assert "/case status" in text
    assert "threads" in text and "mention me" in text


async def test_unknown_subcommand_gets_ephemeral_help_naming_it(slack: Harness) -> None:
    payload = await slack.answer("frobnicate")
    assert payload["response_type"] == "ephemeral"
    assert "“frobnicate”" in all_text(payload)


async def test_ephemeral_answers_setting_keeps_answers_private(
    start: Callable[..., Awaitable[Harness]],
) -> None:
    slack = await start(ephemeral_answers=True)
    payload = await slack.answer("status")
    assert payload["response_type"] == "ephemeral"


async def test_timeline_shows_events_and_the_disagreement(slack: Harness) -> None:
    payload = await slack.answer("timeline")
    assert payload["response_type"] == "in_channel"
    text = all_text(payload)
    assert ":warning: *Sources disagree on" in text
    assert "• August 2023 — Unattributed article 000" in text
    assert "*August 2024*" in text and "*September 2024*" in text


async def test_sources_lists_every_article(slack: Harness) -> None:
    payload = await slack.answer("sources")
    text = all_text(payload)
    assert text.count("\n• ") + text.startswith("• ") == 5
    assert "Corpus loaded" in text


# --- mentions and direct messages --------------------------------------------------------


async def test_mention_in_a_channel_is_answered_in_its_thread(slack: Harness) -> None:
    event = mention(f"<@{BOT_USER_ID}> who is suing LinkedIn?")
    assert await slack.event(event) == 200
    (post,) = await slack.posts(1)
    assert post.payload["channel"] == CHANNEL
    assert post.payload["thread_ts"] == event["ts"]
    assert post.token == BOT_TOKEN
    assert "Question: “who is suing LinkedIn?”" in all_text(post.payload)
    assert block_kit_problems(post.payload["blocks"]) == []


async def test_mention_inside_a_thread_answers_in_that_thread(slack: Harness) -> None:
    parent = new_ts()
    assert await slack.event(mention(f"<@{BOT_USER_ID}|casebot> status", thread_ts=parent)) == 200
    (post,) = await slack.posts(1)
    assert post.payload["thread_ts"] == parent
    assert "*Latest*" in all_text(post.payload)


async def test_bare_mention_gets_help_only_for_the_caller(slack: Harness) -> None:
    event = mention(f"<@{BOT_USER_ID}>")
    await slack.event(event)
    (post,) = await slack.posts(1, "chat.postEphemeral")
    assert post.payload["user"] == MEMBER
    assert post.payload["channel"] == CHANNEL
    assert post.payload["thread_ts"] == event["ts"]
    assert "mention me" in all_text(post.payload)


async def test_direct_message_is_answered_in_the_dm_once(slack: Harness) -> None:
    event = direct_message("status")
    await slack.event(event)
    (post,) = await slack.posts(1)
    assert post.payload["channel"] == DM
    assert "thread_ts" not in post.payload
    # Slack redelivers, and a mention in a DM comes as an app_mention too: neither is
    # answered again. A later message is, and proves the others were dropped, not late.
    await slack.event(event, retry=1)
    await slack.event({**event, "type": "app_mention", "text": f"<@{BOT_USER_ID}> status"})
    await slack.event(direct_message("sources"))
    posts = await slack.posts(2)
    assert len(posts) == 2
    assert "Corpus loaded" in all_text(posts[1].payload)


async def test_bots_edits_and_other_subtypes_get_no_answer(slack: Harness) -> None:
    ignored = [
        mention(f"<@{BOT_USER_ID}> status", bot_id="BOTHER01"),
        direct_message("status", subtype="bot_message", bot_id="BOTHER01"),
        direct_message("status", user=BOT_USER_ID, bot_id=BOT_ID),  # casebot itself
        direct_message("status", subtype="message_changed", message={"text": "status"}),
        direct_message("status", subtype="message_deleted"),
        direct_message("has joined", subtype="channel_join"),
        {**direct_message("status"), "channel_type": "channel", "channel": CHANNEL},
    ]
    for event in ignored:
        assert await slack.event(event) == 200
    await slack.event(direct_message("timeline"))
    posts = await slack.posts(1)
    assert len(posts) == 1 and "*September 2024*" in all_text(posts[0].payload)
    assert slack.fake.calls_to("chat.postEphemeral") == []


# --- reload and the admin gate -----------------------------------------------------------

NEW_ARTICLE = article(
    title="Premium subscribers file amended complaint",
    outlet="Delta Post",
    url="https://delta.example/linkedin-amended",
    published="2025-02-03",
    paragraphs=["The plaintiffs filed an amended complaint against LinkedIn on Monday."],
)


async def test_admin_reload_swaps_the_corpus_and_reports_privately(slack: Harness) -> None:
    (slack.corpus_dir / "delta-post-amended.md").write_text(NEW_ARTICLE, encoding="utf-8")
    payload = await slack.answer("reload", user=ADMIN)
    assert payload["response_type"] == "ephemeral"
    text = all_text(payload)
    assert "Reloaded the corpus: 6 articles" in text
    assert "Added: delta-post-amended" in text
    sources = all_text(await slack.answer("sources"))
    assert "Delta Post" in sources and sources.count("• ") == 6


async def test_reload_by_a_member_is_refused_and_changes_nothing(slack: Harness) -> None:
    (slack.corpus_dir / "delta-post-amended.md").write_text(NEW_ARTICLE, encoding="utf-8")
    before = slack.desk.index
    payload = await slack.answer("reload")
    assert payload["response_type"] == "ephemeral"
    assert "only casebot admins" in all_text(payload)
    assert slack.desk.index is before and len(before.corpus.articles) == 5
    await assert_refusal_audited(slack)


async def test_reload_by_mention_from_a_member_is_refused_ephemerally(slack: Harness) -> None:
    event = mention(f"<@{BOT_USER_ID}> reload")
    await slack.event(event)
    (post,) = await slack.posts(1, "chat.postEphemeral")
    assert post.payload["user"] == MEMBER and post.payload["thread_ts"] == event["ts"]
    assert "only casebot admins" in all_text(post.payload)
    assert slack.fake.calls_to("chat.postMessage") == []
    await assert_refusal_audited(slack)


async def test_reload_by_dm_from_a_member_is_refused_in_the_dm_and_audited(
    slack: Harness,
) -> None:
    before = slack.desk.index
    await slack.event(direct_message("reload"))
    (post,) = await slack.posts(1)
    assert post.payload["channel"] == DM
    assert "only casebot admins" in all_text(post.payload)
    assert slack.desk.index is before
    await assert_refusal_audited(slack)


async def assert_refusal_audited(slack: Harness, user: str = MEMBER) -> None:
    """The newest audit record is `user`'s refused reload on Slack."""
    (record,) = await slack.desk.store.recent_audit(1)
    assert (record.platform, record.user_id, record.command, record.allowed) == (
        "slack", user, "reload", False
    )  # fmt: skip


async def test_reload_by_dm_from_an_admin_reports_in_the_dm(slack: Harness) -> None:
    await slack.event(direct_message("reload", user=ADMIN))
    (post,) = await slack.posts(1)
    assert post.payload["channel"] == DM
    assert "Reloaded the corpus: 5 articles" in all_text(post.payload)


async def test_reload_with_a_broken_article_names_it_and_keeps_serving(slack: Harness) -> None:
    (slack.corpus_dir / "broken-article.md").write_text("no front matter here\n", encoding="utf-8")
    payload = await slack.answer("reload", user=ADMIN)
    assert payload["response_type"] == "ephemeral"
    text = all_text(payload)
    assert "Reload failed" in text and "broken-article.md" in text
    assert len(slack.desk.index.corpus.articles) == 5
    status = await slack.answer("status")
    assert "*Latest*" in all_text(status)


# --- request verification ----------------------------------------------------------------


async def test_bad_signature_and_stale_timestamp_are_rejected(slack: Harness) -> None:
    status, _, forged = await slack.slash("status", secret="not-the-signing-secret")
    assert status == 401
    stale_time = int(time.time()) - 6 * 60
    status, _, stale = await slack.slash("status", timestamp=stale_time)
    assert status == 401
    payload = await slack.answer("help")  # a later valid command, to know the others are done
    assert payload["response_type"] == "ephemeral"
    assert slack.fake.calls_to("response_url", forged) == []
    assert slack.fake.calls_to("response_url", stale) == []


# --- escaping and limits -----------------------------------------------------------------

HOSTILE = article(
    title="Everyone <!here> read this & share",
    outlet="Hostile <@U0ALICE> Times",
    url="https://hostile.example/story|click here>now",
    published="2025-01-24",
    paragraphs=[
        "Attention <!channel>: Alessandro De La Torre is suing LinkedIn over Premium "
        "private messages & AI training, says <@U0ALICE>.",
    ],
)


async def test_corpus_text_and_question_are_escaped(
    start: Callable[..., Awaitable[Harness]], make_corpus: Callable[..., Path]
) -> None:
    corpus = make_corpus({**SMALL_CORPUS, "hostile.md": HOSTILE}, name="hostile")
    slack = await start(corpus_dir=corpus)
    payload = await slack.answer("ask who is suing LinkedIn <!channel>?")
    raw = outside_quotes(payload)
    assert "Question: “who is suing LinkedIn &lt;!channel&gt;?”" in all_text(payload)
    # In the quote as written (rich text), in the notification text escaped.
    assert "> Attention <!channel>: Alessandro" in all_text(payload)
    assert "Attention &lt;!channel&gt;: Alessandro" in raw
    assert "&lt;@U0ALICE&gt;" in raw and "private messages &amp; AI" in raw
    for dangerous in ("<!channel>", "<!here>", "<@U0ALICE>"):
        assert dangerous not in raw
    assert (
        "<https://hostile.example/story%7Cclick here%3Enow|Everyone &lt;!here&gt; read this "
        "&amp; share>"
    ) not in raw  # a space can't stay in a link target
    assert "<https://hostile.example/story%7Cclick%20here%3Enow|Everyone &lt;!here&gt; read" in raw


async def test_a_huge_corpus_stays_within_block_kit_limits(
    start: Callable[..., Awaitable[Harness]], make_corpus: Callable[..., Path]
) -> None:
    sentence = (
        "In January 2025 the LinkedIn lawsuit over Premium private messages was filed in "
        "San Jose by Alessandro De La Torre & others <!channel>. "
    )
    files = {
        f"outlet-{n:03d}.md": article(
            title=f"LinkedIn lawsuit report number {n} " + "with a very long headline " * 12,
            outlet=f"Outlet {n}",
            url=f"https://outlet{n}.example/" + "x" * 300,
            published=f"2025-01-{1 + n % 28:02d}",
            paragraphs=[sentence * 40, f"On {2000 + n % 25} LinkedIn did thing {n}."] * 3,
        )
        for n in range(60)
    }
    slack = await start(corpus_dir=make_corpus(files, name="huge"), max_quotes=60)
    for command in ("status", "timeline", "sources", "who is suing LinkedIn?"):
        payload = await slack.answer(command)  # checks block_kit_problems too
        assert len(json.dumps(payload["blocks"])) < 13_000
        assert "<!channel>" not in outside_quotes(payload)
    # Too many sources for one message: a page of them, and a way to the rest.
    listing = await slack.answer("sources")
    assert "Page 1 of " in all_text(listing) and "Next ›" in buttons(listing)


# --- failures ----------------------------------------------------------------------------


async def test_a_failed_post_is_logged_without_tokens(
    slack: Harness, log_waiter: LogWaiter
) -> None:
    slack.fake.fail["chat.postMessage"] = "channel_not_found"
    await slack.event(mention(f"<@{BOT_USER_ID}> status"))
    line = await log_waiter.wait_for("channel_not_found")
    assert "chat.postMessage" in line and CHANNEL in line
    slack.fake.response_url_status = 404
    await slack.slash("status")
    line = await log_waiter.wait_for("HTTP 404")
    assert "expired_url" in line
    for logged in log_waiter.lines:
        assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged
        assert "/hooks/" not in logged


async def test_start_fails_clearly_on_a_bad_token(
    start: Callable[..., Awaitable[Harness]],
) -> None:
    with pytest.raises(SlackStartError, match="invalid_auth.*SLACK_BOT_TOKEN"):
        await start(slack_bot_token="xoxb-wrong")
    with pytest.raises(SlackStartError, match="invalid_auth.*SLACK_APP_TOKEN"):
        await start(slack_app_token="xapp-wrong", slack_signing_secret=None)
    with pytest.raises(SlackStartError, match="SLACK_APP_TOKEN.*SLACK_SIGNING_SECRET"):
        await start(slack_signing_secret=None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SlackStartError, match="Could not listen.*CASEBOT_PORT"):
            await start(port=taken.getsockname()[1])


async def test_an_unexpected_failure_is_a_private_apology_without_a_traceback(
    slack: Harness, log_waiter: LogWaiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(text: str, caller: object) -> None:
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(slack.desk, "handle", broken)
    payload = await slack.answer("status")
    assert payload["response_type"] == "ephemeral"
    assert "something went wrong" in all_text(payload)
    assert "fire" not in json.dumps(payload) and "Traceback" not in json.dumps(payload)
    await log_waiter.wait_for("could not answer a Slack slash command")


def test_manifest_declares_what_the_adapter_needs() -> None:
    import yaml

    manifest = (Path(__file__).resolve().parents[3] / "deploy" / "slack-manifest.yaml").read_text()
    for line in (
        "    - command: /case",
        "      usage_hint: ",
        "    messages_tab_enabled: true",
        "    home_tab_enabled: true",
        "  socket_mode_enabled: true",
        # Buttons: 👍/👎 and an `add` preview's Add and Cancel.
        "    is_enabled: true",
    ):
        assert f"\n{line}" in manifest
    scopes = manifest.split("    bot:\n")[1].split("settings:")[0].split()
    assert sorted(s for s in scopes if s != "-") == [
        "app_mentions:read", "chat:write", "commands", "im:history", "im:read", "im:write",
    ]  # fmt: skip
    events = yaml.safe_load(manifest)["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == [
        "app_home_opened", "app_mention", "message.im"
    ]  # fmt: skip


# --- Socket Mode -------------------------------------------------------------------------


async def test_socket_mode_acks_the_envelope_and_answers(
    start: Callable[..., Awaitable[Harness]], fake: FakeSlack
) -> None:
    slack = await start(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    assert slack.adapter.mode == "socket" and slack.adapter.port is None
    opened = fake.calls_to("apps.connections.open")
    assert opened and all(call.token == APP_TOKEN for call in opened)
    await fake.wait_for_call("socket_connect")

    envelope_id = await fake.send_envelope(
        "slash_commands", slack.command_body("status", key="socket-1")
    )
    ack = await fake.wait_for_call("socket_ack", envelope_id)
    assert ack.payload["envelope_id"] == envelope_id
    answer = await fake.wait_for_call("response_url", "socket-1")
    assert answer.payload["response_type"] == "in_channel"
    assert "*Latest*" in all_text(answer.payload)

    event = mention(f"<@{BOT_USER_ID}> who is suing LinkedIn?")
    envelope_id = await fake.send_envelope(
        "events_api",
        {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event},
    )
    await fake.wait_for_call("socket_ack", envelope_id)
    post = await fake.wait_for_call("chat.postMessage")
    assert post.payload["thread_ts"] == event["ts"]


# --- a big corpus: every event and every source can be seen (issue 21) ---------------------


def _many_articles(count: int) -> dict[str, str]:
    return {
        f"outlet-{n:03d}.md": article(
            title=f"LinkedIn lawsuit report number {n} from the courthouse",
            outlet=f"The Daily Outlet {n}", url=f"https://outlet{n}.example/2025/01/linkedin-{n}",
            published=f"2025-01-{1 + n % 28:02d}",
            paragraphs=[f"On January {1 + n % 28}, 2025 report {n} said LinkedIn was sued."],
        )
        for n in range(count)
    }  # fmt: skip


def big_timeline(index: object) -> Answer:
    """A timeline like an 80-article corpus's: 243 events and 80 disagreements on dates."""
    sources = [Source(id=f"s{n}", outlet=f"The Daily Outlet {n}", title=f"Report {n}",
                      url=f"https://outlet{n}.example/{'x' * 60}") for n in range(80)]  # fmt: skip
    events = tuple(
        Event(
            date=date(2025, 1, 1) + timedelta(days=n), precision="day",
            quote=Quote(text=f"The court docket shows filing number {n} in the LinkedIn case.",
                        source=sources[n % 80], date=date(2025, 1, 1) + timedelta(days=n)),
        )
        for n in range(243)
    )  # fmt: skip
    conflicts = tuple(
        Conflict(
            about=f"when step {n} of the LinkedIn case happened",
            values=(ConflictValue(f"January {1 + n % 28}, 2025", tuple(sources[:40])),
                    ConflictValue(f"February {1 + n % 28}, 2025", tuple(sources[40:]))),
        )
        for n in range(80)
    )  # fmt: skip
    return Answer(kind="timeline", text="243 dated events from the sources, oldest first.",
                  events=events, conflicts=conflicts)  # fmt: skip


async def test_a_long_timeline_shows_events_beside_its_disagreements(
    start: Callable[..., Awaitable[Harness]],
) -> None:
    slack = await start(queries=queries_with(timeline=big_timeline))
    payload = await slack.answer("timeline")
    shown = all_text(payload)
    events = re.findall(r"The court docket shows filing number \d+", shown)
    assert len(events) >= 20, shown[:2000]
    assert events[0].endswith("number 0")  # in order, from the first
    assert ":warning: *Sources disagree on when step 0" in shown
    assert "more events not shown" in shown and "more disagreements not shown" in shown


async def test_a_long_source_listing_pages_through_every_source(
    start: Callable[..., Awaitable[Harness]], make_corpus: Callable[..., Path]
) -> None:
    slack = await start(corpus_dir=make_corpus(_many_articles(80), name="eighty"))
    page = await slack.answer("sources")
    assert page["response_type"] == "in_channel"
    seen: list[str] = []
    for number in range(1, 81):
        text = all_text(page)
        assert "not shown" not in text
        assert f"Page {number} of " in text
        seen += re.findall(r"LinkedIn lawsuit report number (\d+)", text)
        labels = buttons(page)
        if "Next ›" not in labels:
            break
        assert ("‹ Previous" in labels) is (number > 1)
        # Paging is private: the channel's listing stays, the clicker gets the next page,
        # and a page of that private copy replaces it.
        page = await click(slack, page, "Next ›", ephemeral=number > 1)
        assert page["response_type"] == "ephemeral"
        assert page["replace_original"] is (number > 1)
    assert sorted(map(int, seen)) == list(range(80))  # every source, each once
    back = await click(slack, page, "‹ Previous", ephemeral=True)
    assert f"Page {number - 1} of {number}" in all_text(back)


async def test_the_home_tab_points_to_the_paged_listing(
    start: Callable[..., Awaitable[Harness]], make_corpus: Callable[..., Path]
) -> None:
    from bot.slack.home import home_view
    from tests.support.cases import loaded_docket

    docket = await loaded_docket(make_corpus(_many_articles(80), name="eighty"))
    view = home_view(docket, max_quotes=3)
    text = json.dumps(view, ensure_ascii=False)
    assert "All 80, a page at a time: `/case sources`" in text
    assert "casebot_sources_page_" not in text  # a Home tab has no response_url to page with
