"""Bad input: any text, broken corpus files, non-admins, and secrets that must not leak.

The properties run many generated examples through one Desk per module (opened on a loop of
this module's own, so hypothesis can drive it from plain test functions): whatever comes
in, the reply is well formed and fits Slack and Discord, a broken corpus is rejected by
file name while the old one keeps serving, and every non-admin attempt at an admin
command is refused and audited. The last tests run casebot's real entry points.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import operator
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import _start_adapters, main
from bot.commands import parse_command
from bot.desk import Caller, Desk, Reply
from bot.discord.adapter import DiscordStartError, start_discord
from bot.discord.embeds import render_discord
from bot.render.json import answer_to_json
from bot.render.text import render_text
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter, SlackStartError, start_slack
from bot.store import Store
from retrieval.corpus import FIELDS, MAX_FILE_BYTES
from retrieval.case.status import status as real_status
from tests.support.corpora import SEED_CORPUS_DIR, SMALL_CORPUS, article
from tests.support.fake_slack import BOT_USER_ID, FakeSlack, signed_headers
from tests.support.discord_world import (  # noqa: F401 - fixtures
    QUESTION,
    World,
    answered,
    corpus_copy,
    world,
)
from tests.support.discord_limits import assert_within_limits
from tests.support.slack_limits import check_limits, texts
from tests.support.queries import Swappable, queries_with
from tests.support.slack_harness import (
    ADMIN,
    BOT_TOKEN,
    MEMBER,
    SIGNING_SECRET,
    Harness,
    all_text,
    direct_message,
    mention,
)

# Every kind of reply the desk gives when nothing went wrong inside it.
WELL_FORMED_KINDS = frozenset(
    {"answer", "no_answer", "status", "timeline", "sources", "help", "reload", "refused",
     "limited"}
)  # fmt: skip
_NO_LIMITS = {"rate_limit": 0, "max_in_flight": 0, "max_question_chars": 0}


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for this module's desks, driven from synchronous hypothesis tests."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


def _open_desk(runner: asyncio.Runner, corpus_dir: Path, db_path: Path) -> Desk:
    # Explicit values throughout: module fixtures run before the per-test isolation of the
    # environment. The per-person limits are off so that every input reaches the
    # retrieval code (a huge question would otherwise be turned away by length).
    settings_ = Settings(
        _env_file=None, corpus_dir=corpus_dir, db_path=db_path, max_quotes=3,
        ephemeral_answers=False, store_questions=False, **_NO_LIMITS,
    )  # fmt: skip
    return runner.run(Desk.open(settings_))


@pytest.fixture(scope="module")
def seed_desk(runner: asyncio.Runner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A desk over the bundled corpus."""
    desk = _open_desk(runner, SEED_CORPUS_DIR, tmp_path_factory.mktemp("seed") / "casebot.db")
    yield desk
    runner.run(desk.close())


# --- any text, from anyone ---------------------------------------------------------------

# Pieces that mean something to a platform, a parser or a terminal.
_FRAGMENTS = st.sampled_from([
    "<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U123|bob>", "<#C123|general>",
    "<!subteam^S123>", "@everyone", "@here", "<@123456789012345678>", "<@!42>", "<@&42>",
    "<#42>", "*bold*", "_it_", "~gone~", "`code`", "```\nblock\n```", "> quoted", "||spoiler||",
    "[link](https://evil.example)", "<https://evil.example|click>", "&amp;", "&lt;", "&gt;",
    "\u202e", "\u200f", "\u200b", "\u2066", "مرحبا بالعالم", "שלום", "👍🏽", "👨‍👩‍👧", "🇺🇸", "é",
    "\x00", "\x1b[31m", "\r\n", "\t", "\u2028", "\ufeff", "\U0010ffff", "/case", "case", "ask",
    "status", "timeline", "sources", "reload", "RELOAD", "help", "?", "who is suing LinkedIn",
    "LinkedIn", "$1,000", "Premium", "InMail", "2024", "August",
])  # fmt: skip
_SMALL = st.text(max_size=8)
ANY_TEXT = st.one_of(
    st.text(),  # any Unicode without surrogates, control characters included
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "So"])),
    st.lists(_FRAGMENTS | _SMALL, max_size=40).map(" ".join),
    st.lists(_FRAGMENTS | _SMALL, max_size=40).map("".join),
    st.tuples(st.sampled_from(["", "/case ", "case ", "ask ", "/case ask ", "/CASE "]),
              st.lists(_FRAGMENTS | _SMALL, max_size=20).map(" ".join)).map("".join),
    # Huge: up to ~100,000 characters, cheaply.
    st.builds(operator.mul, st.lists(_FRAGMENTS | _SMALL, min_size=1, max_size=5)
              .map(" ".join), st.integers(200, 5000)),
)  # fmt: skip
CALLERS = st.builds(
    Caller,
    platform=st.sampled_from(["slack", "discord", "console"]),
    user_id=st.text(min_size=1, max_size=30),
    is_admin=st.booleans(),
)


