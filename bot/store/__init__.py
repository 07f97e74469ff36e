"""casebot's database: one `Store` over SQLite (the default) or PostgreSQL (replicas).

* `store.py`: `Store`, every record casebot keeps and the queries over them.
* `shared.py`: the short-lived state replicas share (previews, thread context, retry ids,
  rate-limit counts).
* `records.py`: the rows it hands back.
* `database.py`: what a backend provides, and the errors.
* `sqlite.py`, `postgres.py`: the backends; `migrations_sqlite.py`,
  `migrations_postgres.py`: each one's versions of the schema.
"""

from bot.store.database import MissingDatabase, StoreUnavailable
from bot.store.migrations_sqlite import MIGRATIONS, SCHEMA_VERSION
from bot.store.records import (
    LEGACY_CASE,
    AnswerRecord,
    AuditRecord,
    ChannelCase,
    Follow,
    LoadRecord,
    LoadResult,
    Reason,
    Vote,
)
from bot.store.store import CHANNEL_CASE_SECONDS, Store

__all__ = [
    "CHANNEL_CASE_SECONDS",
    "LEGACY_CASE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AnswerRecord",
    "AuditRecord",
    "ChannelCase",
    "Follow",
    "LoadRecord",
    "LoadResult",
    "MissingDatabase",
    "Reason",
    "Store",
    "StoreUnavailable",
    "Vote",
]
