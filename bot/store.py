"""casebot's own records in SQLite: corpus loads, admin command attempts, (opt-in) questions,
the channels that follow each case with the alerts owed to each, each channel's case, and
the answers and votes of the feedback buttons. Every record of a case names it by id.

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[i]` takes a database from
version i to i + 1, and `Store.open` applies whichever are missing, each in its own
transaction. Add a migration by appending to the list; never edit one that has shipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite

from retrieval.errors import CasebotError

if TYPE_CHECKING:
    from bot.settings import Settings

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
    # 2: following the case (bot/alerts.py). `follows`: the channels that follow.
    # `alert_state`: one row, made at the first load after this migration, holding the
    # latest event date of any development casebot has served (NULL: none dated yet);
    # only developments after it are news. `alerts`: each development queued for each
    # channel, done when posted (or stale when its article no longer says it).
    """
    CREATE TABLE follows (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    CREATE TABLE alert_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        known_through TEXT
    );
    CREATE TABLE alerts (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        development TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        done_at TEXT,
        outcome TEXT CHECK (outcome IN ('sent', 'stale')),
        PRIMARY KEY (platform, channel_id, development)
    );
    """,
    # 3: learning from the people asking (bot/feedback.py, bot/report.py). `kept`: values
    # casebot makes once and keeps (the salt of user hashes). `answers`: each ask and
    # status answer, with the passages it quoted ("source id#position in the article", which
    # a reload leaves alone), so its buttons work after a restart
    # (their value is only this id); the question text only with CASEBOT_STORE_QUESTIONS,
    # cleared after CASEBOT_QUESTION_RETENTION_DAYS. `feedback`: one vote per person
    # (salted hash, never the id) per answer; a second vote replaces the first.
    """
    CREATE TABLE kept (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        command TEXT NOT NULL,
        kind TEXT NOT NULL,
        passages TEXT NOT NULL DEFAULT '',
        question TEXT
    );
    CREATE INDEX answers_at ON answers (at);
    CREATE TABLE feedback (
        answer_id TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        kind TEXT NOT NULL,
        passages TEXT NOT NULL DEFAULT '',
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        reason TEXT CHECK (reason IN ('wrong_quote', 'outdated', 'missing')),
        PRIMARY KEY (answer_id, user_hash)
    );
    """,
    # 4: many cases in one deployment (bot/cases.py). Every record names its case by id.
    # Rows from before belong to the deployment's one case, which the store can't know:
    # they get the id '' and `Store.adopt_legacy` gives them to that case once the desk
    # knows it. A channel may follow several cases (`follows` and `alerts` are keyed by
    # case too), each case has its own mark of news (`alert_marks`, which replaces
    # `alert_state`), and `channel_cases` holds each channel's case (`/case use`). Audit
    # rows name a case only when the command was about one (NULL otherwise).
    """
    ALTER TABLE corpus_loads ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit ADD COLUMN case_id TEXT;
    ALTER TABLE questions ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE answers ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE feedback ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    CREATE INDEX answers_case_at ON answers (case_id, at);
    CREATE TABLE follows_by_case (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id, case_id)
    );
    INSERT INTO follows_by_case (platform, channel_id, case_id, at, by_user)
        SELECT platform, channel_id, '', at, by_user FROM follows;
    DROP TABLE follows;
    ALTER TABLE follows_by_case RENAME TO follows;
    CREATE TABLE alert_marks (
        case_id TEXT PRIMARY KEY,
        known_through TEXT
    );
    INSERT INTO alert_marks (case_id, known_through) SELECT '', known_through FROM alert_state;
    DROP TABLE alert_state;
    CREATE TABLE alerts_by_case (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        development TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        done_at TEXT,
        outcome TEXT CHECK (outcome IN ('sent', 'stale')),
        PRIMARY KEY (platform, channel_id, case_id, development)
    );
    INSERT INTO alerts_by_case
        (platform, channel_id, case_id, development, queued_at, done_at, outcome)
        SELECT platform, channel_id, '', development, queued_at, done_at, outcome FROM alerts;
    DROP TABLE alerts;
    ALTER TABLE alerts_by_case RENAME TO alerts;
    CREATE TABLE channel_cases (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    INSERT INTO kept (key, value) VALUES ('legacy_case', 'unclaimed');
    """,
]

# How long `Store.channel_case` remembers a channel's case, and for how many channels.
CHANNEL_CASE_SECONDS = 60.0
_REMEMBERED_CHANNELS = 10_000
# The case id of records made before a deployment could serve several cases (see 4 above).
LEGACY_CASE = ""
# The tables whose rows name a case with a NOT NULL case_id: the ones `adopt_legacy` updates.
_CASE_TABLES = ("corpus_loads", "questions", "answers", "feedback", "follows", "alerts",
                "alert_marks")  # fmt: skip

SCHEMA_VERSION = len(MIGRATIONS)


class MissingDatabase(CasebotError, FileNotFoundError):
    """A command that only reads the database found none where CASEBOT_DB_PATH points."""

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()
        super().__init__(
            f"there is no database at {self.path} (CASEBOT_DB_PATH, relative to the working "
            "directory): point CASEBOT_DB_PATH at the one `casebot serve` writes"
        )

LoadResult = Literal["ok", "failed"]


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """One row of `corpus_loads`: an attempt to load a case's articles."""

    id: int
    at: datetime
    by_platform: str
    by_user: str
    fingerprint: str | None
    articles: int
    passages: int
    result: LoadResult
    errors: tuple[str, ...]
    case_id: str = LEGACY_CASE


@dataclass(frozen=True, slots=True)
class Follow:
    """One row of `follows`: a channel that gets a case's new developments."""

    platform: str
    channel_id: str
    at: datetime
    by_user: str
    case_id: str = LEGACY_CASE


@dataclass(frozen=True, slots=True)
class ChannelCase:
    """One row of `channel_cases`: the case a channel chose with `/case use`."""

    platform: str
    channel_id: str
    case_id: str
    at: datetime
    by_user: str


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One row of `answers`: an ask or status answer that carries feedback buttons."""

    id: str
    at: datetime
    platform: str
    command: str
    kind: str
    passages: tuple[str, ...]
    question: str | None
    case_id: str = LEGACY_CASE


Vote = Literal["up", "down"]
Reason = Literal["wrong_quote", "outdated", "missing"]


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
    case_id: str | None = None


class Store:
    """An open casebot database. Create with `await Store.open(path)`; `await close()` it.

    Args:
        connection: the open aiosqlite connection (its schema already migrated).
        store_questions: whether `record_question` keeps question text; when False it
            stores nothing at all about questions.
    """

    def __init__(
        self, connection: aiosqlite.Connection, *, store_questions: bool, user_salt: bytes = b""
    ) -> None:
        self._db = connection
        self.store_questions = store_questions
        # Keys `user_hash`; never logged.
        self._user_salt = user_salt
        # One connection serves every coroutine: a write of several statements holds this
        # so that no other write's commit lands in the middle of it (see `_insert`).
        self._writing = asyncio.Lock()
        # (platform, channel) -> (its case, when read): see `channel_case`.
        self._channel_cases: dict[tuple[str, str], tuple[str | None, float]] = {}

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        store_questions: bool = False,
        user_salt: str | None = None,
        create: bool = True,
    ) -> Store:
        """Open (creating it and its parent folders if needed) and migrate the database.

        `user_salt` (CASEBOT_USER_HASH_SALT) keys the hashes of user ids; without it a
        random salt is made at the first open and kept in the database. With `create`
        False (commands that only read, such as `casebot report`) a database that does not
        exist is not made: a new, empty one would only report zeros.

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
            salt = user_salt.encode() if user_salt else await _kept_salt(db)
        except BaseException:
            await db.close()
            raise
        return cls(db, store_questions=store_questions, user_salt=salt)

    @classmethod
    async def from_settings(cls, settings: Settings, *, create: bool = True) -> Store:
        """Open the database the settings name, with their question and salt settings."""
        salt = settings.user_hash_salt
        return await cls.open(
            settings.db_path,
            store_questions=settings.store_questions,
            user_salt=salt.get_secret_value() if salt is not None else None,
            create=create,
        )

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await _user_version(self._db)

    async def adopt_legacy(self, case_id: str) -> bool:
        """Give the records made before cases (case id '') to `case_id`, once.

        The desk calls it when the deployment serves one case: the follows, the mark of
        news, the queued alerts, the answers and votes of a database from before then
        belong to that case, as they did. With several cases they are left as they are
        (no case can be told to be theirs), until a deployment of one case adopts them.

        Returns:
            Whether there were any such records (they are now `case_id`'s).
        """
        async with self._writing:
            async with self._db.execute("SELECT 1 FROM kept WHERE key = 'legacy_case'") as cursor:
                if await cursor.fetchone() is None:
                    return False
            adopted = 0
            for table in _CASE_TABLES:
                # A case's own mark, if one was made meanwhile, stays; the legacy one goes.
                verb = "UPDATE OR IGNORE" if table == "alert_marks" else "UPDATE"
                cursor = await self._db.execute(
                    f"{verb} {table} SET case_id = ? WHERE case_id = ?", (case_id, LEGACY_CASE)
                )
                adopted += max(cursor.rowcount, 0)
            await self._db.execute("DELETE FROM alert_marks WHERE case_id = ?", (LEGACY_CASE,))
            await self._db.execute("DELETE FROM kept WHERE key = 'legacy_case'")
            await self._db.commit()
        if adopted:
            logger.info("the records from before cases now belong to case %s", case_id)
        return adopted > 0

    async def record_load(
        self,
        *,
        case_id: str,
        by_platform: str,
        by_user: str,
        result: LoadResult,
        fingerprint: str | None = None,
        articles: int = 0,
        passages: int = 0,
        errors: Iterable[str] = (),
    ) -> None:
        """Record one attempt to load a case's articles (at start or on reload)."""
        await self._insert(
            "INSERT INTO corpus_loads (at, case_id, by_platform, by_user, fingerprint, articles,"
            " passages, result, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), case_id, by_platform, by_user, fingerprint, articles, passages, result,
             "\n".join(errors)),
        )  # fmt: skip

    async def record_admin(
        self, *, platform: str, user_id: str, command: str, allowed: bool, result: str,
        case_id: str | None = None,
    ) -> None:  # fmt: skip
        """Record an attempt to run an admin-only command, allowed or not, and its result;
        `case_id` when it was about one case."""
        await self._insert(
            "INSERT INTO audit (at, platform, user_id, command, allowed, result, case_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), platform, user_id, command, int(allowed), result, case_id),
        )

    async def record_question(
        self, *, case_id: str, platform: str, user_id: str, kind: str, question: str
    ) -> bool:
        """Record a question and the kind of answer it got, if questions are stored.

        Returns:
            Whether anything was written (False when `store_questions` is off).
        """
        if not self.store_questions:
            return False
        # The person as their salted hash, as in the feedback records: stored text must not
        # say who asked it.
        await self._insert(
            "INSERT INTO questions (at, case_id, platform, user_id, kind, question)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), case_id, platform, self.user_hash(platform, user_id), kind, question),
        )
        return True

    async def recent_loads(self, n: int = 10) -> list[LoadRecord]:
        """The last `n` loads of any case, newest first."""
        query = (
            "SELECT id, at, by_platform, by_user, fingerprint, articles, passages, result, errors,"
            " case_id FROM corpus_loads ORDER BY id DESC LIMIT ?"
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
                case_id=row[9],
            )
            for row in rows
        ]

    async def recent_audit(self, n: int = 10) -> list[AuditRecord]:
        """The last `n` admin command attempts, newest first."""
        query = (
            "SELECT id, at, platform, user_id, command, allowed, result, case_id"
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
                case_id=row[7],
            )
            for row in rows
        ]

    # --- each channel's case (`/case use`, bot/routing.py) -------------------------------

    async def channel_case(self, *, platform: str, channel_id: str) -> str | None:
        """The case `channel_id` chose, or None.

        Routing asks on every question that names no case, so the answer is remembered for
        `CHANNEL_CASE_SECONDS` (a query costs a thread hop, up to milliseconds under load;
        a remembered answer, microseconds). This store's own changes are seen at once;
        another process's writing to the same database, within that time.
        """
        key = (platform, channel_id)
        remembered = self._channel_cases.get(key)
        if remembered is not None and time.monotonic() - remembered[1] < CHANNEL_CASE_SECONDS:
            return remembered[0]
        async with self._db.execute(
            "SELECT case_id FROM channel_cases WHERE platform = ? AND channel_id = ?", key
        ) as cursor:
            row = await cursor.fetchone()
        chosen = str(row[0]) if row is not None else None
        self._channel_cases[key] = (chosen, time.monotonic())
        while len(self._channel_cases) > _REMEMBERED_CHANNELS:
            del self._channel_cases[next(iter(self._channel_cases))]
        return chosen

    async def set_channel_case(
        self, *, platform: str, channel_id: str, case_id: str | None, by_user: str
    ) -> str | None:
        """Make `case_id` the channel's case (None: no case of its own). Returns the case
        it had before, if any."""
        async with self._writing:
            async with self._db.execute(
                "SELECT case_id FROM channel_cases WHERE platform = ? AND channel_id = ?",
                (platform, channel_id),
            ) as cursor:
                row = await cursor.fetchone()
            if case_id is None:
                await self._db.execute(
                    "DELETE FROM channel_cases WHERE platform = ? AND channel_id = ?",
                    (platform, channel_id),
                )
            else:
                await self._db.execute(
                    "INSERT INTO channel_cases (platform, channel_id, case_id, at, by_user)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, channel_id) DO UPDATE SET"
                    " case_id = excluded.case_id, at = excluded.at, by_user = excluded.by_user",
                    (platform, channel_id, case_id, _now(), by_user),
                )
            await self._db.commit()
        self._channel_cases[(platform, channel_id)] = (case_id, time.monotonic())
        return str(row[0]) if row is not None else None

    async def channel_cases(self) -> list[ChannelCase]:
        """Every channel's choice of case, oldest first."""
        rows = await self._rows(
            "SELECT platform, channel_id, case_id, at, by_user FROM channel_cases"
            " ORDER BY at, rowid", (),
        )  # fmt: skip
        return [ChannelCase(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4]) for r in rows]

    # --- following cases (bot/alerts.py) ----------------------------------------------

    async def follow(self, *, platform: str, channel_id: str, case_id: str, by_user: str) -> bool:
        """Make a channel follow a case. Returns False if it already did."""
        async with self._writing:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO follows (platform, channel_id, case_id, at, by_user)"
                " VALUES (?, ?, ?, ?, ?)",
                (platform, channel_id, case_id, _now(), by_user),
            )
            await self._db.commit()
        return cursor.rowcount > 0

    async def unfollow(self, *, platform: str, channel_id: str, case_id: str) -> bool:
        """Stop a channel following a case, with the case's alerts queued for it. False if
        it did not follow that case."""
        where = "platform = ? AND channel_id = ? AND case_id = ?"
        key = (platform, channel_id, case_id)
        async with self._writing:
            cursor = await self._db.execute(f"DELETE FROM follows WHERE {where}", key)
            await self._db.execute(f"DELETE FROM alerts WHERE {where} AND done_at IS NULL", key)
            await self._db.commit()
        return cursor.rowcount > 0

    async def follows(
        self, *, case_id: str | None = None, platform: str | None = None,
        channel_id: str | None = None,
    ) -> list[Follow]:  # fmt: skip
        """The follows of one case, one channel, or all, oldest first."""
        conditions = [
            (column, value)
            for column, value in (("case_id", case_id), ("platform", platform),
                                  ("channel_id", channel_id))  # fmt: skip
            if value is not None
        ]
        where = " AND ".join(f"{column} = ?" for column, _ in conditions) or "1"
        rows = await self._rows(
            f"SELECT platform, channel_id, at, by_user, case_id FROM follows WHERE {where}"
            " ORDER BY at, rowid",
            tuple(value for _, value in conditions),
        )
        return [Follow(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]

    async def known_through(self, case_id: str) -> tuple[bool, date | None]:
        """(whether the case's mark was set yet, the latest development date served)."""
        async with self._db.execute(
            "SELECT known_through FROM alert_marks WHERE case_id = ?", (case_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False, None
        return True, date.fromisoformat(row[0]) if row[0] else None

    async def queue_alerts(
        self, case_id: str, developments: Iterable[str], known_through: date | None
    ) -> int:
        """Queue a case's `developments` (keys) for every channel that follows it, and move
        the case's mark.

        One transaction: a development is either queued for every follower and behind the
        mark, or neither, so a crash can neither lose an alert nor queue one twice.

        Returns:
            How many (channel, development) alerts were queued.
        """
        keys = list(developments)
        async with self._writing:
            cursor = await self._db.executemany(
                "INSERT OR IGNORE INTO alerts"
                " (platform, channel_id, case_id, development, queued_at)"
                " SELECT platform, channel_id, case_id, ?, ? FROM follows WHERE case_id = ?",
                [(key, _now(), case_id) for key in keys],
            )
            queued = cursor.rowcount if keys else 0
            await self._db.execute(
                "INSERT INTO alert_marks (case_id, known_through) VALUES (?, ?)"
                " ON CONFLICT (case_id) DO UPDATE SET known_through = excluded.known_through",
                (case_id, known_through.isoformat() if known_through else None),
            )
            await self._db.commit()
        return max(queued, 0)

    async def pending_alerts(
        self, platform: str | None = None
    ) -> dict[tuple[str, str, str], list[str]]:
        """Alerts queued and not yet done: (platform, channel id, case id) -> development
        keys."""
        query = (
            "SELECT platform, channel_id, case_id, development FROM alerts WHERE done_at IS NULL"
            + (" AND platform = ?" if platform is not None else "")
            + " ORDER BY rowid"
        )
        pending: dict[tuple[str, str, str], list[str]] = {}
        for row in await self._rows(query, (platform,) if platform is not None else ()):
            pending.setdefault((row[0], row[1], row[2]), []).append(row[3])
        return pending

    async def finish_alerts(
        self, *, platform: str, channel_id: str, case_id: str, sent: Iterable[str],
        stale: Iterable[str] = (),
    ) -> None:  # fmt: skip
        """Mark a channel's alerts of a case done: `sent` were posted, `stale` no longer
        can be."""
        now = _now()
        key = (platform, channel_id, case_id)
        rows = [(now, "sent", *key, development) for development in sent]
        rows += [(now, "stale", *key, development) for development in stale]
        async with self._writing:
            await self._db.executemany(
                "UPDATE alerts SET done_at = ?, outcome = ? WHERE platform = ?"
                " AND channel_id = ? AND case_id = ? AND development = ?",
                rows,
            )
            await self._db.commit()

    # --- feedback and the report (bot/feedback.py, bot/report.py) ------------------------

    def user_hash(self, platform: str, user_id: str) -> str:
        """A person's stable pseudonym: one vote per person without keeping who they are."""
        message = f"{platform}:{user_id}".encode()
        return hmac.new(self._user_salt, message, hashlib.sha256).hexdigest()[:32]

    async def record_answer(
        self,
        *,
        answer_id: str,
        case_id: str,
        platform: str,
        command: str,
        kind: str,
        passages: Iterable[str],
        question: str | None,
    ) -> None:
        """Record an answer that carries feedback buttons; the question only if stored."""
        await self._insert(
            "INSERT INTO answers (id, at, case_id, platform, command, kind, passages, question)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, _now(), case_id, platform, command, kind, _join_ids(passages),
             question if self.store_questions else None),
        )  # fmt: skip

    async def answer(self, answer_id: str) -> AnswerRecord | None:
        """The answer recorded under `answer_id`, or None."""
        query = (
            "SELECT id, at, platform, command, kind, passages, question, case_id FROM answers"
            " WHERE id = ?"
        )
        async with self._db.execute(query, (answer_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return AnswerRecord(
            id=row[0], at=datetime.fromisoformat(row[1]), platform=row[2], command=row[3],
            kind=row[4], passages=_split_ids(row[5]), question=row[6], case_id=row[7],
        )  # fmt: skip

    async def record_vote(
        self, answer: AnswerRecord, *, platform: str, user_id: str, vote: Vote,
        reason: Reason | None = None,
    ) -> Vote | None:  # fmt: skip
        """Record one person's vote on `answer` (and so on its case), replacing any earlier
        one.

        A reason is kept with a 👎 only; a 👍 clears it.

        Returns:
            The vote it replaced, or None if this is the person's first on `answer`.
        """
        user_hash = self.user_hash(platform, user_id)
        async with self._writing:
            async with self._db.execute(
                "SELECT vote FROM feedback WHERE answer_id = ? AND user_hash = ?",
                (answer.id, user_hash),
            ) as cursor:
                row = await cursor.fetchone()
            await self._db.execute(
                "INSERT INTO feedback (answer_id, user_hash, at, case_id, platform, kind,"
                " passages, vote, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_hash) DO UPDATE SET at = excluded.at,"
                " vote = excluded.vote, reason = excluded.reason",
                (answer.id, user_hash, _now(), answer.case_id, platform, answer.kind,
                 _join_ids(answer.passages), vote, reason if vote == "down" else None),
            )  # fmt: skip
            await self._db.commit()
        return row[0] if row is not None else None

    async def forget_questions(self, older_than_days: int, *, now: datetime | None = None) -> int:
        """Delete the question text stored more than `older_than_days` ago (retention).

        The counts stay: an answer's row keeps its kind and passages, only the text goes.

        Returns:
            How many questions' text was deleted.
        """
        cutoff = _iso((now or datetime.now(UTC)) - timedelta(days=older_than_days))
        async with self._writing:
            answers = await self._db.execute(
                "UPDATE answers SET question = NULL WHERE question IS NOT NULL AND at < ?",
                (cutoff,),
            )
            questions = await self._db.execute("DELETE FROM questions WHERE at < ?", (cutoff,))
            await self._db.commit()
        return max(answers.rowcount, 0) + max(questions.rowcount, 0)

    # The report's figures: of every case, or of one (`case_id`).

    async def answers_per_day(
        self, since: datetime, *, case_id: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(day, answer kind, count) of the questions answered since `since`, oldest first."""
        where, params = _of_case(case_id)
        return await self._rows(
            "SELECT substr(at, 1, 10) AS day, kind, COUNT(*) FROM answers"
            f" WHERE command = 'ask' AND at >= ?{where} GROUP BY day, kind ORDER BY day, kind",
            (_iso(since), *params),
        )

    async def answers_per_case(self, since: datetime) -> list[tuple[str, int, int]]:
        """(case id, answered, declined) of the questions asked since `since`, by case id."""
        return await self._rows(
            "SELECT case_id, SUM(kind = 'answer'), SUM(kind != 'answer') FROM answers"
            " WHERE command = 'ask' AND at >= ? GROUP BY case_id ORDER BY case_id",
            (_iso(since),),
        )

    async def votes_per_kind(
        self, since: datetime, *, case_id: str | None = None
    ) -> list[tuple[str, int, int]]:
        """(answer kind, 👍 count, 👎 count) of the votes cast since `since`."""
        where, params = _of_case(case_id)
        return await self._rows(
            "SELECT kind, SUM(vote = 'up'), SUM(vote = 'down') FROM feedback"
            f" WHERE at >= ?{where} GROUP BY kind ORDER BY kind",
            (_iso(since), *params),
        )

    async def reasons(
        self, since: datetime, *, case_id: str | None = None
    ) -> list[tuple[str, int]]:
        """(reason, count) of the 👎 votes since `since` that gave one, most first."""
        where, params = _of_case(case_id)
        return await self._rows(
            "SELECT reason, COUNT(*) AS n FROM feedback WHERE vote = 'down'"
            f" AND reason IS NOT NULL AND at >= ?{where} GROUP BY reason ORDER BY n DESC, reason",
            (_iso(since), *params),
        )

    async def down_voted_passages(
        self, since: datetime, *, case_id: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(case id, passage key, 👎 count) over the votes since `since`, most first."""
        where, params = _of_case(case_id)
        rows = await self._rows(
            f"SELECT case_id, passages FROM feedback WHERE vote = 'down' AND at >= ?{where}",
            (_iso(since), *params),
        )
        counts: dict[tuple[str, str], int] = {}
        for case, passages in rows:
            for passage in _split_ids(passages):
                counts[case, passage] = counts.get((case, passage), 0) + 1
        return sorted(
            ((case, key, n) for (case, key), n in counts.items()),
            key=lambda item: (-item[2], item[0], item[1]),
        )

    async def frequent_questions(
        self, since: datetime, *, declined: bool, case_id: str | None = None
    ) -> list[tuple[str, int]]:
        """(question, count): the declined questions (`declined`), else the 👎 ones, since
        `since`, most first. Only what was stored (CASEBOT_STORE_QUESTIONS), and asked alike
        when the same but for case and spaces."""
        if declined:
            where, params = _of_case(case_id)
            sql = (
                "SELECT question FROM answers WHERE command = 'ask' AND kind = 'no_answer'"
                f" AND question IS NOT NULL AND at >= ?{where}"
            )
        else:
            where, params = _of_case(case_id, "a.case_id")
            sql = (
                "SELECT a.question FROM feedback f JOIN answers a ON a.id = f.answer_id"
                f" WHERE f.vote = 'down' AND a.question IS NOT NULL AND f.at >= ?{where}"
            )
        counts: dict[str, tuple[str, int]] = {}
        for (question,) in await self._rows(sql, (_iso(since), *params)):
            key = " ".join(question.lower().split())
            first, n = counts.get(key, (question, 0))
            counts[key] = (first, n + 1)
        return sorted(counts.values(), key=lambda item: (-item[1], item[0]))

    async def _rows(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def _insert(self, sql: str, params: tuple[object, ...]) -> None:
        async with self._writing:
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
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    # Every `at` is written this way, so comparing the text compares the times.
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def _kept_salt(db: aiosqlite.Connection) -> bytes:
    """The salt of user hashes made at the first open and kept since (CASEBOT_USER_HASH_SALT
    unset): a salt made afresh at each start would count a person's votes twice."""
    # Made by SQLite itself: aiosqlite logs every statement's parameters at DEBUG.
    await db.execute(
        "INSERT OR IGNORE INTO kept (key, value) VALUES ('user_salt', lower(hex(randomblob(32))))"
    )
    await db.commit()
    async with db.execute("SELECT value FROM kept WHERE key = 'user_salt'") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0]).encode()


def _of_case(case_id: str | None, column: str = "case_id") -> tuple[str, tuple[str, ...]]:
    """The condition that keeps one case's rows (none for every case), and its parameter."""
    return ("", ()) if case_id is None else (f" AND {column} = ?", (case_id,))


def _join_ids(keys: Iterable[str]) -> str:
    return json.dumps(list(keys), ensure_ascii=False)


def _split_ids(text: str) -> tuple[str, ...]:
    return tuple(str(key) for key in json.loads(text)) if text else ()
