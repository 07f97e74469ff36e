"""The PostgreSQL server the tests start (tests/support/postgres.py) is real and usable:
asyncpg connects with the URL's password, refuses a wrong one, and a restart keeps the data
and the port while cutting the connections that were open."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.postgres import PostgresServer


async def test_the_server_accepts_an_asyncpg_connection(postgres_url: str) -> None:
    connection = await asyncpg.connect(postgres_url, timeout=60)
    try:
        assert await connection.fetchval("SELECT 1 + 1") == 2
        version = await connection.fetchval("SHOW server_version_num")
        assert int(version) >= 150000
        # A fresh database: nothing of casebot's yet.
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        assert tables == []
    finally:
        await connection.close()


async def test_a_wrong_password_is_refused(postgres_server: PostgresServer) -> None:
    url = postgres_server.url().replace(postgres_server.password, "not-the-password")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(url, timeout=60)


async def test_a_restart_keeps_the_data_and_cuts_open_connections(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    connection = await asyncpg.connect(postgres_url, timeout=60)
    await connection.execute("CREATE TABLE kept (n integer); INSERT INTO kept VALUES (7)")
    port = postgres_server.port
    postgres_server.restart()
    assert postgres_server.port == port
    with pytest.raises((asyncpg.PostgresConnectionError, ConnectionError, OSError)):
        await connection.fetchval("SELECT n FROM kept")
    connection.terminate()
    again = await asyncpg.connect(postgres_url, timeout=60)
    try:
        assert await again.fetchval("SELECT n FROM kept") == 7
    finally:
        await again.close()
