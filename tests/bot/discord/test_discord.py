"""The Discord adapter, end to end: the real discord.py client against a fake Discord.

Every test starts `tests.support.fake_discord.FakeDiscord` on 127.0.0.1, a real Desk over the real
corpus (or a copy of it in tmp_path), and the adapter via `start_discord`; it drives the
bot with gateway events and asserts on the REST requests that arrive.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.commands import COMMANDS, HELP_INTRO
from bot.desk import Desk
from bot.discord.adapter import DiscordStartError, start_discord, strip_mention, thread_name
from bot.settings import Settings
from retrieval.errors import StartError
from tests.support.discord_world import (
    CALLBACK,
    DM_MESSAGES_INTENT,
    GUILD_MESSAGES_INTENT,
    MESSAGES,
    MESSAGE_CONTENT_INTENT,
    ORIGINAL,
    QUESTION,
    THREADS,
    World,
    _replies_to,
    answered,
    assert_answer_with_quotes,
    assert_within_limits,
    dm_to,
    embed_text,
    message_body,
    sent_messages,
)
from tests.support.fake_discord import CREATE_PUBLIC_THREADS, EPHEMERAL, MANAGE_GUILD, FakeDiscord
from tests.support.queries import queries_with


# --- connecting and registering ----------------------------------------------------------


async def test_connects_with_default_intents_and_registers_the_case_group(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        (identify,) = [m for m in world.fake.gateway_received if m["op"] == 2]
        intents = identify["d"]["intents"]
        assert intents == discord.Intents.default().value
        assert not intents & MESSAGE_CONTENT_INTENT
        assert intents & GUILD_MESSAGES_INTENT and intents & DM_MESSAGES_INTENT
        # The gateway was asked for the compressed stream the fake speaks.
        assert world.fake.gateway_queries[0] == {
            "v": "10", "encoding": "json", "compress": "zlib-stream"
        }  # fmt: skip

        guild_commands = rf"/applications/\d+/guilds/{world.guild.id}/commands"
        (sync,) = world.fake.requests_to("PUT", guild_commands)
        assert world.fake.requests_to("PUT", r"/applications/\d+/commands") == []
        case, admin = sync.body
        assert case["name"] == "case" and case["type"] == 1 and case["description"]
        # Subcommands can't carry default_member_permissions in Discord's API, and the
        # group must stay open to everyone for status and ask; the admin commands are a
        # top-level command of their own, shown by default to Manage Server (1 << 5).
        assert case["default_member_permissions"] is None
        assert admin["name"] == "case-admin" and int(admin["default_member_permissions"]) == 32
        assert [o["name"] for o in admin["options"]] == ["reload", "add", "remove"]
        options = {option["name"]: option for option in case["options"]}
        everyone = [s for s in COMMANDS if s.name not in ("reload", "add", "remove")]
        assert list(options) == [spec.name for spec in everyone]
        for spec in everyone:
            assert options[spec.name]["type"] == 1
            assert options[spec.name]["description"] == spec.description
        question, case_option = options["ask"]["options"]
        assert question["name"] == "question" and question["type"] == 3
        assert question["required"] is True and question["description"]
        # Each command about one case may name it, suggested as it is typed.
        assert case_option["name"] == "case" and not case_option.get("required")
        assert case_option["autocomplete"] is True
        for name in ("status", "timeline", "sources", "follow", "unfollow", "report"):
            assert [o["name"] for o in options[name]["options"]][0] == "case"
        (use,) = options["use"]["options"]
        assert use["name"] == "case" and use["required"] is True
        # Discord stops an over-long question as it is typed, at the desk's own limit.
        assert (question["min_length"], question["max_length"]) == (1, 500)
    # Closing puts discord.py's addresses back.
    assert Route.BASE == "https://discord.com/api/v10"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


@pytest.mark.parametrize(("setting", "max_length"), [(120, 120), (0, 6000), (9000, 6000)])
async def test_question_option_max_length_follows_the_setting(
    world: World, bot: Callable[..., Any], setting: int, max_length: int
) -> None:
    # 0 (no limit) and anything over Discord's own ceiling get that ceiling.
    async with bot(max_question_chars=setting):
        (sync,) = world.fake.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands")
        case, _ = sync.body
        (ask,) = [option for option in case["options"] if option["name"] == "ask"]
        (question,) = [option for option in ask["options"] if option["name"] == "question"]
        assert question["max_length"] == max_length


def test_no_voice_library_warnings() -> None:
    # casebot has no voice: discord.py's "PyNaCl/davey is not installed" warnings on every
    # start are switched off where discord.py allows it. Without casebot's module loaded,
    # the same client warns (so the check below can see the warning).
    def warnings(prelude: str) -> str:
        code = (
            "import logging; logging.basicConfig()\n"
            f"{prelude}\n"
            "import discord; discord.Client(intents=discord.Intents.default())\n"
        )
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        ).stderr  # fmt: skip

    assert "voice will NOT be supported" in warnings("")
    assert "voice will NOT be supported" not in warnings("import bot.discord.adapter")


async def test_registers_globally_without_guild_ids(world: World, bot: Callable[..., Any]) -> None:
    async with bot(discord_guild_ids=[]):
        (sync,) = world.fake.requests_to("PUT", r"/applications/\d+/commands")
        assert [command["name"] for command in sync.body] == ["case", "case-admin"]
        assert world.fake.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands") == []


async def test_a_refused_token_fails_start_up(
    world: World, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(
        discord_token="wrong-token",
        discord_api_url=world.fake.api_url,
        discord_gateway_url=world.fake.gateway_url,
    )
    desk = await Desk.open(settings)
    try:
        with pytest.raises(DiscordStartError, match="DISCORD_TOKEN") as raised:
            await start_discord(desk, settings, connect_timeout=5)
        assert isinstance(raised.value, StartError)
        assert isinstance(raised.value.__cause__, discord.LoginFailure)
        assert "wrong-token" not in str(raised.value)
    finally:
        await desk.close()
    assert Route.BASE == "https://discord.com/api/v10"


async def test_an_unreachable_gateway_fails_start_up_in_time(
    world: World, make_settings: Callable[..., Settings]
) -> None:
    closed = FakeDiscord()
    await closed.start()
    unreachable = closed.gateway_url
    await closed.close()
    settings = make_settings(
        discord_token=world.fake.token,
        discord_api_url=world.fake.api_url,
        discord_gateway_url=unreachable,
    )
    desk = await Desk.open(settings)
    try:
        # Either way within the timeout: discord.py retries a refused connection after a
        # random back-off, and its retry of a first connection fails outright.
        with pytest.raises(DiscordStartError, match="DISCORD_GATEWAY_URL"):
            await start_discord(desk, settings, connect_timeout=1.5)
    finally:
        await desk.close()
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


def test_strip_mention_and_thread_name() -> None:
    assert strip_mention("<@42>  who is\nsuing? <@!42>", 42) == "who is suing?"
    assert strip_mention("<@42> ask <@7>", 42) == "ask <@7>"
    assert strip_mention("<@42>", 42) == ""
    assert thread_name("") == "casebot"
    assert thread_name("  when   was it filed? ") == "when was it filed?"
    long = thread_name("why " * 100)
    assert len(long) == 100 and long.endswith("…")


# --- slash commands ----------------------------------------------------------------------


async def test_status_is_deferred_then_answered_publicly_with_quotes_and_dates(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        interaction = await world.slash(world.member, "status")
        callback = await world.fake.wait_for_request("POST", CALLBACK)
        assert callback.body["type"] == 5  # deferred: "casebot is thinking…"
        assert not (callback.body.get("data") or {}).get("flags", 0) & EPHEMERAL

        answer = await answered(world, interaction)
        assert answer.matches("PATCH", ORIGINAL)
        body = answer.body
        assert_answer_with_quotes(body)
        assert body["content"].startswith("Where the case stands")
        text = embed_text(body)
        assert "2025-01-30" in text and "undated" in text
        assert "[The Register](https://www.theregister.com/" in text


async def test_ask_answers_the_question_publicly(world: World, bot: Callable[..., Any]) -> None:
    async with bot():
        interaction = await world.slash(world.member, "ask", {"question": QUESTION})
        answer = await answered(world, interaction)
        body = answer.body
        assert body["content"] == "Here is what the sources say."
        assert body["embeds"][0]["title"] == QUESTION
        assert_answer_with_quotes(body)
        callback = world.fake.requests_to("POST", CALLBACK)[0]
        assert callback.body == {"type": 5}  # public deferral


async def test_help_is_immediate_and_ephemeral(world: World, bot: Callable[..., Any]) -> None:
    async with bot():
        interaction = await world.slash(world.member, "help")
        callback = await answered(world, interaction)
        assert callback.body["type"] == 4
        data = callback.body["data"]
        assert data["flags"] & EPHEMERAL
        assert data["content"] == HELP_INTRO
        assert "/case ask <question>" in embed_text(data)
        assert_within_limits(data)


async def test_sources_is_immediate_and_public(world: World, bot: Callable[..., Any]) -> None:
    async with bot():
        interaction = await world.slash(world.member, "sources")
        callback = await answered(world, interaction)
        assert callback.body["type"] == 4
        data = callback.body["data"]
        assert not data.get("flags", 0) & EPHEMERAL
        text = embed_text(data)
        assert "TechSpot" in text and "passages" in text and "Corpus loaded" in text


async def test_ephemeral_answers_setting_makes_answers_private(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot(ephemeral_answers=True):
        interaction = await world.slash(world.member, "timeline")
        callback = await world.fake.wait_for_request("POST", CALLBACK)
        assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
        answer = await answered(world, interaction)
        text = embed_text(answer.body)
        assert "Timeline" in text and "⚠️ Sources disagree" in text
        assert_within_limits(answer.body)


async def test_a_private_reply_to_a_public_command_replaces_the_placeholder_privately(
    world: World, bot: Callable[..., Any]
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("kaboom")

    async with bot(queries=queries_with(status=explode)):
        interaction = await world.slash(world.member, "status")
        token = interaction["token"]
        followup = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{token}")
        assert followup.body["flags"] & EPHEMERAL
        assert "something went wrong" in followup.body["content"]
        # The public "thinking…" placeholder was removed first, not left hanging.
        deleted = world.fake.requests_to("DELETE", ORIGINAL)
        order = world.fake.requests.index
        assert len(deleted) == 1 and order(deleted[0]) < order(followup)


# --- mentions ----------------------------------------------------------------------------


async def test_mention_in_a_channel_starts_a_thread_and_answers_in_it(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        question = "when was the suit filed? " + "and why " * 30
        message = await world.mention_in(world.general, world.member, question)
        started = await world.fake.wait_for_request("POST", THREADS)
        assert started.path == f"/channels/{world.general.id}/messages/{message['id']}/threads"
        name = started.body["name"]
        assert 0 < len(name) <= 100 and name.startswith("when was the suit filed?")
        assert f"<@{world.fake.bot_id}>" not in name
        # The thread takes the message's id; the answer goes there.
        answer = await world.fake.wait_for_request("POST", rf"/channels/{message['id']}/messages")
        assert_answer_with_quotes(answer.body)


async def test_mention_in_a_thread_answers_in_the_thread(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        message = await world.fake.post_message(
            world.member, f"<@!{world.fake.bot_id}> {QUESTION}", guild=world.guild,
            channel_id=world.thread.id, mentions=[world.fake.bot_user],
        )  # fmt: skip
        answer = await world.fake.wait_for_request("POST", rf"/channels/{world.thread.id}/messages")
        assert str(answer.body["message_reference"]["message_id"]) == message["id"]
        assert answer.body["embeds"][0]["title"] == QUESTION
        assert_answer_with_quotes(answer.body)
        assert world.fake.requests_to("POST", THREADS) == []


async def test_mention_where_threads_are_forbidden_replies_to_the_message(
    world: World, bot: Callable[..., Any]
) -> None:
    bot_role = next(r for r in world.guild.roles.values() if r.name == "casebot")
    locked = world.guild.add_channel(
        "no-threads",
        overwrites=[
            {"id": str(bot_role.id), "type": 0, "allow": "0", "deny": str(CREATE_PUBLIC_THREADS)}
        ],
    )
    async with bot():
        message = await world.mention_in(locked, world.member, QUESTION)
        answer = await world.fake.wait_for_request("POST", rf"/channels/{locked.id}/messages")
        assert str(answer.body["message_reference"]["message_id"]) == message["id"]
        assert_answer_with_quotes(answer.body)
        (refused,) = world.fake.requests_to("POST", THREADS)
        assert refused.path.startswith(f"/channels/{locked.id}/")


async def test_dm_is_answered_and_bare_mention_gets_help(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        dm = await world.fake.post_message(world.stranger, QUESTION)
        dm_messages = rf"/channels/{dm['channel_id']}/messages"
        answer = await world.fake.wait_for_request("POST", dm_messages)
        assert_answer_with_quotes(answer.body)

        bare = await world.mention_in(world.general, world.member, "")
        help_reply = await world.fake.wait_for_request(
            "POST", MESSAGES, lambda r: _replies_to(r, bare)
        )
        assert help_reply.body["content"] == HELP_INTRO
        assert world.fake.requests_to("POST", THREADS) == []  # help isn't worth a thread


async def test_messages_from_bots_and_unmentioned_messages_are_ignored(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        await world.mention_in(world.general, world.other_bot, QUESTION)
        await world.fake.post_message(world.fake.bot_user, world.mention(QUESTION))
        await world.fake.post_message(
            world.member, QUESTION, guild=world.guild, channel_id=world.general.id
        )
        # Gateway events are handled in order: once this DM is answered, the messages
        # before it have been seen and dropped.
        last = await world.fake.post_message(world.stranger, QUESTION)
        await world.fake.wait_for_request("POST", rf"/channels/{last['channel_id']}/messages")
        assert world.fake.requests_to("POST", THREADS) == []
        answers = [r.path for r in sent_messages(world.fake)]
        assert answers == [f"/channels/{last['channel_id']}/messages"]


# --- admin reload ------------------------------------------------------------------------


NEW_ARTICLE = """+++
title = "Court sets a hearing in the LinkedIn case"
outlet = "Fresh Wire"
url = "https://fresh.example/hearing"
published = 2025-02-10
+++
A judge scheduled a hearing in the LinkedIn private messages lawsuit for March 2025.
"""


async def test_reload_by_a_manager_swaps_the_corpus(
    world: World, bot: Callable[..., Any], corpus_copy: Path
) -> None:
    async with bot(corpus_dir=corpus_copy) as (desk, _):
        before = desk.index
        (corpus_copy / "fresh-wire-hearing.md").write_text(NEW_ARTICLE, encoding="utf-8")
        interaction = await world.slash(world.manager, "reload", command="case-admin")
        callback = await world.fake.wait_for_request("POST", CALLBACK)
        assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # private report
        # What Discord computed from the member's roles: Manage Server.
        assert int(interaction["member"]["permissions"]) & MANAGE_GUILD
        report = await answered(world, interaction)
        text = embed_text(report.body)
        assert report.body["content"].startswith("Reloaded the corpus: 6 articles")
        assert "Added: fresh-wire-hearing" in text
        assert desk.index is not before
        assert "fresh-wire-hearing" in {a.source.id for a in desk.index.corpus.articles}
        (audit,) = await desk.store.recent_audit(10)
        assert (audit.platform, audit.user_id, audit.allowed) == (
            "discord", world.manager["id"], True
        )


async def test_reload_by_a_member_without_manage_server_is_refused(
    world: World, bot: Callable[..., Any], corpus_copy: Path
) -> None:
    async with bot(corpus_dir=corpus_copy) as (desk, _):
        before = desk.index
        (corpus_copy / "fresh-wire-hearing.md").write_text(NEW_ARTICLE, encoding="utf-8")
        interaction = await world.slash(world.member, "reload", command="case-admin")
        assert not int(interaction["member"]["permissions"]) & MANAGE_GUILD
        refusal = await answered(world, interaction)
        assert refusal.body["content"] == "Sorry, only casebot admins can use “reload”."
        callback = world.fake.requests_to("POST", CALLBACK)[0]
        assert callback.body["data"]["flags"] & EPHEMERAL
        assert desk.index is before
        (audit,) = await desk.store.recent_audit(10)
        assert audit.allowed is False


async def test_admin_ids_may_reload_without_manage_server(
    world: World, bot: Callable[..., Any], corpus_copy: Path
) -> None:
    async with bot(discord_admin_ids=[int(world.member["id"])], corpus_dir=corpus_copy) as (
        desk, _,
    ):  # fmt: skip
        before = desk.index
        # A new article: a reload builds only a case whose files changed.
        shutil.copy(corpus_copy / "techspot-linkedin-accused.md", corpus_copy / "copy.md")
        interaction = await world.slash(world.member, "reload", command="case-admin")
        report = await answered(world, interaction)
        assert report.body["content"].startswith("Reloaded the corpus")
        assert desk.index is not before


async def test_a_failed_reload_names_the_errors_and_keeps_the_old_corpus(
    world: World, bot: Callable[..., Any], corpus_copy: Path
) -> None:
    async with bot(corpus_dir=corpus_copy) as (desk, _):
        before = desk.index
        (corpus_copy / "broken-article.md").write_text("no front matter at all\n", encoding="utf-8")
        interaction = await world.slash(world.manager, "reload", command="case-admin")
        report = await answered(world, interaction)
        assert report.body["content"].startswith("Reload failed; still serving the corpus")
        assert "broken-article.md" in embed_text(report.body)
        assert desk.index is before

        ask = await world.slash(world.member, "ask", {"question": QUESTION})
        assert_answer_with_quotes((await answered(world, ask)).body)


async def test_reload_by_mention_follows_the_same_rule(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot(discord_admin_ids=[int(world.stranger["id"])]) as (desk, _):
        refused = await world.mention_in(world.general, world.member, "reload")
        reply = await world.fake.wait_for_request(
            "POST", MESSAGES, lambda r: _replies_to(r, refused)
        )
        assert reply.body["content"].startswith("Sorry, only casebot admins")

        allowed = await world.mention_in(world.general, world.manager, "reload")
        # A reload report is for the admin alone: it goes by DM, not into the channel.
        reply = await dm_to(world, world.manager)
        assert reply.body["content"].startswith("Reloaded the corpus")
        assert not [r for r in world.fake.requests_to("POST", MESSAGES) if _replies_to(r, allowed)]

        # In a DM there are no guild permissions: only DISCORD_ADMIN_IDS count.
        manager_dm = await world.fake.post_message(world.manager, "reload")
        reply = await world.fake.wait_for_request(
            "POST", rf"/channels/{manager_dm['channel_id']}/messages"
        )
        assert reply.body["content"].startswith("Sorry, only casebot admins")
        admin_dm = await world.fake.post_message(world.stranger, "reload")
        reply = await world.fake.wait_for_request(
            "POST", rf"/channels/{admin_dm['channel_id']}/messages"
        )
        assert reply.body["content"].startswith("Reloaded the corpus")
        assert world.fake.requests_to("POST", THREADS) == []

        audits = await desk.store.recent_audit(10)
        assert sorted(a.allowed for a in audits) == [False, False, True, True]


# --- mentions can't ping, long corpora fit -----------------------------------------------


EVERYONE_ARTICLE = """+++
title = "Staff memo on the LinkedIn suit"
outlet = "Ping Gazette"
url = "https://ping.example/memo"
published = 2025-01-24
+++
The memo to @everyone at the company said the LinkedIn lawsuit over private messages \
was serious, and <@&123456> and <@987654> were told to read it.
"""


async def test_nothing_sent_can_mention_anyone(
    world: World, bot: Callable[..., Any], corpus_copy: Path
) -> None:
    (corpus_copy / "ping-gazette-memo.md").write_text(EVERYONE_ARTICLE, encoding="utf-8")
    question = "@everyone what did the memo about the LinkedIn lawsuit say?"
    async with bot(corpus_dir=corpus_copy):
        interaction = await world.slash(world.member, "ask", {"question": question})
        slash = await answered(world, interaction)
        assert "@everyone at the company" in embed_text(slash.body)
        await answered(world, await world.slash(world.member, "help"))
        await world.mention_in(world.general, world.member, question)
        await world.mention_in(world.general, world.member, "@everyone")
        await world.fake.wait_for_request(
            "POST", MESSAGES, lambda r: "@everyone at the company" in embed_text(r.body)
        )
        await world.fake.wait_for_request(
            "POST", MESSAGES, lambda r: "“@everyone”" in (r.body.get("content") or "")
        )

        sent = sent_messages(world.fake)
        # ask (deferral, edit), help, the answer in a thread, help for "@everyone".
        assert len(sent) == 5
        for request in sent:
            body = message_body(request)
            if request.path.endswith("/callback") and request.body["type"] == 5:
                continue  # a deferral carries no message text
            assert body["allowed_mentions"] == {"parse": []}, request.path


def _long_article(index: int) -> str:
    """A long article: long, dated sentences about the suit, different in each article.

    Only every fourth article has a paragraph about the arbitration clause, so that the
    question about it has passages to rank (a word in most passages tells BM25 nothing).
    """
    clause = " ".join(
        f"The arbitration clause in filing {index}-{n} was challenged by the plaintiffs "
        f"on January {(index + n) % 28 + 1}, 2025, "
        + " ".join(f"with argument {index}-{n}-{k} about waivers" for k in range(8))
        + "."
        for n in range(5)
    )
    others = [
        f"On January {(index + n) % 28 + 1}, 2025, LinkedIn answered point {index}-{n}, "
        + " ".join(f"with detail {index}-{n}-{k} about the private messages" for k in range(25))
        + "."
        for n in range(5)
    ]
    return (
        f'+++\ntitle = "Long report {index} on the LinkedIn lawsuit, with a very long title '
        f'that goes on and on"\noutlet = "Long Outlet {index} ⚖️"\n'
        f'url = "https://long.example/{index}"\npublished = 2025-01-{index % 28 + 1:02d}\n+++\n'
        + "\n\n".join([clause, *others] if index % 4 == 0 else others)
        + "\n"
    )


async def test_an_answer_from_a_very_long_corpus_stays_within_discord_limits(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    corpus = make_corpus({f"long-{i:02d}.md": _long_article(i) for i in range(60)}, name="long")
    async with bot(corpus_dir=corpus, max_quotes=50):
        for subcommand, options in [
            ("timeline", None), ("ask", {"question": "what about the arbitration clause?"}),
            ("sources", None), ("status", None),
        ]:  # fmt: skip
            interaction = await world.slash(world.member, subcommand, options)
            answer = await answered(world, interaction)
            body = message_body(answer)
            assert_within_limits(body)
            if subcommand == "ask":
                assert len(body["embeds"][0]["description"].split("\n> ")) > 3  # several quotes
            if subcommand == "timeline":
                # Cut honestly: the answer says how much it leaves out.
                assert re.search(r"… \(\d+ more events not shown\)", embed_text(body))
            if subcommand == "sources":
                # A page of them, and a way to the rest.
                assert "Page 1 of " in embed_text(body) and "Next ›" in _buttons(body)


# --- issue 21: paging, deferring, a question example for any case ---------------------------


def _buttons(data: dict[str, Any]) -> dict[str, str]:
    """A message's buttons: label -> custom_id."""
    return {
        button["label"]: button["custom_id"]
        for row in data.get("components") or [] for button in row["components"]
    }  # fmt: skip


