"""How long a one-shot `casebot ask` takes, beside a script that does only the work.

    .venv/bin/python -m tests.bench.bench_startup [--runs 21] [--against DIR]

Not part of the test run. Each run is a fresh interpreter (start-up, imports, loading and
indexing the seed corpus, one answer, rendering, shutdown), timed from outside; the two
commands alternate so that machine noise hits both alike, and the medians are compared.
The baseline script loads, builds, asks and renders, and nothing else: the target is
`casebot ask` within 1.5x of it.

`--against DIR` also runs `casebot ask` from another checkout (`git worktree add DIR REV`),
alternating with the rest, to compare two versions of the code in one run. Each command's
CPU time (user + system, from the operating system's account of the child) is printed
beside the wall time: on a shared machine it moves far less with other people's load.

`--instructions` also counts the instructions each command executes, once each, under
valgrind (cachegrind without its cache simulation; PYTHONHASHSEED fixed, numpy's BLAS on
one thread, whose idle threads' spinning otherwise varies from run to run): a count that
other people's load does not move at all, for telling two versions apart on a busy
machine where even CPU medians drift by tens of milliseconds between runs. It is a proxy:
an instruction is not a fixed time.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
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


def _time_once(code: str, args: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _instructions(code: str, args: list[str], cwd: str, env: dict[str, str]) -> int:
    """Instructions one fresh interpreter running `code` executes, counted by valgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", code, *args],
        # OpenBLAS's threads spin for as long as the machine lets them (casebot's one-shot
        # commands run one; an older checkout may not): one thread keeps the count exact.
        cwd=cwd, env={**env, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"},
        check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command")
    parser.add_argument("--question", default=QUESTION, help=f"what to ask (default: {QUESTION!r})")
    parser.add_argument("--against", type=Path, help="another checkout whose `casebot ask` to time too")
    parser.add_argument("--instructions", action="store_true", help="also count each command's instructions (valgrind)")
    options = parser.parse_args()
    if options.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")

    # An empty working directory (no .env) and none of casebot's settings: the defaults.
    # Bytecode is written (PYTHONDONTWRITEBYTECODE dropped) so that the warm-up run leaves
    # every checkout's .pyc files fresh, as an installed casebot has them: otherwise a
    # checkout whose sources changed since its .pyc were written compiles them again on
    # every timed run (~0.1 s), and the comparison measures that instead.
    ours = ("CASEBOT_", "SLACK_", "DISCORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours) and k != "PYTHONDONTWRITEBYTECODE"}
    ours_env = {**env, "PYTHONPATH": str(REPO_ROOT)}
    commands = {
        "casebot ask": (CASEBOT_ASK, ["ask", options.question], ours_env),
        "load+build+ask+render script": (BASELINE, [options.question], ours_env),
    }
    if options.against is not None:
        other = {**env, "PYTHONPATH": str(options.against.resolve())}
        commands[f"casebot ask of {options.against.name}"] = (CASEBOT_ASK, ["ask", options.question], other)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as cwd:
        for name, (code, args, command_env) in commands.items():
            _time_once(code, args, cwd, command_env)  # warm the file cache and the .pyc files
        for _ in range(options.runs):
            for name, (code, args, command_env) in commands.items():
                times[name].append(_time_once(code, args, cwd, command_env))
        counted: dict[str, int] = {}
        if options.instructions:  # after the timed runs, which it would slow down
            for name, (code, args, command_env) in commands.items():
                counted[name] = _instructions(code, args, cwd, command_env)

    counts_head = f" {'instructions (M)':>17}" if counted else ""
    print(f"{'command':<34} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'CPU median ms':>14}{counts_head}  ({options.runs} runs)")
    for name, samples in times.items():
        walls = [wall for wall, _ in samples]
        count = f" {counted[name] / 1e6:>17,.0f}" if counted else ""
        print(
            f"{name:<34} {statistics.median(walls) * 1000:>10.0f} {min(walls) * 1000:>8.0f} "
            f"{max(walls) * 1000:>8.0f} {statistics.median(cpu for _, cpu in samples) * 1000:>14.0f}{count}"
        )
    cli, baseline = (statistics.median(wall for wall, _ in samples) for samples in list(times.values())[:2])
    ratio = cli / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"\none-shot ask / script: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
