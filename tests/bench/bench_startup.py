"""How long a one-shot `casebot ask` takes, beside a script that does only the work.

    .venv/bin/python -m tests.bench.bench_startup [--runs 21]

Not part of the test run. Each run is a fresh interpreter (start-up, imports, loading and
indexing the seed corpus, one answer, rendering, shutdown), timed from outside; the two
commands alternate so that machine noise hits both alike, and the medians are compared.
The baseline script loads, builds, asks and renders, and nothing else: the target is
`casebot ask` within 1.5x of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Who is suing LinkedIn?"
TARGET_RATIO = 1.5

# What the `casebot` console script runs.
CASEBOT_ASK = "import sys; from bot.cli import main; sys.exit(main())"
# The work alone: the same load, build, ask and render, from the same bundled corpus.
BASELINE = """
import sys
from bot.query_settings import BUNDLED_CORPUS_DIR
from bot.render.text import render_text
from retrieval.answering import ask
from retrieval.corpus import load_corpus
from retrieval.index import build_index
print(render_text(ask(build_index(load_corpus(BUNDLED_CORPUS_DIR)), sys.argv[1], max_quotes=3)))
"""


def _time_once(code: str, args: list[str], cwd: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command")
    options = parser.parse_args()

    # An empty working directory (no .env) and none of casebot's settings: the defaults.
    ours = ("CASEBOT_", "SLACK_", "DISCORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["PYTHONPATH"] = str(REPO_ROOT)
    commands = {
        "casebot ask": (CASEBOT_ASK, ["ask", QUESTION]),
        "load+build+ask+render script": (BASELINE, [QUESTION]),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as cwd:
        for name, (code, args) in commands.items():
            _time_once(code, args, cwd, env)  # warm the file cache and the .pyc files
        for _ in range(options.runs):
            for name, (code, args) in commands.items():
                times[name].append(_time_once(code, args, cwd, env))

    print(f"{'command':<30} {'median ms':>10} {'min ms':>8} {'max ms':>8}  ({options.runs} runs)")
    for name, samples in times.items():
        print(
            f"{name:<30} {statistics.median(samples) * 1000:>10.0f} "
            f"{min(samples) * 1000:>8.0f} {max(samples) * 1000:>8.0f}"
        )
    cli, baseline = (statistics.median(samples) for samples in times.values())
    ratio = cli / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"\none-shot ask / script: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
