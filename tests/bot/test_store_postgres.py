"""The store on a real PostgreSQL server (tests/support/postgres.py): migrations once and
only once, however many replicas start together; a clear error while the server is away,
and the same Store working again once it is back; the URL's password never shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg
import pytest
from pydantic import ValidationError

from bot.settings import Settings
from bot.store import Store, StoreUnavailable
from bot.store.migrations_postgres import SCHEMA_VERSION
from tests.support.postgres import PostgresServer

TABLES = {"corpus_loads", "audit", "questions", "follows", "alert_marks", "alerts",
          "channel_cases", "kept", "answers", "feedback", "shared", "hits",
          "casebot_migrations"}  # fmt: skip


async def _catalogue(url: str) -> tuple[set[str], list[int]]:
    connection = await asyncpg.connect(url, timeout=60)
    try:
        tables = {
            row[0]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        versions = [row[0] for row in await connection.fetch(
            "SELECT version FROM casebot_migrations ORDER BY version"
        )]  # fmt: skip
    finally:
        await connection.close()
    return tables, versions


async def test_an_empty_database_is_migrated_and_reopening_migrates_nothing(
    postgres_url: str,
) -> None:
    store = await Store.open(postgres_url)
    try:
        assert store.backend == "postgres"
        assert await store.schema_version() == SCHEMA_VERSION
        await store.record_load(case_id="c", by_platform="system", by_user="system", result="ok")
    finally:
        await store.close()
    assert await _catalogue(postgres_url) == (TABLES, list(range(1, SCHEMA_VERSION + 1)))

    again = await Store.open(postgres_url)
    try:
        assert await again.schema_version() == SCHEMA_VERSION
        assert [load.case_id for load in await again.recent_loads()] == ["c"]
    finally:
        await again.close()
    assert await _catalogue(postgres_url) == (TABLES, list(range(1, SCHEMA_VERSION + 1)))


async def test_three_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(postgres_url) for _ in range(3)))
    try:
        assert [await store.schema_version() for store in stores] == [SCHEMA_VERSION] * 3
        # One salt for all: the same person is one pseudonym on every replica.
        assert len({store.user_hash("slack", "U1") for store in stores}) == 1
    finally:
        for store in stores:
            await store.close()
    assert await _catalogue(postgres_url) == (TABLES, list(range(1, SCHEMA_VERSION + 1)))


async def test_a_database_from_a_newer_casebot_is_refused(postgres_url: str) -> None:
    await (await Store.open(postgres_url)).close()
    connection = await asyncpg.connect(postgres_url, timeout=60)
    await connection.execute(
        "INSERT INTO casebot_migrations (version) VALUES ($1)", SCHEMA_VERSION + 1
    )
    await connection.close()
    with pytest.raises(RuntimeError, match="newer"):
        await Store.open(postgres_url)


async def test_while_the_server_is_away_calls_fail_clearly_and_then_it_reconnects(
    postgres_server: PostgresServer, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = await Store.open(postgres_url)
    try:
        await store.shared_put("preview", "tok", '"kept"', ttl=3600)
        assert await store.healthy()
        await asyncio.to_thread(postgres_server.stop)
        try:
            assert not await store.healthy()
            for call in (
                store.recent_loads(),
                store.shared_get("preview", "tok"),
                store.record_load(case_id="c", by_platform="s", by_user="s", result="ok"),
            ):
                with pytest.raises(StoreUnavailable) as caught:
                    await call
                message = str(caught.value)
                assert "can't be reached" in message and "127.0.0.1" in message
                assert postgres_server.password not in message
        finally:
            await asyncio.to_thread(postgres_server.start)
        # The same Store, with no reopening.
        assert await store.healthy()
        assert await store.shared_get("preview", "tok") == '"kept"'
        await store.record_load(case_id="c", by_platform="s", by_user="s", result="ok")
        assert len(await store.recent_loads()) == 1
    finally:
        await store.close()
    assert postgres_server.password not in caplog.text


async def test_nothing_recorded_is_lost_when_the_server_restarts_under_writes(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    store = await Store.open(postgres_url)
    recorded = refused = 0

    async def write(n: int) -> None:
        nonlocal recorded, refused
        try:
            await store.record_admin(
                platform="slack", user_id=f"U{n}", command="reload", allowed=True, result="ok"
            )
        except StoreUnavailable:
            refused += 1
        else:
            recorded += 1

    async def writes() -> None:
        for batch in range(30):
            await asyncio.gather(*(write(batch * 10 + n) for n in range(10)))
            await asyncio.sleep(0.01)

    try:
        await asyncio.gather(writes(), asyncio.to_thread(postgres_server.restart))
        # Every write that returned is there. (One cut off after its commit reached the
        # server may be there too, though it failed: the client can't know.)
        assert recorded + refused == 300 and recorded > 0
        rows = len(await store.recent_audit(1000))
        assert recorded <= rows <= recorded + refused
        await write(1000)
        assert len(await store.recent_audit(1000)) == rows + 1
    finally:
        await store.close()


async def test_a_server_that_is_not_there_or_refuses_is_a_clear_error(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    wrong = postgres_url.replace(postgres_server.password, "wrong-password-1234")
    with pytest.raises(StoreUnavailable, match="refused casebot") as caught:
        await Store.open(wrong)
    assert "wrong-password-1234" not in str(caught.value)
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(StoreUnavailable, match="no such database"):
        await Store.open(missing)
    # Nothing listens on this port: the port the server had before it moved.
    with PostgresPort() as port:
        url = f"postgresql://casebot:secret-pw-5678@127.0.0.1:{port}/x"
        with pytest.raises(StoreUnavailable, match="can't be reached") as caught:
            await Store.open(url)
        assert "secret-pw-5678" not in str(caught.value)


class PostgresPort:
    """A port nothing listens on, for as long as the block lasts."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))  # bound, never listening: connections refused
        return int(self._socket.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self._socket.close()


def test_the_setting_takes_a_postgres_url_and_never_shows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql://casebot:s3cret-pw@db.internal:5432/casebot"
    monkeypatch.setenv("CASEBOT_DATABASE_URL", url)
    settings = Settings()
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == url
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(settings)
    monkeypatch.setenv("CASEBOT_DATABASE_URL", "mysql://root:hunter2-pw@db/casebot")
    with pytest.raises(ValidationError) as caught:
        Settings()
    problems = caught.value.errors(include_input=False, include_url=False)
    assert "PostgreSQL URL" in problems[0]["msg"] and "hunter2-pw" not in str(problems)
    monkeypatch.setenv("CASEBOT_DATABASE_URL", "")
    assert Settings().database_url is None  # empty: SQLite at CASEBOT_DB_PATH


async def test_the_store_from_settings_uses_the_url_and_hides_it(
    monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer, postgres_url: str
) -> None:
    monkeypatch.setenv("CASEBOT_DATABASE_URL", postgres_url)
    store = await Store.from_settings(Settings())
    try:
        assert store.backend == "postgres"
        assert postgres_server.password not in repr(store)
        assert postgres_server.password not in repr(store._db)
    finally:
        await store.close()


def test_a_command_whose_database_is_unreachable_says_so_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    with PostgresPort() as port:
        monkeypatch.setenv(
            "CASEBOT_DATABASE_URL", f"postgresql://casebot:pw-9f8e7d@127.0.0.1:{port}/casebot"
        )
        assert main(["report"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"casebot report: PostgreSQL at 127.0.0.1:{port}, database casebot")
    assert "Traceback" not in err and "pw-9f8e7d" not in err


async def test_a_question_while_the_database_is_away_is_answered_and_logged_in_one_line(
    make_settings: Callable[..., Settings], postgres_server: PostgresServer, postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from bot.desk import Caller, Desk

    desk = await Desk.open(make_settings(database_url=postgres_url))
    asker = Caller("slack", "U1", is_admin=False, channel_id="C1")
    try:
        await asyncio.to_thread(postgres_server.stop)
        try:
            caplog.clear()
            reply = await desk.handle("ask who is suing LinkedIn?", asker)
        finally:
            await asyncio.to_thread(postgres_server.start)
        assert reply.answer.kind == "answer" and reply.answer.quotes
        warnings = [r for r in caplog.records if "could not write to the store" in r.message]
        assert warnings and all(r.exc_info is None for r in warnings)
        assert "can't be reached" in warnings[0].getMessage()
        assert postgres_server.password not in caplog.text
    finally:
        await desk.close()
