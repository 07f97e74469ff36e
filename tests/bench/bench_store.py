"""What the store's operations cost on each backend, beside the bare driver doing the same.

    .venv/bin/python -m tests.bench.bench_store [--ops 400]

Not part of the test run. Starts its own PostgreSQL (tests/support/postgres.py) and a
SQLite file in a temporary directory. For each backend, each operation runs `--ops` times
one after another (latency: p50, p99) and then `--ops` times 16 at once (throughput),
three rounds (medians shown), and the bare driver (aiosqlite or an asyncpg pool of the same size) runs the one statement
that the operation's own statement is, so the line beside it is what the Store adds:
SQL numbering, the transaction, the per-key lock of a rate count.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite
import asyncpg

from bot.store import Store
from bot.store.postgres import POOL_SIZE
from tests.support.postgres import PostgresServer

CONCURRENCY = 16
ROUNDS = 3
Op = Callable[[int], Awaitable[object]]


async def _measure(op: Op, ops: int) -> tuple[float, float, float]:
    """(p50 ms, p99 ms) one at a time, and operations per second 16 at a time."""
    for n in range(10):  # warm: connections, prepared statements
        await op(-n - 1)
    times = []
    for n in range(ops):
        started = time.perf_counter()
        await op(n)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p50, p99 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]
    queue = iter(range(ops, 2 * ops))

    async def worker() -> None:
        for n in queue:
            await op(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return p50, p99, ops / (time.perf_counter() - started)


def _store_ops(store: Store) -> dict[str, Op]:
    return {
        "record_answer": lambda n: store.record_answer(
            answer_id=f"a{n}", case_id="c", platform="slack", command="ask", kind="answer",
            passages=["s#1"], question=None,
        ),  # fmt: skip
        "shared_put": lambda n: store.shared_put("preview", f"k{n}", '"v"', ttl=300),
        "shared_get": lambda n: store.shared_get("preview", f"k{n}"),
        "shared_take": lambda n: store.shared_take("preview", f"k{n}"),
        "shared_claim": lambda n: store.shared_claim("slack", f"e{n}", ttl=300),
        "count_hit": lambda n: store.count_hit("rate", f"u{n % 50}", window=60, limit=10**6),
    }


# The bare statement of each operation, as its driver runs it.
_BARE = {
    "record_answer": (
        "INSERT INTO answers (id, at, case_id, platform, command, kind, passages, question)"
        " VALUES (?, '2025-01-01T00:00:00+00:00', 'c', 'slack', 'ask', 'answer', '[]', NULL)",
        lambda n: (f"b{n}",),
    ),
    "shared_put": (
        "INSERT INTO shared (kind, key, value, expires) VALUES ('p', ?, '\"v\"', 1e12)"
        " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
        lambda n: (f"k{n}",),
    ),
    "shared_get": (
        "SELECT value FROM shared WHERE kind = 'p' AND key = ? AND expires > 0",
        lambda n: (f"k{n}",),
    ),
}


def _sqlite_bare(db: aiosqlite.Connection) -> dict[str, Op]:
    lock = asyncio.Lock()

    def op(sql: str, params: Callable[[int], tuple[object, ...]]) -> Op:
        async def run(n: int) -> None:
            async with lock:
                await db.execute(sql, params(n))
                await db.commit()

        return run

    return {name: op(sql, params) for name, (sql, params) in _BARE.items()}


def _postgres_bare(pool: asyncpg.Pool) -> dict[str, Op]:
    from bot.store.postgres import numbered

    def op(sql: str, params: Callable[[int], tuple[object, ...]]) -> Op:
        async def run(n: int) -> None:
            await pool.execute(numbered(sql), *params(n))

        return run

    return {name: op(sql, params) for name, (sql, params) in _BARE.items()}


async def _bench(name: str, store: Store, bare: dict[str, Op], ops: int) -> None:
    """Each operation and its bare statement in turn, `ROUNDS` times (so that the machine's
    noise and the database's checkpoints fall on both alike); the medians of the rounds."""
    for operation, op in _store_ops(store).items():
        runs: dict[str, list[tuple[float, float, float]]] = {"Store": [], "bare": []}
        for round_ in range(ROUNDS):
            offset = round_ * 4 * ops  # fresh keys each round
            runs["Store"].append(await _measure(lambda n, op=op: op(n + offset), ops))
            if operation in bare:
                bare_op = bare[operation]
                runs["bare"].append(await _measure(lambda n, b=bare_op: b(n + offset), ops))
        for who, results in runs.items():
            if results:
                p50, p99, rate = (statistics.median(r[i] for r in results) for i in range(3))
                print(f"{name:<9} {operation:<14} {who:<6} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                      f"  {rate:7.0f}/s at {CONCURRENCY}")  # fmt: skip


async def _run(ops: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        store = await Store.open(path)
        bare_db = await aiosqlite.connect(path)
        try:
            await _bench("sqlite", store, _sqlite_bare(bare_db), ops)
        finally:
            await bare_db.close()
            await store.close()
    server = PostgresServer()
    try:
        server.start()
        url = server.url(server.create_database())
        store = await Store.open(url)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        try:
            await _bench("postgres", store, _postgres_bare(pool), ops)
        finally:
            await pool.close()
            await store.close()
    finally:
        server.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=400, help="operations of each kind")
    asyncio.run(_run(parser.parse_args().ops))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
