"""casebot's own records in SQLite: corpus loads, admin command attempts and (opt-in) questions.

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from
version i to i + 1, and `Store.open` applies whichever are missing, each in its own
transaction. Add a migration by appending to the list; never edit one that has shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import aiosqlite

logger = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE corpus_loads (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        by_platform TEXT NOT NULL,
        by_user TEXT NOT NULL,
        fingerprint TEXT,
        articles INTEGER NOT NULL,
        passages INTEGER NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
        errors TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        command TEXT NOT NULL,
        allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
        result TEXT NOT NULL
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        question TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

LoadResult = Literal["ok", "failed"]


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """One row of `corpus_loads`: an attempt to load the corpus."""

    id: int
    at: datetime
    by_platform: str
    by_user: str
    fingerprint: str | None
    articles: int
    passages: int
    result: LoadResult
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of `audit`: an attempt to run an admin command."""

    id: int
    at: datetime
    platform: str
    user_id: str
    command: str
    allowed: bool
    result: str


class Store:
    """An open casebot database. Create with `await Store.open(path)`; `await close()` it.

    Args:
        connection: the open aiosqlite connection (its schema already migrated).
        store_questions: whether `record_question` keeps question text; when False it
            stores nothing at all about questions.
    """

    def __init__(self, connection: aiosqlite.Connection, *, store_questions: bool) -> None:
        self._db = connection
        self.store_questions = store_questions

    @classmethod
    async def open(cls, path: str | Path, *, store_questions: bool = False) -> Store:
        """Open (creating it and its parent folders if needed) and migrate the database."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path))
        try:
            # WAL lets a reader (e.g. an operator's sqlite3 shell) look while the bot writes.
            await db.execute("PRAGMA journal_mode=WAL")
            await _migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db, store_questions=store_questions)

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await _user_version(self._db)

    async def record_load(
        self,
        *,
        by_platform: str,
        by_user: str,
        result: LoadResult,
        fingerprint: str | None = None,
        articles: int = 0,
        passages: int = 0,
        errors: Iterable[str] = (),
    ) -> None:
        """Record one attempt to load the corpus (at start or on reload)."""
        await self._insert(
            "INSERT INTO corpus_loads"
            " (at, by_platform, by_user, fingerprint, articles, passages, result, errors)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), by_platform, by_user, fingerprint, articles, passages, result,
             "\n".join(errors)),
        )  # fmt: skip

    async def record_admin(
        self, *, platform: str, user_id: str, command: str, allowed: bool, result: str
    ) -> None:
        """Record an attempt to run an admin-only command, allowed or not, and its result."""
        await self._insert(
            "INSERT INTO audit (at, platform, user_id, command, allowed, result)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), platform, user_id, command, int(allowed), result),
        )

    async def record_question(
        self, *, platform: str, user_id: str, kind: str, question: str
    ) -> bool:
        """Record a question and the kind of answer it got, if questions are stored.

        Returns:
            Whether anything was written (False when `store_questions` is off).
        """
        if not self.store_questions:
            return False
        await self._insert(
            "INSERT INTO questions (at, platform, user_id, kind, question) VALUES (?, ?, ?, ?, ?)",
            (_now(), platform, user_id, kind, question),
        )
        return True

    async def recent_loads(self, n: int = 10) -> list[LoadRecord]:
        """The last `n` corpus loads, newest first."""
        query = (
            "SELECT id, at, by_platform, by_user, fingerprint, articles, passages, result, errors"
            " FROM corpus_loads ORDER BY id DESC LIMIT ?"
        )
        async with self._db.execute(query, (n,)) as cursor:
            rows = await cursor.fetchall()
        return [
            LoadRecord(
                id=row[0],
                at=datetime.fromisoformat(row[1]),
                by_platform=row[2],
                by_user=row[3],
                fingerprint=row[4],
                articles=row[5],
                passages=row[6],
                result=row[7],
                errors=tuple(row[8].splitlines()),
            )
            for row in rows
        ]

    async def recent_audit(self, n: int = 10) -> list[AuditRecord]:
        """The last `n` admin command attempts, newest first."""
        query = (
            "SELECT id, at, platform, user_id, command, allowed, result"
            " FROM audit ORDER BY id DESC LIMIT ?"
        )
        async with self._db.execute(query, (n,)) as cursor:
            rows = await cursor.fetchall()
        return [
            AuditRecord(
                id=row[0],
                at=datetime.fromisoformat(row[1]),
                platform=row[2],
                user_id=row[3],
                command=row[4],
                allowed=bool(row[5]),
                result=row[6],
            )
            for row in rows
        ]

    async def _insert(self, sql: str, params: tuple[object, ...]) -> None:
        await self._db.execute(sql, params)
        await self._db.commit()


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