@settings(
    max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
@given(text=ANY_TEXT, caller=CALLERS)
# The extremes at least once, whatever hypothesis draws.
@example(text="", caller=Caller("slack", "U1", is_admin=False))
@example(text="who is suing LinkedIn? " * 5000, caller=Caller("discord", "42", is_admin=False))
@example(text="<!channel> @everyone <@U123> 👨‍👩‍👧 " * 3000, caller=Caller("slack", "U1", False))
@example(text="/case reload", caller=Caller("discord", "42", is_admin=False))
def test_any_text_gets_a_well_formed_reply_that_fits_slack_and_discord(
    runner: asyncio.Runner, seed_desk: Desk, text: str, caller: Caller
) -> None:
    audited = runner.run(seed_desk.store.recent_audit(1))
    reply = runner.run(seed_desk.handle(text, caller))

    answer = reply.answer
    assert isinstance(reply, Reply)
    assert answer.kind in WELL_FORMED_KINDS  # never "error": nothing failed inside
    assert answer.text.strip()
    if answer.kind in ("help", "refused", "limited"):
        assert not reply.public
    # The admin gate: a non-admin's admin command is refused, and the refusal audited.
    if parse_command(text).spec.admin_only and not caller.is_admin:
        assert answer.kind == "refused"
        (newest,) = runner.run(seed_desk.store.recent_audit(1))
        assert not audited or newest.id > audited[0].id
        assert (newest.platform, newest.user_id, newest.allowed) == (
            caller.platform, caller.user_id, False
        )  # fmt: skip

    # Slack: within Block Kit's limits, and every "<" is a link built from a source URL
    # (so nothing typed can become <!channel> or a user mention).
    message = check_limits(answer)
    for value in texts(message["blocks"]):
        for part in value.split("<")[1:]:
            assert part.startswith(("https://", "http://")), value
    # Discord: within its limits, and sent with every mention disabled.
    rendered = render_discord(answer)
    assert_within_limits(rendered)
    assert rendered.send_kwargs()["allowed_mentions"].to_dict() == {"parse": []}
    # The console and --json too.
    assert render_text(answer)
    json.dumps(answer_to_json(answer))


# --- broken corpus files ---------------------------------------------------------------------

_GOOD = SMALL_CORPUS["alpha.md"]
# End of the closing "+++" of the front matter: a cut anywhere before it breaks the file.
_FRONT_MATTER_END = _GOOD.index("\n+++\n", 3) + len("\n+++")
_NEW_ARTICLE = article(
    title="A new report", outlet="Delta", published="2025-02-01",
    paragraphs=["LinkedIn filed a motion to dismiss the lawsuit over private messages."],
)  # fmt: skip


@dataclass(frozen=True)
class Breakage:
    """One way to break a corpus file: `make(path, outside)` creates it at `path`.

    `outside` is a directory next to (not inside) the corpus, holding a valid article.
    """

    kind: str
    make: Callable[[Path, Path], None]

    def __repr__(self) -> str:
        return f"Breakage({self.kind})"


def _bytes(kind: str, data: bytes) -> Breakage:
    return Breakage(f"{kind} {data[:60]!r}", lambda path, _: path.write_bytes(data))


def _front_matter(field: str, value: str) -> bytes:
    other = 'outlet = "Fine"' if field == "title" else 'title = "Fine"'
    return f"+++\n{other}\n{field} = {value}\n+++\nLinkedIn was sued.\n".encode()


_TEXT_WRONG = ["123", "1.5", "true", '["a", "b"]', "{ a = 1 }", "2025-01-22", '""', '"   "']
_DATE_WRONG = [
    '"2025-01-22"', '"yesterday"', "20250122", "true", "2025-01-22T10:00:00",
    "2025-01-22T10:00:00Z", "10:00:00", '""', "[2025-01-22]",
]  # fmt: skip
_WRONG_VALUES = {
    "title": _TEXT_WRONG,
    "outlet": _TEXT_WRONG,
    "author": _TEXT_WRONG,
    "url": [*_TEXT_WRONG, '"ftp://x.example"', '"javascript:alert(1)"', '"www.example.com"'],
    "published": _DATE_WRONG,
    "updated": _DATE_WRONG,
}


def _huge(extra: int) -> Breakage:
    def make(path: Path, _: Path) -> None:
        path.write_text(_GOOD, encoding="utf-8")
        os.truncate(path, MAX_FILE_BYTES + extra)  # sparse: cheap to write, big to stat

    return Breakage(f"huge +{extra}", make)


def _symlink(kind: str, target: Callable[[Path, Path], str]) -> Breakage:
    return Breakage(kind, lambda path, outside: path.symlink_to(target(path, outside)))


def _fifo(path: Path, _: Path) -> None:
    os.mkfifo(path)


# Links out of the corpus, broken links, loops, and things that are not files.
_NOT_FILES = [
    _symlink("link out, absolute", lambda _, outside: str(outside / "elsewhere.md")),
    _symlink("link out, relative", lambda _, outside: f"../{outside.name}/elsewhere.md"),
    _symlink("link to /", lambda _, __: "/"),
    _symlink("dangling link", lambda path, _: str(path.with_name("missing.md"))),
    _symlink("link loop", lambda path, _: path.name),
    Breakage("directory", lambda path, _: path.mkdir()),
    Breakage("fifo", _fifo),
]
_LATIN = st.text(st.characters(min_codepoint=0xA0, max_codepoint=0xFF), min_size=1, max_size=30)
BREAKAGES = st.one_of(
    # Front matter cut off anywhere (an empty file included).
    st.integers(0, _FRONT_MATTER_END).map(
        lambda n: _bytes("cut", _GOOD[:n].encode())
    ),
    # A field of the wrong type or form.
    st.sampled_from(sorted(_WRONG_VALUES)).flatmap(
        lambda f: st.sampled_from(_WRONG_VALUES[f]).map(
            lambda v: _bytes(f"{f} = {v}", _front_matter(f, v))
        )
    ),
    # A field the format doesn't have.
    st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True)
    .filter(lambda key: key not in FIELDS)
    .map(lambda key: _bytes(f"unknown {key}", _front_matter(key, '"x"'))),
    st.just(_bytes("updated before published", _front_matter(
        "published", "2025-02-01\nupdated = 2025-01-01"))),
    # Binary junk, alone or after a valid article.
    st.tuples(st.sampled_from([b"", _GOOD.encode()]), st.binary(max_size=300)).map(
        lambda parts: _bytes("binary", parts[0] + parts[1] + b"\xff")
    ),
    # Another encoding than UTF-8.
    st.tuples(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32"]), _LATIN)
    .map(lambda p: _bytes(p[0], _GOOD.replace("Alpha News", "Café " + p[1]).encode(p[0]))),
    # Bigger than the loader reads.
    st.integers(1, 100_000).map(_huge),
    st.sampled_from(_NOT_FILES),
)  # fmt: skip
FILE_NAMES = st.from_regex(r"zz-[a-z0-9][a-z0-9_-]{0,15}", fullmatch=True).map(
    lambda stem: f"{stem}.md"
)


@pytest.fixture(scope="module")
def small_corpus_desk(
    runner: asyncio.Runner, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Desk, Path, Path]]:
    """A desk over a copy of the small corpus, its directory, and a directory outside it."""
    base = tmp_path_factory.mktemp("breakable")
    corpus = base / "corpus"
    corpus.mkdir()
    for name, text in SMALL_CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    outside = base / "outside"
    outside.mkdir()
    (outside / "elsewhere.md").write_text(_NEW_ARTICLE, encoding="utf-8")
    desk = _open_desk(runner, corpus, base / "casebot.db")
    yield desk, corpus, outside
    runner.run(desk.close())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Each of the rarer breakages at least once, whatever hypothesis draws.
