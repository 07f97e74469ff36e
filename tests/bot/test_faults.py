"""Faults: a failing handler, a killed process, an old database, dropped connections, SIGTERM.

Each test breaks one thing the way production breaks it and shows casebot carries on:
the real Slack and Discord adapters against the fakes (`tests.support.fake_slack`,
`tests.support.fake_discord`), the real store in a child process killed with SIGKILL, and
`python -m bot.cli serve` stopped with SIGTERM while answers are in flight.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.desk import Desk
from bot.discord.adapter import SHUTTING_DOWN
from bot.store import MIGRATIONS, SCHEMA_VERSION, Store
from tests.support.fake_discord import EPHEMERAL
from tests.support.fake_slack import BOT_USER_ID, FakeSlack

# The harnesses of the adapter tests, reused as they are (fixtures are found by name).
from tests.support.discord_world import (  # noqa: F401 - fixtures
    MESSAGES,
    ORIGINAL,
    QUESTION,
    World,
    _replies_to,
    answered,
    assert_answer_with_quotes,
    bot,
    world,
)
from tests.support.slack_harness import (  # noqa: F401 - fixtures
    APP_TOKEN,
    Harness,
    all_text,
    corpus_copy,
    fake,
    mention,
    stack,
    start,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOM = "the disk is on fire"
_REQUEST_ID = re.compile(r"request id ([0-9a-f]{8})")


def fail_once(monkeypatch: pytest.MonkeyPatch, desk: Desk) -> None:
    """Make `desk.handle` raise for the next request only, as a bug around the desk would."""
    original = desk.handle
    calls = 0

    async def handle(text: str, caller: Any, **named: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError(BOOM)
        return await original(text, caller, **named)

    monkeypatch.setattr(desk, "handle", handle)


def logged_failure(caplog: pytest.LogCaptureFixture, logger: str) -> tuple[logging.LogRecord, str]:
    """The one error record `logger` wrote with a traceback, and the request id it names."""
    (record,) = [r for r in caplog.records if r.name == logger and r.exc_info]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and str(record.exc_info[1]) == BOOM
    match = re.search(r"request ([0-9a-f]{8}) failed", record.getMessage())
    assert match, record.getMessage()
    return record, match[1]


def apology_id(text: str) -> str:
    """The request id an apology gives the user (and nothing of the failure itself)."""
    assert "something went wrong" in text
    assert BOOM not in text and "Traceback" not in text
    match = _REQUEST_ID.search(text)
    assert match, text
    return match[1]


# --- an exception in a handler -------------------------------------------------------------


async def test_slack_failure_is_an_apology_with_the_logged_request_id_and_slack_goes_on(
    start: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack: Harness = await start()
    caplog.set_level(logging.ERROR, logger="bot.slack.adapter")

    fail_once(monkeypatch, slack.desk)
    payload = await slack.answer("status")
    assert payload["response_type"] == "ephemeral"
    _, logged_id = logged_failure(caplog, "bot.slack.adapter")
    assert apology_id(all_text(payload)) == logged_id
    assert "Traceback" in caplog.text and f"RuntimeError: {BOOM}" in caplog.text
    assert "*Latest*" in all_text(await slack.answer("status"))  # the next one is answered

    # The same for a mention, which is answered by the Web API rather than response_url.
    caplog.clear()
    fail_once(monkeypatch, slack.desk)
    await slack.event(mention(f"<@{BOT_USER_ID}> status"))
    (apology,) = await slack.posts(1, "chat.postEphemeral")
    _, logged_id = logged_failure(caplog, "bot.slack.adapter")
    assert apology_id(all_text(apology.payload)) == logged_id
    await slack.event(mention(f"<@{BOT_USER_ID}> status"))
    (answer,) = await slack.posts(1)
    assert "*Latest*" in all_text(answer.payload)


async def test_discord_failure_is_an_apology_with_the_logged_request_id_and_discord_goes_on(
    world: World,
    bot: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.discord.client")
    async with bot() as (desk, _):
        fail_once(monkeypatch, desk)
        interaction = await world.slash(world.member, "status")
        token = interaction["token"]
        # A deferred public command: the placeholder goes, the apology is private.
        apology = await world.fake.wait_for_request("POST", rf"/webhooks/\d+/{token}")
        assert apology.body["flags"] & EPHEMERAL
        assert world.fake.requests_to("DELETE", ORIGINAL)
        _, logged_id = logged_failure(caplog, "bot.discord.client")
        assert apology_id(apology.body["content"]) == logged_id
        assert "Traceback" in caplog.text and f"RuntimeError: {BOOM}" in caplog.text
        again = await world.slash(world.member, "status")
        assert_answer_with_quotes((await answered(world, again)).body)

        caplog.clear()
        fail_once(monkeypatch, desk)
        asked = await world.mention_in(world.general, world.member, QUESTION)
        apology = await world.fake.wait_for_request(
            "POST", MESSAGES, lambda r: _replies_to(r, asked)
        )
        _, logged_id = logged_failure(caplog, "bot.discord.client")
        assert apology_id(apology.body["content"]) == logged_id
        dm = await world.fake.post_message(world.stranger, QUESTION)
        answer = await world.fake.wait_for_request(
            "POST", rf"/channels/{dm['channel_id']}/messages"
        )
        assert_answer_with_quotes(answer.body)


# --- the store survives a crash and migrates forward --------------------------------------

_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.store import Store

    async def main(path):
        store = await Store.open(path)
        n = 0
        while True:
            n += 1
            if n % 2:
                await store.record_admin(platform="crash", user_id=f"u{n}", command="reload",
                                         allowed=True, result=f"row {n}")
            else:
                await store.record_load(case_id="seed", by_platform="crash", by_user=f"u{n}",
                                        result="ok", articles=n, passages=n)
            # Printed only once the row is committed.
            print(n, flush=True)

    asyncio.run(main(sys.argv[1]))
    """
)


