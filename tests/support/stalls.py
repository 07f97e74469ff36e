"""Reading the loop monitor's figure back from a log (the load test and its own test)."""

from __future__ import annotations

import re

# The shutdown line, as `LoopMonitor.summary()` writes it.
_WORST = re.compile(r"event loop: worst stall (?P<ms>[\d.]+) ms")


def parse_worst_stall(text: str) -> float | None:
    """The worst stall (seconds) in a log holding a `LoopMonitor` summary line, if any."""
    found = _WORST.findall(text)
    return float(found[-1]) / 1000 if found else None