@example(
    broken=[(f"zz-{n}.md", breakage) for n, breakage in enumerate(_NOT_FILES)],
    with_a_good_new_file=True,
)
@given(
    broken=st.lists(st.tuples(FILE_NAMES, BREAKAGES), min_size=1, max_size=3,
                    unique_by=lambda pair: pair[0]),
    with_a_good_new_file=st.booleans(),
)  # fmt: skip
def test_broken_files_are_rejected_by_name_and_the_old_corpus_keeps_serving(
    runner: asyncio.Runner,
    small_corpus_desk: tuple[Desk, Path, Path],
    broken: list[tuple[str, Breakage]],
    with_a_good_new_file: bool,
) -> None:
    desk, corpus, outside = small_corpus_desk
    admin = Caller(platform="console", user_id="admin", is_admin=True)
    before = desk.index
    passages = len(before.corpus.passages)
    created = [corpus / name for name, _ in broken]
    if with_a_good_new_file:
        created.append(corpus / "zz-good.md")
    try:
        for name, breakage in broken:
            breakage.make(corpus / name, outside)
        if with_a_good_new_file:  # all or nothing: a good file doesn't get in either
            (corpus / "zz-good.md").write_text(_NEW_ARTICLE, encoding="utf-8")

        report = runner.run(desk.handle("reload", admin)).answer

        assert report.kind == "error"
        assert report.text.startswith("Reload failed; still serving the corpus loaded at")
        # Every broken file is named, and nothing else is.
        assert {note.split(": ", 1)[0] for note in report.notes} == {n for n, _ in broken}
        assert desk.index is before and len(desk.index.corpus.passages) == passages
        answer = runner.run(desk.handle("who is suing LinkedIn?", admin)).answer
        assert answer.kind == "answer" and answer.quotes
        (load,) = runner.run(desk.store.recent_loads(1))
        assert load.result == "failed" and load.errors == report.notes
    finally:
        for path in created:
            _remove(path)


