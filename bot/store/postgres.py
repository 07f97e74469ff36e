"""The PostgreSQL backend (asyncpg): one database shared by several casebot replicas.

Selected by `CASEBOT_DATABASE_URL` (`postgresql://user:password@host:port/database`). The
URL is a secret: only `where(url)`, without the password, ever appears in a message.

* **A pool.** asyncpg keeps up to `POOL_SIZE` connections; a statement outside a
  transaction takes any free one. A connection the server closed is replaced at its next
  use, so when PostgreSQL restarts the store carries on by itself once it is back.
* **Clear failures.** While the server can't be reached, every call raises
  `StoreUnavailable`, naming the server and what went wrong, never a driver traceback; a
  read that met a connection cut since its last use is tried once more on a fresh one.
* **Migrations once.** `casebot_migrations` holds the versions applied; they are applied
  in one transaction holding an advisory lock, so replicas starting together wait for
  the first and find nothing left to do.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from urllib.parse import urlsplit

from bot.store.database import Row, StoreUnavailable
from bot.store.migrations_postgres import MIGRATIONS, SCHEMA_VERSION

try:
    import asyncpg
except ImportError:  # the `postgres` extra is not installed
    asyncpg = None

logger = logging.getLogger(__name__)

# Connections one replica keeps at most: its writes are short, and PostgreSQL's default
# max_connections (100) must carry every replica and the operator's own sessions.
POOL_SIZE = 10
# Seconds to wait for a connection, and for one statement: a server that stops answering
# is reported as unavailable instead of holding a question for ever.
CONNECT_TIMEOUT = 10.0
STATEMENT_TIMEOUT = 30.0
# pg_advisory_xact_lock's key for migrating: any constant no other program on the database
# uses ("casebot" in ASCII).
MIGRATION_LOCK = 0x63617365626F74

T = TypeVar("T")


def where(url: str) -> str:
    """The server and database a URL names, without user or password, for messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        database = parts.path.lstrip("/") or "(the user's default)"
    except ValueError:
        return "the PostgreSQL server of CASEBOT_DATABASE_URL"
    return f"PostgreSQL at {host}:{port}, database {database}"


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """What means "the server is not there (now)", as against a wrong statement."""
    errors: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)
    if asyncpg is not None:
        errors += (
            asyncpg.PostgresConnectionError,  # class 08: connection exceptions
            asyncpg.OperatorInterventionError,  # 57: shutting down, starting up
            asyncpg.InsufficientResourcesError,  # 53: too many connections, disk full
            asyncpg.InterfaceError,  # "connection is closed", a pool closing
            # A connection the server cut while it was idle can be left mid-message
            # ("cannot switch to state ...; another operation is in progress").
            asyncpg.InternalClientError,
        )
    return errors


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`sql` with its `?` placeholders as PostgreSQL's `$1`, `$2`, ... (the store's SQL has
    no `?` inside a string literal)."""
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return re.sub(r"\?", number, sql)


def _changed(status: str) -> int:
    """Rows changed, from a command status such as "INSERT 0 3" or "UPDATE 2"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Connection:
    """The store's three calls on one asyncpg connection (a transaction's)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        return [tuple(row) for row in await self._connection.fetch(numbered(sql), *params)]

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        row = await self._connection.fetchrow(numbered(sql), *params)
        return tuple(row) if row is not None else None

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        return _changed(await self._connection.execute(numbered(sql), *params))


class PostgresDatabase:
    """An open, migrated PostgreSQL database. Create with `await PostgresDatabase.open(url)`."""

    backend = "postgres"
    # Several replicas post alerts from one table: each claims what it posts.
    leases = True
    key_lock_sql = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
    salt_sql = "INSERT INTO kept (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"

    def __init__(self, pool: asyncpg.Pool, where: str) -> None:
        self._pool = pool
        self.where = where
        self._unavailable = _unavailable_errors()

    @property
    def salt_params(self) -> tuple[object, ...]:  # type: ignore[override]
        # A fresh candidate each time; only the first one made is ever kept. asyncpg logs
        # no parameters.
        return ("user_salt", secrets.token_hex(32))

    def __repr__(self) -> str:
        return f"<PostgresDatabase {self.where}>"

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE) -> PostgresDatabase:
        """Connect to `url` and migrate its database.

        Raises:
            StoreUnavailable: the server can't be reached, or refused the user.
            RuntimeError: asyncpg is not installed, or the database's schema is newer.
        """
        if asyncpg is None:
            raise RuntimeError(
                "CASEBOT_DATABASE_URL names PostgreSQL, which needs the postgres extra: "
                "pip install -e '.[postgres]'"
            )
        place = where(url)
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=pool_size,
                timeout=CONNECT_TIMEOUT,
                command_timeout=STATEMENT_TIMEOUT,
            )
        except asyncpg.InvalidAuthorizationSpecificationError as error:
            # Wrong user or password: the server's own sentence names neither secret.
            raise StoreUnavailable(_scrubbed(f"{place} refused casebot: {error}", password)) from None
        except asyncpg.InvalidCatalogNameError:
            raise StoreUnavailable(f"{place}: there is no such database") from None
        except _unavailable_errors() as error:
            raise StoreUnavailable(_scrubbed(_unreachable(place, error), password)) from None
        except ValueError:
            # asyncpg's own complaint may quote the URL: say only what it is.
            raise StoreUnavailable(
                "CASEBOT_DATABASE_URL is not a PostgreSQL URL asyncpg can read "
                "(postgresql://user:password@host:port/database)"
            ) from None
        database = cls(pool, place)
        try:
            await database._migrate()
        except BaseException:
            await pool.close()
            raise
        return database

    # --- running statements ----------------------------------------------------------

    async def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        return await self._read(lambda c: c.fetch(sql, params))

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        return await self._read(lambda c: c.fetchone(sql, params))

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        return await self._write(lambda c: c.execute(sql, params))

    async def write_one(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        return await self._write(lambda c: c.fetchone(sql, params))

    async def commit(self) -> None:
        """Nothing to do: each statement outside a transaction commits by itself."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Connection]:
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                yield _Connection(connection)
        except self._unavailable as error:
            # Not tried again: a write cut short may or may not have committed.
            await self._pool.expire_connections()
            raise StoreUnavailable(_unreachable(self.where, error)) from None

    async def _write(self, write: Callable[[_Connection], Awaitable[T]]) -> T:
        # One statement commits by itself (no BEGIN and COMMIT: one round trip, not three).
        try:
            async with self._pool.acquire() as connection:
                return await write(_Connection(connection))
        except self._unavailable as error:
            # Not tried again: a write cut short may or may not have committed.
            await self._pool.expire_connections()
            raise StoreUnavailable(_unreachable(self.where, error)) from None

    async def _read(self, read: Callable[[_Connection], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            try:
                async with self._pool.acquire() as connection:
                    return await read(_Connection(connection))
            except self._unavailable as error:
                # A restart cuts every pooled connection: make them all anew, and try a
                # read once more, which costs nothing if the server is back.
                await self._pool.expire_connections()
                if attempt == 2 or isinstance(error, asyncio.TimeoutError):
                    raise StoreUnavailable(_unreachable(self.where, error)) from None
        raise AssertionError("unreachable")

    # --- the database as a whole -----------------------------------------------------

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT coalesce(max(version), 0) FROM casebot_migrations")
        return int(row[0]) if row else 0

    async def healthy(self) -> bool:
        """Whether the server answers within a few seconds."""
        try:
            async with asyncio.timeout(5):
                return await self.fetchone("SELECT 1") == (1,)
        except (StoreUnavailable, TimeoutError):
            return False

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), timeout=10)
        except (TimeoutError, *self._unavailable):
            self._pool.terminate()

    async def _migrate(self) -> None:
        async with self.transaction() as connection:
            # Held to the end of the transaction: a second replica waits here, then finds
            # the versions applied.
            await connection.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS casebot_migrations ("
                " version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            row = await connection.fetchone(
                "SELECT coalesce(max(version), 0) FROM casebot_migrations"
            )
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"database schema version {version} is newer than this casebot "
                    f"({SCHEMA_VERSION})"
                )
            for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await connection._connection.execute(script)  # several statements, no params
                await connection.execute(
                    "INSERT INTO casebot_migrations (version) VALUES (?)", (target,)
                )
                level = logging.INFO if version > 0 else logging.DEBUG
                logger.log(level, "migrated the database to schema version %d", target)


def _unreachable(place: str, error: BaseException) -> str:
    reason = str(error).strip() or type(error).__name__
    return f"{place} can't be reached now ({reason}); casebot will reconnect when it is back"


def _scrubbed(message: str, password: str | None) -> str:
    # The driver's sentences don't quote the URL; this makes sure of it.
    return message.replace(password, "***") if password else message
