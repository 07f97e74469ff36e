"""A reload of a 10,000-passage corpus must not stall the answers: the loop stays free.

A corpus this large is indexed in a child process (`bot.builder`): in a thread of this
process the build held the GIL between every step of the answers meanwhile, ~200 ms per
answer. The index comes back in small frames, and `retrieval.index` keeps it nearly
invisible to the cyclic garbage collector, whose full collections stall the loop for as
long as they walk. Measured with the monitor `casebot serve` runs; the figure under load,
in the real server, comes from `python -m tests.bench.load_test --reload-stall`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.desk import Caller, Desk
from bot.ops.loop_monitor import (
    LoopMonitor,
    freeze_long_lived_objects,
    unfreeze_long_lived_objects,
)
from bot.settings import Settings
from tests.bench.benchmark import write_synthetic

ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)
MAX_STALL = 0.100


@pytest.mark.slow
async def test_reloading_10000_passages_keeps_the_loop_stalls_under_100_ms(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    corpus = tmp_path / "synthetic"
    corpus.mkdir()
    write_synthetic(corpus, 10_000)
    desk = await Desk.open(make_settings(corpus_dir=corpus, rate_limit=0))
    try:
        members = (Caller(platform="slack", user_id=f"U{n}", is_admin=False) for n in range(10**6))
        latencies: list[float] = []

        async def keep_asking() -> None:
            while True:
                started = time.perf_counter()
                await desk.handle("who is suing LinkedIn?", next(members))
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        # As `casebot serve` does once it is ready.
        freeze_long_lived_objects()
        monitor = LoopMonitor()
        monitor.start()
        # A changed file: a reload rebuilds only a case whose files changed.
        first = min(corpus.glob("*.md"))
        first.write_text(first.read_text() + "\nOne more paragraph about the lawsuit.\n")
        asking = asyncio.create_task(keep_asking())
        reply = await desk.handle("/case reload", ADMIN)
        asking.cancel()
        await monitor.stop()
    finally:
        unfreeze_long_lived_objects()
        await desk.close()

    assert reply.answer.kind == "reload", reply.answer.text
    assert "10,0" in f"{len(desk.index.passages):,}"
    assert monitor.samples > 50 and len(latencies) > 20
    assert monitor.worst < MAX_STALL, monitor.summary()