def test_store_survives_sigkill_mid_write_with_every_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "casebot.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        committed = []
        while len(committed) < 300:
            line = child.stdout.readline()
            assert line, "the writer stopped before it was killed"
            committed.append(int(line))
        # Killed while it goes on writing: mid-transaction, mid-commit, or between.
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # A line cut by the kill is not a report of a commit.
    committed += [int(line) for line in rest.split("\n")[:-1]]
    assert Path(f"{path}-wal").exists()  # recovery from the write-ahead log is exercised

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        audited = {row[0] for row in db.execute("SELECT user_id FROM audit")}
        loaded = {row[0] for row in db.execute("SELECT by_user FROM corpus_loads")}
    db.close()
    for n in committed:
        assert f"u{n}" in (audited if n % 2 else loaded), n

    async def reopen() -> None:
        store = await Store.open(path)
        try:
            assert await store.schema_version() == SCHEMA_VERSION
            await store.record_admin(
                platform="test", user_id="after", command="reload", allowed=False, result="ok"
            )
            (newest,) = await store.recent_audit(1)
            assert newest.user_id == "after"
        finally:
            await store.close()

    asyncio.run(reopen())
    assert not Path(f"{path}-wal").exists()  # a clean close leaves no log behind


async def test_an_unversioned_database_is_migrated_and_its_data_kept(tmp_path: Path) -> None:
    path = tmp_path / "casebot.db"
    with sqlite3.connect(path) as db:  # version 0: e.g. made by an operator's sqlite3 shell
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
    db.close()

    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        await store.record_load(case_id="seed", by_platform="system", by_user="system", result="ok")
        assert len(await store.recent_loads(10)) == 1
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
    db.close()