async def test_a_long_source_listing_pages_through_every_source(
    world: World, bot: Callable[..., Any], make_corpus: Callable[..., Path]
) -> None:
    from tests.support.corpora import article

    files = {
        f"outlet-{n:03d}.md": article(
            title=f"LinkedIn lawsuit report number {n} from the courthouse",
            outlet=f"The Daily Outlet {n}", url=f"https://outlet{n}.example/2025/01/linkedin-{n}",
            published=f"2025-01-{1 + n % 28:02d}", paragraphs=[f"Report {n} said LinkedIn was sued."],
        )
        for n in range(80)
    }  # fmt: skip
    async with bot(corpus_dir=make_corpus(files, name="eighty")):
        interaction = await world.slash(world.member, "sources")
        data = (await answered(world, interaction)).body["data"]
        assert not data.get("flags", 0) & EPHEMERAL  # the listing itself stays public
        seen: list[str] = []
        for number in range(1, 81):
            text = embed_text(data)
            assert_within_limits(data)
            assert "not shown" not in text and f"Page {number} of " in text
            seen += re.findall(r"LinkedIn lawsuit report number (\d+)", text)
            labels = _buttons(data)
            if "Next ›" not in labels:
                break
            assert ("‹ Previous" in labels) is (number > 1)
            # The public listing opens a private copy at the next page; paging the private
            # copy edits it (an update of the message, callback type 7).
            click = await world.fake.click_button(
                world.member, labels["Next ›"], guild=world.guild, channel_id=world.general.id,
                components=data.get("components"), flags=EPHEMERAL if number > 1 else 0,
            )  # fmt: skip
            callback = await world.fake.wait_for_request(
                "POST", CALLBACK, lambda r: click["token"] in r.path
            )
            assert callback.body["type"] == (7 if number > 1 else 4)
            data = callback.body["data"]
            if number == 1:
                assert data["flags"] & EPHEMERAL
        assert sorted(map(int, seen)) == list(range(80))  # every source, each once


@pytest.mark.parametrize("command", ["report", "follow", "unfollow", "following"])
async def test_commands_that_touch_the_database_are_deferred(
    world: World, bot: Callable[..., Any], command: str
) -> None:
    async with bot(discord_admin_ids=[int(world.member["id"])]):
        interaction = await world.slash(world.member, command)
        first = await world.fake.wait_for_request(
            "POST", CALLBACK, lambda r: interaction["token"] in r.path
        )
        assert first.body["type"] == 5  # "casebot is thinking…", then the answer
        assert first.body["data"]["flags"] & EPHEMERAL  # private from the start
        answer = await answered(world, interaction)
        assert answer.matches("PATCH", ORIGINAL) and embed_text(answer.body).strip()


async def test_the_question_option_names_no_particular_case(
    world: World, bot: Callable[..., Any]
) -> None:
    async with bot():
        (sync,) = world.fake.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands")
        case, _ = sync.body
        (ask,) = [option for option in case["options"] if option["name"] == "ask"]
        (question,) = [option for option in ask["options"] if option["name"] == "question"]
        assert "LinkedIn" not in question["description"]
        assert "e.g. who filed the lawsuit?" in question["description"]
