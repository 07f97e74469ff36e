"""Per-person limits on chat requests: how often, how many at once, and how long.

casebot answers everyone from one event loop, so one person's flood must not hold up
anyone else's answer. `Desk.handle` asks `Limits.admit` before it does any other work, the
admin gate included (so refused admin commands count too, and can't fill the audit log), so
a refused message costs a dictionary lookup and a short private reply. Three limits, each
keyed by (platform, user id):

* **rate** (`CASEBOT_RATE_LIMIT`, per minute): a token bucket holding up to that many
  tokens, refilled at that many a minute. Each message takes one, whatever it asks, so a
  person can send a burst of that many and then that many a minute.
* **in flight** (`CASEBOT_MAX_IN_FLIGHT`): at most that many of one person's messages
  being answered at the same time; more are refused at once instead of waiting in line,
  so a backlog of one person's requests never fills the event loop's queue.
* **question length** (`CASEBOT_MAX_QUESTION_CHARS`): a longer question is refused with a
  message that says the limit, never answered from a cut-off question.

Button clicks (a 👍, an Add) count as messages: `admit_click` checks them like one with no
question in it, so 300 clicks in a few seconds cost what 300 messages would.

Replicas on one PostgreSQL database count the rate there instead, so a person's limit holds
whichever replicas their messages reach: at most CASEBOT_RATE_LIMIT messages in any 60
seconds (the store's `count_hit`, a sliding window; bot/replicas/shared.py), checked by
`check`; while the database can't say, the bucket here decides. In flight stays per
replica: it guards each replica's own event loop.

Zero turns a limit off. Admin commands run by an admin (reload) are exempt from the rate
and in-flight checks, so an admin can reload in the middle of someone's flood; they still
count as in flight. Help is not exempt: a flood of "help" is a flood of replies too.
Refusals are replies of kind "limited", shown only to the person who asked.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.commands import Command
from bot.render.format import counted
from bot.settings import Settings
from retrieval.model import Answer

# Who a limit applies to: (platform, user id). The same id on two platforms is two people.
UserKey = tuple[str, str]
Clock = Callable[[], float]
# Whether a person is within a rate per minute counted over every replica; None when that
# can't be said now (the replica's own bucket decides).
SharedRate = Callable[[UserKey, int], Awaitable[bool | None]]


class RateLimiter:
    """A token bucket per user: `per_minute` tokens at most, refilled continuously.

    Args:
        per_minute: tokens a bucket holds and regains each minute (> 0).
        clock: seconds from any fixed point (monotonic); tests pass a fake one.
    """

    def __init__(self, per_minute: int, *, clock: Clock = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60.0
        self._clock = clock
        # key -> (tokens, when counted), least recently used first. A bucket left alone
        # long enough to be full again is forgotten: it means the same as no bucket.
        self._buckets: OrderedDict[UserKey, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        """How many users have a bucket that is not full."""
        return len(self._buckets)

    def take(self, key: UserKey) -> float:
        """Spend one of `key`'s tokens if there is one.

        Returns:
            0.0 if a token was spent; otherwise the seconds until one will be there (no
            token is spent).
        """
        now = self._clock()
        self._forget_full(now)
        tokens = self._capacity
        if (bucket := self._buckets.pop(key, None)) is not None:
            tokens = self._refilled(bucket, now)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self._per_second
        self._buckets[key] = (tokens, now)
        return wait

    def _refilled(self, bucket: tuple[float, float], now: float) -> float:
        tokens, then = bucket
        return min(self._capacity, tokens + max(0.0, now - then) * self._per_second)

    def _forget_full(self, now: float) -> None:
        # The least recently used bucket is the one most likely full again; once the
        # first is not, none later is (each was counted more recently), so this is
        # amortised O(1) and keeps only the users of the last minute or so.
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if self._refilled(bucket, now) < self._capacity:
                return
            del self._buckets[key]


class InFlight:
    """How many requests each user has being answered, capped at `limit` per user."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[UserKey, int] = {}

    def count(self, key: UserKey) -> int:
        return self._counts.get(key, 0)

    def enter(self, key: UserKey, *, exempt: bool = False) -> bool:
        """Count one more request for `key`, unless that would pass the limit.

        Returns:
            Whether it was counted (always, when `exempt` or the limit is 0).
        """
        count = self._counts.get(key, 0)
        if not exempt and self.limit and count >= self.limit:
            return False
        self._counts[key] = count + 1
        return True

    def leave(self, key: UserKey) -> None:
        """One of `key`'s requests has been answered."""
        count = self._counts.get(key, 0) - 1
        if count > 0:
            self._counts[key] = count
        else:
            self._counts.pop(key, None)