async def test_a_database_at_each_older_version_migrates_forward_keeping_its_rows(
    tmp_path: Path,
) -> None:
    # A database made by every earlier casebot (the schema as that version left it), with
    # a record in it: opening it brings it to the current version and loses nothing.
    for version in range(1, SCHEMA_VERSION + 1):
        path = tmp_path / f"v{version}.db"
        with sqlite3.connect(path) as db:
            for script in MIGRATIONS[:version]:
                db.executescript(script)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute(
                "INSERT INTO audit (at, platform, user_id, command, allowed, result)"
                " VALUES ('2025-01-30T12:00:00+00:00', 'slack', 'U1', 'reload', 0, 'refused')"
            )
        db.close()
        store = await Store.open(path)
        try:
            assert await store.schema_version() == SCHEMA_VERSION
            (record,) = await store.recent_audit(10)
            assert (record.platform, record.user_id, record.allowed) == ("slack", "U1", False)
        finally:
            await store.close()


async def test_a_failed_migration_leaves_the_old_version_and_no_half_made_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "casebot.db"
    with sqlite3.connect(path) as db:  # a table in the way of the first migration
        db.execute("CREATE TABLE audit (x TEXT)")
    db.close()
    with pytest.raises(sqlite3.OperationalError, match="audit"):
        await Store.open(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert tables == {"audit"}  # corpus_loads, made before the failure, was rolled back


# --- dropped connections --------------------------------------------------------------------


async def test_slack_socket_mode_reconnects_after_a_disconnect_or_a_dropped_socket(
    start: Callable[..., Any], fake: FakeSlack
) -> None:
    slack: Harness = await start(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    await fake.wait_for_connections(1)

    async def answered_over_socket(key: str) -> None:
        await fake.send_envelope("slash_commands", slack.command_body("status", key=key))
        answer = await fake.wait_for_call("response_url", key, timeout=15)
        assert "*Latest*" in all_text(answer.payload)

    await answered_over_socket("before")
    # Slack announces it is recycling the connection; the client opens a new one.
    await fake.send_disconnect("refresh_requested")
    await fake.wait_for_connections(2)
    await answered_over_socket("after-disconnect")
    # The connection just goes away.
    await fake.drop_socket()
    await fake.wait_for_connections(3)
    await answered_over_socket("after-drop")
    # Each new connection asked Slack for a fresh URL with the app token.
    assert len(fake.calls_to("apps.connections.open")) >= 3


async def test_discord_reconnects_after_reconnect_requests_drops_and_invalid_sessions(
    world: World, bot: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = world.fake

    # discord.py waits 5 s before identifying again, for Discord's rate limit; the fake
    # has none, and the test needn't wait.
    async def no_pause(self: discord.Client, shard_id: int | None, *, initial: bool) -> None:
        return None

    monkeypatch.setattr(discord.Client, "before_identify_hook", no_pause)

    async def dm_is_answered() -> None:
        dm = await fake.post_message(world.stranger, QUESTION)
        answer = await fake.wait_for_request(
            "POST", rf"/channels/{dm['channel_id']}/messages", timeout=15
        )
        assert_answer_with_quotes(answer.body)

    resume, identify = 6, 2
    async with bot():
        await dm_is_answered()
        # Discord asks the bot to reconnect (op 7): it resumes the session.
        await fake.request_reconnect()
        await fake.wait_gateway_op(resume, 1)
        await dm_is_answered()
        # The connection is closed with a resumable code: it resumes again.
        await fake.drop_connections(4000)
        await fake.wait_gateway_op(resume, 2)
        await dm_is_answered()
        # The session is invalidated: it identifies afresh.
        await fake.invalidate_session(resumable=False)
        await fake.wait_gateway_op(identify, 2)
        await dm_is_answered()
        # And slash commands work on the new session too.
        interaction = await world.slash(world.member, "status")
        assert_answer_with_quotes((await answered(world, interaction)).body)


# --- shutting down ------------------------------------------------------------------------


async def test_discord_close_finishes_answers_in_flight_and_turns_new_ones_away(
    world: World, bot: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bot() as (desk, adapter):
        original = desk.handle
        started = asyncio.Event()

        async def slow(text: str, caller: Any, **named: Any) -> Any:
            started.set()
            await asyncio.sleep(0.5)
            return await original(text, caller, **named)

        monkeypatch.setattr(desk, "handle", slow)
        in_flight = await world.slash(world.member, "status")
        await asyncio.wait_for(started.wait(), 10)
        closing = asyncio.create_task(adapter.close())
        await asyncio.sleep(0)  # close() has begun: no new work is taken

        late = await world.slash(world.member, "sources")
        refusal = await answered(world, late)
        assert refusal.body["data"]["content"] == SHUTTING_DOWN
        assert refusal.body["data"]["flags"] & EPHEMERAL
        assert not closing.done()

        await asyncio.wait_for(closing, 15)
        token = in_flight["token"]
        (answer,) = [r for r in world.fake.requests_to("PATCH", ORIGINAL) if token in r.path]
        assert answer.body["content"].startswith("Where the case stands")
        assert adapter.client.is_closed()


_SLOW_ANSWERS = textwrap.dedent(
    """
    # Loaded by `python -m bot.cli serve` in the SIGTERM test (it is first on PYTHONPATH):
    # every answer takes a while, so some are surely in flight when the signal comes.
    import asyncio
    import bot.desk

    _handle = bot.desk.Desk.handle

    async def _slow_handle(self, text, caller, **named):
        await asyncio.sleep(1.5)
        return await _handle(self, text, caller, **named)

    bot.desk.Desk.handle = _slow_handle
    """
)


async def test_sigterm_stops_taking_work_finishes_answers_closes_the_store_and_exits_0(
    tmp_path: Path,
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_SLOW_ANSWERS, encoding="utf-8")
    db_path = tmp_path / "casebot.db"
    async with FakeSlack() as slack:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(hooks), str(REPO_ROOT)]),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_API_URL": slack.api_url,
            "CASEBOT_DB_PATH": str(db_path),
            "SLACK_ADMIN_IDS": "UADMIN",
            "CASEBOT_OPS_PORT": "0",  # any free port: never clash with another casebot
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await slack.wait_for_call("socket_connect", timeout=60)
            # Three people (each may have only so many requests in flight), one an admin.
            commands = {
                "serve-status": ("status", "U1"),
                "serve-ask": (QUESTION, "U2"),
                "serve-reload": ("reload", "UADMIN"),
            }
            envelopes = []
            for key, (text, user) in commands.items():
                body = {
                    "command": "/case", "text": text, "user_id": user, "channel_id": "C1",
                    "team_id": "T1", "api_app_id": "A1", "trigger_id": f"trigger-{key}",
                    "response_url": slack.response_url(key),
                }  # fmt: skip
                envelopes.append(await slack.send_envelope("slash_commands", body))
            for envelope in envelopes:
                await slack.wait_for_call("socket_ack", envelope, timeout=30)
            assert slack.calls_to("response_url") == []  # all three are being answered
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=60)
        stderr = stderr_bytes.decode()
        assert process.returncode == 0, stderr

        # The connection was closed first, then every answer in flight still arrived.
        closed_at = next(n for n, c in enumerate(slack.calls) if c.method == "socket_close")
        for key in commands:
            (answer,) = slack.calls_to("response_url", key)
            assert slack.calls.index(answer) > closed_at
            assert "something went wrong" not in json.dumps(answer.payload)
        assert "*Latest*" in all_text(slack.calls_to("response_url", "serve-status")[0].payload)
        assert "Reloaded the corpus" in all_text(
            slack.calls_to("response_url", "serve-reload")[0].payload
        )
        assert "Traceback" not in stderr

    # The store was closed cleanly after the answers: no log left, everything in it.
    assert not Path(f"{db_path}-wal").exists()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        audit = db.execute("SELECT user_id, command, allowed FROM audit").fetchall()
        loads = db.execute("SELECT by_platform, result FROM corpus_loads").fetchall()
    db.close()
    assert audit == [("UADMIN", "reload", 1)]
    # The reload found no file changed, so loaded nothing again: only the start's load.
    assert loads == [("system", "ok")]
