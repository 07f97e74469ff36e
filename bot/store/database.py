"""What the store asks of a database, whichever it is, and the errors it can raise.

`Store` (bot/store/store.py) writes its SQL once, with `?` placeholders and the syntax both
SQLite and PostgreSQL understand (`ON CONFLICT`, `RETURNING`); a `Database` runs it on one
backend: bot/store/sqlite.py (aiosqlite) or bot/store/postgres.py (asyncpg). What does
differ is a property of the `Database` (`leases`, `salt_sql`), not a branch in the store.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from retrieval.errors import CasebotError

Row = tuple[Any, ...]


class Executor(Protocol):
    """Runs statements: the database itself, or one transaction on it."""

    async def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[Row]:
        """Every row `sql` returns."""
        ...

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        """The first row `sql` returns, or None."""
        ...

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run `sql`; how many rows it changed."""
        ...


class Database(Executor, Protocol):
    """An open database of one backend. Statements outside `transaction()` each stand alone:
    `execute` commits its one statement by itself, and `write_one` is the same for one
    that returns a row (`... RETURNING`)."""

    # "sqlite" or "postgres".
    backend: str
    # Whether alerts being posted are leased (several processes may post; see
    # `Store.claim_alerts`). One SQLite process needs no lease.
    leases: bool
    # Keeps a random salt under ('user_salt') in `kept` if none is there yet.
    salt_sql: str
    salt_params: tuple[object, ...]
    # Within a transaction, waits for any other process's transaction holding the same
    # key (its one parameter): None where one process is all there is.
    key_lock_sql: str | None

    async def write_one(self, sql: str, params: tuple[object, ...] = ()) -> Row | None:
        """Run one writing statement, committed by itself; the first row it returns."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        ...

    async def schema_version(self) -> int: ...

    async def healthy(self) -> bool:
        """Whether the database answers now (for /readyz)."""
        ...

    async def close(self) -> None: ...


class MissingDatabase(CasebotError, FileNotFoundError):
    """A command that only reads the database found none where CASEBOT_DB_PATH points."""

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()
        super().__init__(
            f"there is no database at {self.path} (CASEBOT_DB_PATH, relative to the working "
            "directory): point CASEBOT_DB_PATH at the one `casebot serve` writes"
        )


class StoreUnavailable(CasebotError, ConnectionError):
    """The database can't be reached now (PostgreSQL down, restarting or refusing).

    Its message names the server (host, port, database), never the password; the store
    keeps trying to reconnect at each call, so a caller reports this and carries on.
    """