class Limits:
    """The rate, in-flight and question-length limits, checked together by `admit`.

    Args:
        rate_per_minute: messages per minute per user; 0 for no rate limit.
        max_in_flight: requests per user answered at once; 0 for no limit.
        max_question_chars: longest question in characters; 0 for no limit.
        clock: for the rate limit; tests pass a fake one.
    """

    def __init__(
        self,
        *,
        rate_per_minute: int = 0,
        max_in_flight: int = 0,
        max_question_chars: int = 0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.rate = RateLimiter(rate_per_minute, clock=clock) if rate_per_minute else None
        self.in_flight = InFlight(max_in_flight)
        self.max_question_chars = max_question_chars
        # Set when replicas share a database (bot/desk.py); None: counted here only.
        self.shared_rate: SharedRate | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = time.monotonic) -> Limits:
        return cls(
            rate_per_minute=settings.rate_limit,
            max_in_flight=settings.max_in_flight,
            max_question_chars=settings.max_question_chars,
            clock=clock,
        )

    def admit(self, key: UserKey, command: Command, *, exempt: bool = False) -> Answer | None:
        """Check a request against every limit, before any work is done for it.

        Every message spends a rate token, whatever happens to it next; a refused one
        spends nothing.

        Args:
            key: who sent it.
            command: what they asked.
            exempt: skip the rate and in-flight checks (admin commands run by an admin).

        Returns:
            None if it may go ahead: it then counts as in flight until `release(key)`,
            which the caller must call. Otherwise the "limited" reply to send instead.
        """
        length = len(command.argument.strip()) if command.name == "ask" else 0
        return self._admit(key, length, exempt=exempt)

    def admit_click(self, key: UserKey, *, exempt: bool = False) -> Answer | None:
        """Check a button click (a vote, an Add) as a message with no question: it spends
        a rate token and counts in flight. Same contract as `admit`."""
        return self._admit(key, 0, exempt=exempt)

    async def check(
        self, key: UserKey, command: Command | None = None, *, exempt: bool = False
    ) -> Answer | None:
        """`admit` (with no `command`, `admit_click`), with the rate counted over every
        replica when they share a database (`shared_rate`). Same contract as `admit`."""
        length = len(command.argument.strip()) if command is not None and command.name == "ask" else 0
        if self.shared_rate is not None and self.rate is not None and not exempt:
            within = await self.shared_rate(key, self.rate.per_minute)
            if within is False:
                return _too_often(self.rate.per_minute, 60.0)
            if within is True:
                return self._admit(key, length, exempt=exempt, count_rate=False)
        return self._admit(key, length, exempt=exempt)

    def _admit(
        self, key: UserKey, length: int, *, exempt: bool, count_rate: bool = True
    ) -> Answer | None:
        if self.rate is not None and not exempt and count_rate:
            wait = self.rate.take(key)
            if wait > 0:
                return _too_often(self.rate.per_minute, wait)
        if self.max_question_chars and length > self.max_question_chars:
            return _too_long(length, self.max_question_chars)
        if not self.in_flight.enter(key, exempt=exempt):
            return _too_many_at_once(self.in_flight.limit)
        return None

    def release(self, key: UserKey) -> None:
        """A request `admit` let through has been answered (or failed)."""
        self.in_flight.leave(key)


def _too_often(per_minute: int, wait: float) -> Answer:
    seconds = max(1, math.ceil(wait))
    return Answer(
        kind="limited",
        text=(
            f"You're asking faster than casebot answers one person: at most {per_minute} "
            f"questions a minute. Please ask again in {counted(seconds, 'second')}."
        ),
    )


def _too_long(length: int, limit: int) -> Answer:
    return Answer(
        kind="limited",
        text=(
            f"That question is {length:,} characters long; casebot takes questions of up to "
            f"{limit:,} characters. Please ask it more briefly."
        ),
    )


def _too_many_at_once(limit: int) -> Answer:
    if limit == 1:
        pending = "your earlier question. Please wait for its answer"
    else:
        pending = f"your earlier {limit} questions. Please wait for their answers"
    return Answer(kind="limited", text=f"casebot is still answering {pending} before asking more.")
