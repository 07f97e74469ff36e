"""Connections of the replicas' own to PostgreSQL: hearing reloads, holding the gateway.

Each is one asyncpg connection, apart from the store's, because what it does belongs to
the connection itself: a LISTEN hears only on the connection that listens, and an advisory
lock is held exactly as long as its connection lives. TCP keepalives are set short so
that the server notices a replica that vanished without closing (a host gone, a network
cut) within about 11 seconds and lets go of what it held; a replica that exits or is
killed closes its sockets and lets go at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)

# The server probes an idle connection after 5 s, then every 2 s, and gives up after 3.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2",
              "tcp_keepalives_count": "3", "application_name": "casebot"}  # fmt: skip
CONNECT_SECONDS = 5.0
# How often a held connection is checked: one the server dropped without a word (a
# failover, a cut) shows only when it is used.
CHECK_SECONDS = 2.0


async def connect(dsn: str) -> Any:
    """A new asyncpg connection to `dsn`. Raises what asyncpg or the network raised."""
    import asyncpg  # the `postgres` extra: only replicas need it

    return await asyncpg.connect(dsn, timeout=CONNECT_SECONDS, server_settings=KEEPALIVES)


async def alive(connection: Any, lock: asyncio.Lock) -> bool:
    """Whether `connection` still answers (a round trip, bounded)."""
    if connection is None or connection.is_closed():
        return False
    try:
        async with lock:
            await connection.fetchval("SELECT 1", timeout=CHECK_SECONDS * 2)
    except Exception:
        return False
    return True


async def close_quietly(connection: Any) -> None:
    """Close `connection` however it is (a lost one can't say goodbye: then terminate it)."""
    if connection is None or connection.is_closed():
        return
    try:
        await asyncio.wait_for(connection.close(), CONNECT_SECONDS)
    except Exception:
        connection.terminate()


def why(error: BaseException) -> str:
    """What went wrong, for the log: the kind of error only (a message may name the server,
    never the password, but the URL stays out of the log altogether)."""
    return type(error).__name__
