"""casebot's own records: corpus loads, admin command attempts, (opt-in) questions, the
channels that follow each case with the alerts owed to each, each channel's case, the
answers and votes of the feedback buttons, and the short-lived state replicas share
(bot/store/shared.py). Every record of a case names it by id.

One `Store`, two databases: SQLite through aiosqlite (CASEBOT_DB_PATH, the default: one
process) or PostgreSQL through asyncpg (CASEBOT_DATABASE_URL: several replicas on one
database). The SQL here is written once for both (bot/store/database.py says how); each
backend keeps its own migrations of the same schema.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.store.database import Database
from bot.store.postgres import PostgresDatabase, is_postgres_url
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
from bot.store.shared import SharedState
from bot.store.sqlite import SqliteDatabase

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

# How long `Store.channel_case` remembers a channel's case, and for how many channels.
CHANNEL_CASE_SECONDS = 60.0
# The same on PostgreSQL, shorter: another replica's `/case use` is seen within it.
REPLICA_CHANNEL_CASE_SECONDS = 5.0
_REMEMBERED_CHANNELS = 10_000
# The tables whose rows name a case with a NOT NULL case_id: the ones `adopt_legacy` updates.
_CASE_TABLES = ("corpus_loads", "questions", "answers", "feedback", "follows", "alerts")


class Store(SharedState):
    """An open casebot database. Create with `await Store.open(path or URL)`; `await
    close()` it.

    Args:
        database: the open backend (its schema already migrated).
        store_questions: whether `record_question` keeps question text; when False it
            stores nothing at all about questions.
        user_salt: keys `user_hash`; never logged.
        clock: wall-clock seconds, for expiries and leases (tests pass a fake one).
    """

    def __init__(
        self,
        database: Database,
        *,
        store_questions: bool,
        user_salt: bytes = b"",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self.store_questions = store_questions
        self._user_salt = user_salt
        self._clock = clock
        # (platform, channel) -> (its case, when read): see `channel_case`.
        self._channel_cases: dict[tuple[str, str], tuple[str | None, float]] = {}

    @classmethod
    async def open(
        cls,
        target: str | Path,
        *,
        store_questions: bool = False,
        user_salt: str | None = None,
        create: bool = True,
    ) -> Store:
        """Open and migrate the database at `target`: a `postgresql://` URL, else the path
        of a SQLite file (made, with its parent folders, if needed).

        `user_salt` (CASEBOT_USER_HASH_SALT) keys the hashes of user ids; without it a
        random salt is made at the first open and kept in the database. With `create`
        False (commands that only read, such as `casebot report`) a SQLite database that
        does not exist is not made: a new, empty one would only report zeros.

        Raises:
            MissingDatabase: `create` is False and there is no SQLite database at `target`.
            StoreUnavailable: PostgreSQL can't be reached or refused casebot.
        """
        database: Database
        if is_postgres_url(target):
            database = await PostgresDatabase.open(str(target))
        else:
            database = await SqliteDatabase.open(target, create=create)
        try:
            salt = user_salt.encode() if user_salt else await _kept_salt(database)
        except BaseException:
            await database.close()
            raise
        return cls(database, store_questions=store_questions, user_salt=salt)

    @classmethod
    async def from_settings(cls, settings: Settings, *, create: bool = True) -> Store:
        """Open the database the settings name (CASEBOT_DATABASE_URL, else
        CASEBOT_DB_PATH), with their question and salt settings."""
        salt = settings.user_hash_salt
        url = settings.database_url
        return await cls.open(
            url.get_secret_value() if url is not None else settings.db_path,
            store_questions=settings.store_questions,
            user_salt=salt.get_secret_value() if salt is not None else None,
            create=create,
        )

    @property
    def backend(self) -> str:
        """The backend: "sqlite" or "postgres"."""
        return self._db.backend

    def __repr__(self) -> str:
        # Never the URL: it holds the password.
        return f"<Store {self._db.backend}>"

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def healthy(self) -> bool:
        """Whether the database answers now (a few seconds at most): /readyz asks."""
        return await self._db.healthy()

    async def adopt_legacy(self, case_id: str) -> bool:
        """Give the records made before cases (case id '') to `case_id`, once.

        The desk calls it when the deployment serves one case: the follows, the mark of
        news, the queued alerts, the answers and votes of a database from before then
        belong to that case, as they did. With several cases they are left as they are
        (no case can be told to be theirs), until a deployment of one case adopts them.

        Returns:
            Whether there were any such records (they are now `case_id`'s).
        """
        async with self._db.transaction() as db:
            if await db.fetchone("SELECT 1 FROM kept WHERE key = 'legacy_case'") is None:
                return False
            adopted = 0
            for table in _CASE_TABLES:
                adopted += await db.execute(
                    f"UPDATE {table} SET case_id = ? WHERE case_id = ?", (case_id, LEGACY_CASE)
                )
            # A case's own mark, if one was made meanwhile, stays; the legacy one goes.
            adopted += await db.execute(
                "UPDATE alert_marks SET case_id = ? WHERE case_id = ? AND NOT EXISTS"
                " (SELECT 1 FROM alert_marks WHERE case_id = ?)",
                (case_id, LEGACY_CASE, case_id),
            )
            await db.execute("DELETE FROM alert_marks WHERE case_id = ?", (LEGACY_CASE,))
            await db.execute("DELETE FROM kept WHERE key = 'legacy_case'")
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
        rows = await self._db.fetch(query, (n,))
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
        rows = await self._db.fetch(query, (n,))
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
        another process's writing to the same database, within that time (on PostgreSQL,
        another replica's within `REPLICA_CHANNEL_CASE_SECONDS`).
        """
        key = (platform, channel_id)
        remembered = self._channel_cases.get(key)
        keep = CHANNEL_CASE_SECONDS
        if self._db.backend == "postgres":
            keep = min(keep, REPLICA_CHANNEL_CASE_SECONDS)
        if remembered is not None and time.monotonic() - remembered[1] < keep:
            return remembered[0]
        row = await self._db.fetchone(
            "SELECT case_id FROM channel_cases WHERE platform = ? AND channel_id = ?", key
        )
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
        async with self._db.transaction() as db:
            row = await db.fetchone(
                "SELECT case_id FROM channel_cases WHERE platform = ? AND channel_id = ?",
                (platform, channel_id),
            )
            if case_id is None:
                await db.execute(
                    "DELETE FROM channel_cases WHERE platform = ? AND channel_id = ?",
                    (platform, channel_id),
                )
            else:
                await db.execute(
                    "INSERT INTO channel_cases (platform, channel_id, case_id, at, by_user)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, channel_id) DO UPDATE SET"
                    " case_id = excluded.case_id, at = excluded.at, by_user = excluded.by_user",
                    (platform, channel_id, case_id, _now(), by_user),
                )
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
        added = await self._db.execute(
            "INSERT INTO follows (platform, channel_id, case_id, at, by_user)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, channel_id, case_id, _now(), by_user),
        )
        return added > 0

    async def unfollow(self, *, platform: str, channel_id: str, case_id: str) -> bool:
        """Stop a channel following a case, with the case's alerts queued for it. False if
        it did not follow that case."""
        where = "platform = ? AND channel_id = ? AND case_id = ?"
        key = (platform, channel_id, case_id)
        async with self._db.transaction() as db:
            removed = await db.execute(f"DELETE FROM follows WHERE {where}", key)
            await db.execute(f"DELETE FROM alerts WHERE {where} AND done_at IS NULL", key)
        return removed > 0

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
        where = " AND ".join(f"{column} = ?" for column, _ in conditions) or "TRUE"
        rows = await self._rows(
            f"SELECT platform, channel_id, at, by_user, case_id FROM follows WHERE {where}"
            " ORDER BY at, rowid",
            tuple(value for _, value in conditions),
        )
        return [Follow(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]

    async def known_through(self, case_id: str) -> tuple[bool, date | None]:
        """(whether the case's mark was set yet, the latest development date served)."""
        row = await self._db.fetchone(
            "SELECT known_through FROM alert_marks WHERE case_id = ?", (case_id,)
        )
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
        queued = 0
        async with self._db.transaction() as db:
            for key in keys:
                # A development already queued (by this or another replica) stays as it is.
                queued += await db.execute(
                    "INSERT INTO alerts (platform, channel_id, case_id, development, queued_at)"
                    " SELECT platform, channel_id, case_id, ?, ? FROM follows WHERE case_id = ?"
                    " ON CONFLICT DO NOTHING",
                    (key, _now(), case_id),
                )
            await db.execute(
                "INSERT INTO alert_marks (case_id, known_through) VALUES (?, ?)"
                " ON CONFLICT (case_id) DO UPDATE SET known_through = excluded.known_through",
                (case_id, known_through.isoformat() if known_through else None),
            )
        return queued

    async def pending_alerts(
        self, platform: str | None = None
    ) -> dict[tuple[str, str, str], list[str]]:
        """Alerts queued and not yet done, nor being posted by another replica (whose
        lease has not lapsed): (platform, channel id, case id) -> development keys."""
        query = (
            "SELECT platform, channel_id, case_id, development FROM alerts WHERE done_at IS NULL"
            " AND (leased_until IS NULL OR leased_until <= ?)"
            + (" AND platform = ?" if platform is not None else "")
            + " ORDER BY rowid"
        )
        params = (self._clock(), *((platform,) if platform is not None else ()))
        pending: dict[tuple[str, str, str], list[str]] = {}
        for row in await self._rows(query, params):
            pending.setdefault((row[0], row[1], row[2]), []).append(row[3])
        return pending

    async def claim_alerts(
        self, *, platform: str, channel_id: str, case_id: str, lease: float
    ) -> list[str]:
        """The development keys owed to one channel of a case, oldest first, claimed for
        `lease` seconds: until `finish_alerts` or `release_alerts`, or the lease lapses, no
        other replica's claim returns them.

        On PostgreSQL the rows are taken with `FOR UPDATE SKIP LOCKED`, so two replicas
        claiming at once never get the same row; a replica killed while posting leaves
        its rows to whichever claims them after the lease, which posts them once more
        (the single-process guarantee: a post not recorded is posted again once). On
        SQLite (one process) nothing is leased: a restart posts what was not recorded at
        once, as before.
        """
        where = "platform = ? AND channel_id = ? AND case_id = ? AND done_at IS NULL"
        key = (platform, channel_id, case_id)
        if not self._db.leases:
            rows = await self._rows(
                f"SELECT development FROM alerts WHERE {where} ORDER BY rowid", key
            )
            return [row[0] for row in rows]
        now = self._clock()
        async with self._db.transaction() as db:
            rows = await db.fetch(
                f"SELECT development, rowid FROM alerts WHERE {where}"
                " AND (leased_until IS NULL OR leased_until <= ?)"
                " ORDER BY rowid FOR UPDATE SKIP LOCKED",
                (*key, now),
            )
            for development, _ in rows:
                await db.execute(
                    f"UPDATE alerts SET leased_until = ? WHERE {where} AND development = ?",
                    (now + lease, *key, development),
                )
        return [development for development, _ in rows]

    async def queued_before(
        self, *, platform: str, channel_id: str, case_id: str, developments: Iterable[str],
        moment: datetime,
    ) -> set[str]:  # fmt: skip
        """Of `developments` owed to one channel of a case, those queued before `moment`."""
        wanted = set(developments)
        rows = await self._rows(
            "SELECT development, queued_at FROM alerts WHERE platform = ? AND channel_id = ?"
            " AND case_id = ? AND done_at IS NULL",
            (platform, channel_id, case_id),
        )
        return {
            development for development, queued_at in rows
            if development in wanted and datetime.fromisoformat(queued_at) < moment
        }  # fmt: skip

    async def release_alerts(self, *, platform: str, channel_id: str, case_id: str) -> None:
        """Give up the claim on a channel's alerts of a case that were not posted (they stay
        owed, for any replica)."""
        if self._db.leases:
            await self._insert(
                "UPDATE alerts SET leased_until = NULL WHERE platform = ? AND channel_id = ?"
                " AND case_id = ? AND done_at IS NULL",
                (platform, channel_id, case_id),
            )

    async def next_lease_end(self) -> float | None:
        """When the earliest claim on an owed alert lapses (seconds since the epoch, by
        this store's clock), or None: when a replica should look for alerts left by one
        that died."""
        row = await self._db.fetchone(
            "SELECT min(leased_until) FROM alerts WHERE done_at IS NULL"
            " AND leased_until IS NOT NULL"
        )
        return float(row[0]) if row is not None and row[0] is not None else None

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
        async with self._db.transaction() as db:
            for row in rows:
                await db.execute(
                    "UPDATE alerts SET done_at = ?, outcome = ?, leased_until = NULL"
                    " WHERE platform = ? AND channel_id = ? AND case_id = ? AND development = ?",
                    row,
                )

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
        row = await self._db.fetchone(query, (answer_id,))
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
        async with self._db.transaction() as db:
            row = await db.fetchone(
                "SELECT vote FROM feedback WHERE answer_id = ? AND user_hash = ?",
                (answer.id, user_hash),
            )
            await db.execute(
                "INSERT INTO feedback (answer_id, user_hash, at, case_id, platform, kind,"
                " passages, vote, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_hash) DO UPDATE SET at = excluded.at,"
                " vote = excluded.vote, reason = excluded.reason",
                (answer.id, user_hash, _now(), answer.case_id, platform, answer.kind,
                 _join_ids(answer.passages), vote, reason if vote == "down" else None),
            )  # fmt: skip
        return row[0] if row is not None else None

    async def forget_questions(self, older_than_days: int, *, now: datetime | None = None) -> int:
        """Delete the question text stored more than `older_than_days` ago (retention).

        The counts stay: an answer's row keeps its kind and passages, only the text goes.

        Returns:
            How many questions' text was deleted.
        """
        cutoff = _iso((now or datetime.now(UTC)) - timedelta(days=older_than_days))
        async with self._db.transaction() as db:
            answers = await db.execute(
                "UPDATE answers SET question = NULL WHERE question IS NOT NULL AND at < ?",
                (cutoff,),
            )
            questions = await db.execute("DELETE FROM questions WHERE at < ?", (cutoff,))
        return answers + questions

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
            "SELECT case_id, SUM(CASE WHEN kind = 'answer' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN kind = 'answer' THEN 0 ELSE 1 END) FROM answers"
            " WHERE command = 'ask' AND at >= ? GROUP BY case_id ORDER BY case_id",
            (_iso(since),),
        )

    async def votes_per_kind(
        self, since: datetime, *, case_id: str | None = None
    ) -> list[tuple[str, int, int]]:
        """(answer kind, 👍 count, 👎 count) of the votes cast since `since`."""
        where, params = _of_case(case_id)
        return await self._rows(
            "SELECT kind, SUM(CASE WHEN vote = 'up' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN vote = 'down' THEN 1 ELSE 0 END) FROM feedback"
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
        return await self._db.fetch(sql, params)

    async def _insert(self, sql: str, params: tuple[object, ...]) -> None:
        await self._db.execute(sql, params)




def _now() -> str:
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    # Every `at` is written this way, so comparing the text compares the times.
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def _kept_salt(db: Database) -> bytes:
    """The salt of user hashes made at the first open and kept since (CASEBOT_USER_HASH_SALT
    unset): a salt made afresh at each start would count a person's votes twice."""
    await db.execute(db.salt_sql, db.salt_params)
    row = await db.fetchone("SELECT value FROM kept WHERE key = 'user_salt'")
    assert row is not None
    return str(row[0]).encode()


def _of_case(case_id: str | None, column: str = "case_id") -> tuple[str, tuple[str, ...]]:
    """The condition that keeps one case's rows (none for every case), and its parameter."""
    return ("", ()) if case_id is None else (f" AND {column} = ?", (case_id,))


def _join_ids(keys: Iterable[str]) -> str:
    return json.dumps(list(keys), ensure_ascii=False)


def _split_ids(text: str) -> tuple[str, ...]:
    return tuple(str(key) for key in json.loads(text)) if text else ()