# --- admin commands from non-admins, in the console --------------------------------------


def test_console_no_admin_refuses_admin_commands_and_audits_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `casebot chat --no-admin`; the other entry points' refusals are shown audited in
    # test_slack.py (slash command, mention, DM) and test_discord.py (the same three).
    monkeypatch.setattr(sys, "stdin", io.StringIO("reload\n/case reload\nstatus\n"))
    assert main(["chat", "--no-admin"]) == 0
    out = capsys.readouterr().out
    assert out.count("Sorry, only casebot admins can use “reload”.") == 2
    assert "Where the case stands" in out  # everything else still works

    async def audit() -> list[Any]:
        store = await Store.open(tmp_path / "casebot.db")
        try:
            return await store.recent_audit(10)
        finally:
            await store.close()

    records = asyncio.run(audit())
    assert [(r.platform, r.command, r.allowed, r.result) for r in records] == [
        ("console", "reload", False, "refused")
    ] * 2
    # Without the flag the console is an admin, as before.
    monkeypatch.setattr(sys, "stdin", io.StringIO("reload\n"))
    assert main(["chat"]) == 0
    assert "Reloaded the corpus" in capsys.readouterr().out


# --- secrets -----------------------------------------------------------------------------

DISCORD_TOKEN = "discord-secret-token-MTMzMDAw.Gx7abc.never-log-this"
WRONG_SLACK_TOKEN = "xoxb-wrong-but-still-secret-0000"
WRONG_DISCORD_TOKEN = "discord-wrong-but-still-secret-1111"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, DISCORD_TOKEN, WRONG_SLACK_TOKEN, WRONG_DISCORD_TOKEN)


