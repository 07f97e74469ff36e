"""Short-lived state every replica shares: values with an expiry, and rate-limit counts.

Add previews, thread follow-up context and Slack retry ids must be seen by whichever
replica the next request reaches, so with PostgreSQL they live in its `shared` table; with
SQLite (one process) the same table gives the same answers. Each value is JSON text, kept
under (kind, key) until its expiry, a wall-clock second (replicas' clocks are assumed kept
by NTP; a second's skew only moves an expiry by that second).

Every operation is one statement or one short transaction, so two replicas acting on the
same key at once get the answers one replica would: a value taken twice is returned once,
a claim made twice succeeds once, and hits are counted under a lock on their key.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.store.database import Database


class SharedState:
    """The shared-state half of `Store` (bot/store/store.py), on its `_db` and `_clock`."""

    _db: Database
    _clock: Callable[[], float]

    async def shared_put(self, kind: str, key: str, value: str, *, ttl: float) -> None:
        """Keep `value` (JSON text) under (kind, key) for `ttl` seconds, replacing any."""
        await self._db.execute(
            "INSERT INTO shared (kind, key, value, expires) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value,"
            " expires = excluded.expires",
            (kind, key, value, self._clock() + ttl),
        )

    async def shared_get(self, kind: str, key: str) -> str | None:
        """The value under (kind, key), or None if there is none or it has expired."""
        row = await self._db.fetchone(
            "SELECT value FROM shared WHERE kind = ? AND key = ? AND expires > ?",
            (kind, key, self._clock()),
        )
        return str(row[0]) if row is not None else None

    async def shared_take(self, kind: str, key: str) -> str | None:
        """Remove and return the value under (kind, key); None if absent or expired. Of two
        replicas taking the same key at once, one gets the value and the other None."""
        now = self._clock()
        row = await self._db.write_one(
            "DELETE FROM shared WHERE kind = ? AND key = ? RETURNING value, expires", (kind, key)
        )
        if row is None or float(row[1]) <= now:
            return None
        return str(row[0])

    async def shared_claim(self, kind: str, key: str, *, ttl: float) -> bool:
        """Claim (kind, key) for `ttl` seconds: True for the first caller, False for every
        other until the claim expires (Slack's retries of one event, on any replica)."""
        now = self._clock()
        row = await self._db.write_one(
            "INSERT INTO shared (kind, key, value, expires) VALUES (?, ?, '', ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value,"
            " expires = excluded.expires WHERE shared.expires <= ? RETURNING 1",
            (kind, key, now + ttl, now),
        )
        return row is not None

    async def count_hit(self, kind: str, key: str, *, window: float, limit: int) -> bool:
        """Count a hit on (kind, key) if fewer than `limit` were counted in the last
        `window` seconds, across replicas; whether it was (True: within the limit).

        A sliding window: a person allowed `limit` a minute gets them whenever they come.
        A refused hit is not counted, so a flood is refused only while it exceeds the
        limit, never for longer.

        Raises:
            ValueError: `limit` is below 1 or `window` not positive (a limit that is off
                is not asked).
        """
        if limit < 1 or window <= 0:
            raise ValueError("count_hit needs limit >= 1 and window > 0")
        now = self._clock()
        async with self._db.transaction() as db:
            if self._db.key_lock_sql is not None:
                # Two replicas counting the same person's hits wait for each other.
                await db.execute(self._db.key_lock_sql, (f"{kind}\x1f{key}",))
            await db.execute(
                "DELETE FROM hits WHERE kind = ? AND key = ? AND at <= ?",
                (kind, key, now - window),
            )
            row = await db.fetchone(
                "SELECT count(*) FROM hits WHERE kind = ? AND key = ?", (kind, key)
            )
            if row is not None and int(row[0]) >= limit:
                return False
            await db.execute(
                "INSERT INTO hits (kind, key, at, expires) VALUES (?, ?, ?, ?)",
                (kind, key, now, now + window),
            )
        return True

    async def forget_expired(self) -> int:
        """Delete every expired shared value and every hit past its window; how many.
        (Each replica runs it every few minutes: bot/replicas/housekeeping.py.)"""
        now = self._clock()
        async with self._db.transaction() as db:
            values = await db.execute("DELETE FROM shared WHERE expires <= ?", (now,))
            hits = await db.execute("DELETE FROM hits WHERE expires <= ?", (now,))
        return values + hits
