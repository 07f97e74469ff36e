"""The state replicas share: the store's shared table (`Store.shared_*`), or nothing.

Every entry has a kind, a key and an expiry; the store forgets expired ones. What is kept:

| kind | key | value | for |
|---|---|---|---|
| `thread` | platform, thread id | the previous question, its case, when | follow-ups in a thread (bot/replicas/threads.py) |
| `preview` | token, platform, user | the draft, its case, its deadline | an add preview's Add on any replica (bot/replicas/previews.py) |
| `slack` | what Slack sent twice | nothing | each Slack event, command and click handled once (`first_time`) |
| `rate` | platform, user | a count per window | CASEBOT_RATE_LIMIT across replicas (`within_rate`) |
| `choice` | token, platform, user | the question waiting for its case | "Which case?" answered on any replica (bot/replicas/choices.py) |
| `slack-thread` | a choice's token | the thread its answer goes to | the Slack adapter (`keep`, `take`) |

The database is a help here, not a gate: when it can't be reached, each check falls back to
what one replica knows (a redelivery may then be answered twice, a rate counted per
replica), and casebot goes on answering.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.settings import Settings

logger = logging.getLogger(__name__)

# How long Slack may deliver the same thing again: it retries an event 3 times over about
# 5 minutes, and a signed request is refused after 5 minutes (bot/slack/adapter.py).
SLACK_REDELIVERY_SECONDS = 10 * 60.0
# CASEBOT_RATE_LIMIT is per minute.
RATE_WINDOW_SECONDS = 60.0


class SharedStore(Protocol):
    """What the replicas need of the store (bot/store: both backends have it)."""

    async def shared_put(self, kind: str, key: str, value: str, *, ttl: float) -> None: ...

    async def shared_get(self, kind: str, key: str) -> str | None: ...

    async def shared_take(self, kind: str, key: str) -> str | None: ...

    async def shared_claim(self, kind: str, key: str, *, ttl: float) -> bool: ...

    async def count_hit(self, kind: str, key: str, *, window: float, limit: int) -> bool: ...


def shared_store(store: object, settings: Settings) -> SharedStore | None:
    """`store` as the replicas' shared state when it is PostgreSQL, else None (one process:
    everything stays in memory, as before)."""
    if settings.database_url is None:
        return None
    return store  # type: ignore[return-value]


def key_of(*parts: str) -> str:
    """One key from several parts, joined by the unit separator: no id a platform sends
    holds it (nor NUL, which PostgreSQL's text refuses)."""
    return "\x1f".join(parts)


async def first_time(shared: SharedStore | None, what: tuple[str, str]) -> bool:
    """Whether no replica has handled `what` (a Slack message, a command's trigger) yet.

    True when the database can't say: answering a redelivery twice beats answering it never.
    """
    if shared is None:
        return True
    try:
        return await shared.shared_claim("slack", key_of(*what), ttl=SLACK_REDELIVERY_SECONDS)
    except Exception:
        logger.warning("could not check a Slack redelivery in the database; answering it")
        return True


async def keep(
    shared: SharedStore | None, kind: str, key: str, value: str, *, ttl: float
) -> None:
    """`shared_put`, for what only helps other replicas: a failure is logged, not raised."""
    if shared is None:
        return
    try:
        await shared.shared_put(kind, key, value, ttl=ttl)
    except Exception:
        logger.warning("could not keep %s state in the database", kind)


async def take(shared: SharedStore | None, kind: str, key: str) -> str | None:
    """`shared_take`, or None when there is nothing or the database can't say."""
    if shared is None:
        return None
    try:
        return await shared.shared_take(kind, key)
    except Exception:
        logger.warning("could not read %s state from the database", kind)
        return None


async def within_rate(shared: SharedStore, who: tuple[str, str], per_minute: int) -> bool | None:
    """Whether `who` is within `per_minute` messages in this minute, counted over every
    replica; None when the database can't say (the replica's own count decides)."""
    try:
        return await shared.count_hit(
            "rate", key_of(*who), window=RATE_WINDOW_SECONDS, limit=per_minute
        )
    except Exception:
        logger.warning("could not count a request in the database; counting it here")
        return None