async def test_no_token_or_signing_secret_appears_in_logs_errors_or_replies(
    world: World,
    make_settings: Callable[..., Settings],
    corpus_copy: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("slack_sdk", "slack_bolt", "discord", "aiohttp", "bot", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    world.fake.token = DISCORD_TOKEN
    seen: list[str] = []  # every error message and every reply body

    async with contextlib.AsyncExitStack() as stack:
        slack_fake = await stack.enter_async_context(FakeSlack(bot_token=BOT_TOKEN))
        values: dict[str, Any] = dict(
            corpus_dir=corpus_copy,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack_fake.api_url,
            slack_admin_ids=[ADMIN],
            host="127.0.0.1",
            port=0,
            discord_token=DISCORD_TOKEN,
            discord_api_url=world.fake.api_url,
            discord_gateway_url=world.fake.gateway_url,
            discord_guild_ids=[world.guild.id],
            log_level="DEBUG",
        )
        settings_ = make_settings(**values)
        answer_status = Swappable(real_status)  # to fail later on
        desk = await Desk.open(settings_, queries=queries_with(status=answer_status))
        stack.push_async_callback(desk.close)
        # Both adapters, as `casebot serve` starts them.
        adapters = await _start_adapters(desk, settings_)
        for adapter in adapters:
            stack.push_async_callback(adapter.close)
        slack_adapter = next(a for a in adapters if isinstance(a, SlackAdapter))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        slack = Harness(slack_adapter, desk, slack_fake, session, corpus_copy)

        # Failing authentication: forged Slack requests, and tokens Slack and Discord refuse.
        body = urlencode(slack.command_body("status", key="forged"))
        async with session.post(
            slack.url, data=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **signed_headers("a-guessed-secret", body),
            },
        ) as response:  # fmt: skip
            assert response.status == 401
            seen.append(await response.text())
        status, _, _ = await slack.slash("status", timestamp=1)  # stale
        assert status == 401
        with pytest.raises(SlackStartError) as refused:
            wrong = make_settings(**{**values, "slack_bot_token": WRONG_SLACK_TOKEN})
            await start_slack(desk, wrong)
        seen += [str(refused.value), repr(refused.value)]
        with pytest.raises(DiscordStartError) as login:
            wrong = make_settings(**{**values, "discord_token": WRONG_DISCORD_TOKEN})
            await start_discord(desk, wrong, connect_timeout=5)
        seen += [str(login.value), repr(login.value), repr(login.value.__cause__)]
        slack_fake.fail["chat.postEphemeral"] = "invalid_auth"  # the Web API refuses a post
        await slack.event(mention(f"<@{BOT_USER_ID}> help"))
        await slack_fake.wait_for_call("chat.postEphemeral")
        del slack_fake.fail["chat.postEphemeral"]

        # Ordinary use, a reload by an admin and one refused, on both platforms.
        for text, user in (("status", MEMBER), ("reload", ADMIN), ("reload", MEMBER)):
            await slack.answer(text, user=user)
        await slack.event(mention(f"<@{BOT_USER_ID}> who is suing LinkedIn?"))
        await slack.event(direct_message("timeline"))
        await slack.posts(2)
        for user, sub in ((world.member, "status"), (world.manager, "reload"),
                          (world.member, "reload")):  # fmt: skip
            await answered(world, await world.slash(user, sub))
        dm = await world.fake.post_message(world.stranger, QUESTION)
        await world.fake.wait_for_request("POST", rf"/channels/{dm['channel_id']}/messages")

        # An error inside the desk (logged with its traceback) on both platforms.
        def explode(*args: object) -> None:
            raise RuntimeError(f"boom while holding {settings_.slack_bot_token}")

        answer_status.function = explode
        assert "request id" in all_text(await slack.answer("status"))
        interaction = await world.slash(world.member, "status")
        await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{interaction['token']}")
        assert "Traceback" in caplog.text

    seen += [json.dumps(call.payload) for call in slack_fake.calls]
    seen += [json.dumps(request.body) for request in world.fake.requests]
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, *(r.getMessage() for r in caplog.records), *seen,
                            captured.out, captured.err])  # fmt: skip
    assert len(caplog.records) > 100  # DEBUG logs from the libraries were captured
    for secret in SECRETS:
        assert secret not in everything, secret
