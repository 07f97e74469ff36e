"""The event-loop stall monitor: windows, the histogram, the summary line, a real stall."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest

from bot.ops.loop_monitor import (
    LoopMonitor,
    freeze_long_lived_objects,
    unfreeze_long_lived_objects,
)
from tests.support.stalls import parse_worst_stall


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reports_a_worse_stall_at_once_and_keeps_it_for_a_whole_window() -> None:
    clock = FakeClock()
    reported: list[float] = []
    monitor = LoopMonitor(window=10.0, report=reported.append, clock=clock)
    for at, stall in [(0, 0.001), (1, 0.050), (2, 0.002), (10.5, 0.003), (21, 0.004)]:
        clock.now = at
        monitor.record(stall)
    # 50 ms shows at once, stays through the next window, then gives way.
    assert reported == [0.001, 0.050, 0.004]
    assert monitor.worst == 0.050
    assert monitor.samples == 5


def test_summary_has_the_worst_stall_and_the_histogram() -> None:
    clock = FakeClock()
    monitor = LoopMonitor(clock=clock)
    for stall in (0.0004, 0.0004, 0.003, 0.120, 2.0):
        monitor.record(stall)
    clock.now = 12.5
    line = monitor.summary()
    assert line.startswith("event loop: worst stall 2000.0 ms in 12.5 s (5 samples;")
    assert "≤1 ms 2, ≤5 ms 1, ≤250 ms 1, >1000 ms 1" in line
    assert parse_worst_stall(f"INFO other line\nINFO bot.ops.loop_monitor: {line}\n") == 2.0
    assert parse_worst_stall("no summary here") is None


async def test_measures_a_blocking_call_on_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    monitor = LoopMonitor(interval=0.005)
    monitor.start()
    await asyncio.sleep(0.03)
    time.sleep(0.08)  # the stall: the loop can't run anything meanwhile
    await asyncio.sleep(0.03)
    with caplog.at_level(logging.INFO, logger="bot.ops.loop_monitor"):
        await monitor.stop()
    assert 0.07 <= monitor.worst < 1.0
    assert monitor.samples >= 3
    assert parse_worst_stall(caplog.text) == pytest.approx(monitor.worst, abs=0.0001)


def test_freezing_takes_live_objects_out_of_collections_until_unfrozen() -> None:
    freeze_long_lived_objects()
    try:
        assert gc.get_freeze_count() > 1000
    finally:
        unfreeze_long_lived_objects()
    assert gc.get_freeze_count() == 0
