"""The SQLite backend (aiosqlite): one file, one connection, one process. The default.

One connection serves every coroutine, so a transaction holds a lock: no other write's
commit can land in the middle of it. Reads outside a transaction don't wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store.database import MissingDatabase, Row
from bot.store.migrations_sqlite import MIGRATIONS, SCHEMA_VERSION

logger = logging.getLogger(__name__)


class SqliteDatabase:
    """An open, migrated SQLite database. Create with `await SqliteDatabase.open(path)`."""

    backend = "sqlite"
    leases = False
    # Made by SQLite itself: aiosqlite logs every statement's parameters at DEBUG.
    salt_sql = (
        "INSERT INTO kept (key, value) VALUES ('user_salt', lower(hex(randomblob(32))))"
        " ON CONFLICT (key) DO NOTHING"
    )
    salt_params: tuple[object, ...] = ()
    # One process: its transactions already wait for each other (`_writing`).
    key_lock_sql = None

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, create: bool = True) -> SqliteDatabase:
        """Open (creating it and its parent folders if `create`) and migrate the database.

        Raises:
            MissingDatabase: `create` is False and there is no database at `path`.
        """
        if not create:
            if not Path(path).is_file():
                raise MissingDatabase(Path(path))
            # mode=rw: SQLite itself won't create the file if it went missing meanwhile.
            target, uri = Path(path).absolute().as_uri() + "?mode=rw", True
        else:
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            target, uri = str(path), False
        try:
            db = await aiosqlite.connect(target, uri=uri)
        except sqlite3.OperationalError:
            if create:
                raise
            raise MissingDatabase(Path(path)) from None
        try:
            # WAL lets a reader (e.g. an operator's sqlite3 shell) look while the bot writes.
            await db.execute("PRAGMA journal_mode=WAL")
            await _migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db)

    # --- running statements ----------------------------------------------------------

    async def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        return await _Transaction(self.connection).fetch(sql, params)

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        return await _Transaction(self.connection).fetchone(sql, params)

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        async with self.transaction() as transaction:
            return await transaction.execute(sql, params)

    async def write_one(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        async with self.transaction() as transaction:
            return await transaction.fetchone(sql, params)

    async def commit(self) -> None:
        await self.connection.commit()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Transaction]:
        async with self._writing:
            try:
                yield _Transaction(self.connection)
            except BaseException:
                await self.connection.rollback()
                raise
            await self.connection.commit()

    # --- the database as a whole -----------------------------------------------------

    async def schema_version(self) -> int:
        return await _user_version(self.connection)

    async def healthy(self) -> bool:
        try:
            return await self.fetchone("SELECT 1") == (1,)
        except Exception:  # a closed connection, a broken file
            return False

    async def close(self) -> None:
        await self.connection.close()


class _Transaction:
    """Statements on the connection, inside the transaction its owner commits."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        async with self._connection.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        # Every row is stepped through: a statement's changes (DELETE ... RETURNING) are
        # all made by the time its cursor closes.
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        cursor = await self._connection.execute(sql, params)
        return max(cursor.rowcount, 0)


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _migrate(db: aiosqlite.Connection) -> None:
    version = await _user_version(db)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {version} is newer than this casebot ({SCHEMA_VERSION})"
        )
    for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # user_version is part of the transaction, so a failed migration leaves the old
        # version and no half-made tables.
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
        # Upgrading a database is news to an operator; creating a new one (the first
        # `casebot chat` in a directory) is not.
        level = logging.INFO if version > 0 else logging.DEBUG
        logger.log(level, "migrated the database to schema version %d", target)
