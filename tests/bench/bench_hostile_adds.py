"""Ordinary questions while six hostile `/case add`s run, beside the same questions alone.

    .venv/bin/python -m tests.bench.bench_hostile_adds [--seconds 25] [--askers 4] [--jobs N]

Not part of the test run. In one process, as `casebot serve` runs them: a desk over a copy
of the bundled corpus, and a web server on 127.0.0.1 serving six pages built to hurt (two
dripping their headers a byte at a time, a 64 MiB gzip bomb, a stacked `gzip, gzip` bomb, a
PDF whose one content stream of text is drawn on each of 200 pages, and one of 300 slow
pages). Members ask ordinary questions one after another (`--askers` of them) in phases of
`--seconds` each:

1. **alone**: nothing else runs: the reference, measured before and again after phase 2
   (the machine's own load changes; both count);
2. **six adds, as casebot runs them**: three admins send two adds each, with the shipped
   limits (3 at once, 2 per admin: 3 run, 3 are refused at once); `--jobs 6` raises both
   limits so that all six run at once, each in its child process;
3. **six adds in threads** (`--no-threads` leaves it out): the same six, with all six let
   through, run as casebot ran them before issue 20: by `asyncio.to_thread`, on the default
   executor that also answers questions (with this fetch's deadline and size bounds, but no
   time limit on reading a PDF, as SIGALRM reaches only the main thread). A thread cannot
   be stopped, so this phase waits up to 30 s for them, then gives their requests up, and
   the script exits without waiting for the threads.

It prints each phase's question latency (p50, p95, max, count), what each add came to and
when, how long stopping the adds took, and exits 1 unless in phase 2 no question waited on
an add: p50 within `TARGET_P50_RATIO` of alone, p95 within `TARGET_P95_EXTRA` of alone
(an add's work takes seconds; CPU the children use still costs questions some
milliseconds on a small machine, whatever their priority).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.desk import Caller, Desk
from bot.intake import Draft, Options, prepare
from bot.intake.chat import ChatIntake
from bot.settings import Settings
from tests.support.intake_pages import SLOW_PROGRAM, TEXT_PROGRAM, shared_stream_pdf
from tests.support.intake_server import Route, Site, serve

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = (
    "Who is suing LinkedIn?",
    "How much are plaintiffs asking per user?",
    "Where was the lawsuit filed?",
    "What is LinkedIn accused of?",
    "What did LinkedIn say about the claims?",
)
TARGET_P50_RATIO = 2.0
TARGET_P95_EXTRA = 0.200  # seconds
ADMINS = [Caller(platform="slack", user_id=f"UADMIN{n}", is_admin=True) for n in range(3)]
# Two for each admin, in order; with the shipped limits the first three run: the costliest.
HOSTILE = ("/drip-1", "/text.pdf", "/slow.pdf", "/bomb", "/nested-bomb", "/drip-2")


def _routes(work: Path) -> dict[str, Route]:
    html = {"Content-Type": "text/html; charset=utf-8"}
    pdf = {"Content-Type": "application/pdf"}
    bomb = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
    text_pdf = shared_stream_pdf(work / "text.pdf", pages=200, program=TEXT_PROGRAM)
    slow_pdf = shared_stream_pdf(work / "slow.pdf", pages=300, program=SLOW_PROGRAM)
    return {
        "/drip-1": Route(drip=0.2, drip_for=120),
        "/drip-2": Route(drip=0.2, drip_for=120),
        "/bomb": Route(body=bomb, headers={**html, "Content-Encoding": "gzip"}),
        "/nested-bomb": Route(body=gzip.compress(bomb), headers={**html, "Content-Encoding": "gzip, gzip"}),
        "/text.pdf": Route(body=text_pdf.read_bytes(), headers=pdf),
        "/slow.pdf": Route(body=slow_pdf.read_bytes(), headers=pdf),
    }


async def _ask_for(desk: Desk, seconds: float, askers: int) -> list[float]:
    """Each asker asks one question after another for `seconds`; every latency."""
    latencies: list[float] = []
    ends = time.monotonic() + seconds

    async def asker(n: int) -> None:
        caller = Caller(platform="slack", user_id=f"UMEMBER{n}", is_admin=False)
        asked = 0
        while time.monotonic() < ends:
            started = time.perf_counter()
            reply = await desk.handle(QUESTIONS[(n + asked) % len(QUESTIONS)], caller)
            latencies.append(time.perf_counter() - started)
            assert reply.answer.kind in ("answer", "no_answer"), reply.answer
            asked += 1
            await asyncio.sleep(0.01)  # a person reads; the loop gets a turn

    await asyncio.gather(*(asker(n) for n in range(askers)))
    return latencies


async def _with_adds(
    desk: Desk, site: Site, seconds: float, askers: int, *, stop: bool
) -> tuple[list[float], list[str], str]:
    """Questions while the six adds run; what each add came to; how they ended."""
    started = time.monotonic()
    outcomes: list[str] = []

    async def add(path: str, admin: Caller) -> None:
        reply = await desk.handle(f"add {site.url(path)}", admin)
        text = reply.answer.text.removeprefix("Not added: ")
        outcomes.append(f"  {path:13} {time.monotonic() - started:5.1f} s  {reply.answer.kind}: {text[:110]}")

    adds = [asyncio.create_task(add(path, ADMINS[n // 2])) for n, path in enumerate(HOSTILE)]
    latencies = await _ask_for(desk, seconds, askers)
    ending = time.monotonic()
    if stop:
        desk.intake.stop()
    _, running = await asyncio.wait(adds, timeout=30)
    ended = (
        f"  stopping the adds still running took {time.monotonic() - ending:.2f} s"
        if stop
        else f"  {len(running)} add(s) still running 30 s after the questions ended"
    )
    for task in running:  # their threads run on; the requests are given up
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    return latencies, outcomes, ended


async def _in_thread(source: str, corpus_dir: Path, options: Options) -> Draft:
    # How casebot ran an add before: on the default executor, which answers questions too.
    return await asyncio.to_thread(prepare, source, corpus_dir, options)


def _line(name: str, latencies: list[float]) -> str:
    return (f"{name:34} p50 {statistics.median(latencies) * 1000:8.1f} ms   "
            f"p95 {_p95(latencies) * 1000:8.1f} ms   max {max(latencies) * 1000:8.1f} ms   "
            f"{len(latencies):5} questions")  # fmt: skip


def _p95(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def run(seconds: float, askers: int, jobs: int | None, threads: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="casebot-bench-hostile-"))
    try:
        shutil.copytree(REPO_ROOT / "corpus", work / "corpus")
        limits = {} if jobs is None else {"intake_jobs": jobs, "intake_jobs_per_admin": jobs}
        settings = Settings(
            _env_file=None, corpus_dir=work / "corpus", db_path=work / "casebot.db",
            fetch_private=True, rate_limit=0, max_in_flight=0, **limits,
        )  # fmt: skip
        print(f"CASEBOT_FETCH_TIMEOUT {settings.fetch_timeout:g} s, CASEBOT_EXTRACT_TIMEOUT "
              f"{settings.extract_timeout:g} s, CASEBOT_FETCH_MAX_BYTES {settings.fetch_max_bytes:,}, "
              f"CASEBOT_INTAKE_JOBS {settings.intake_jobs} (per admin "
              f"{settings.intake_jobs_per_admin}); {askers} askers, {seconds:g} s a phase")  # fmt: skip
        with serve(_routes(work)) as site:
            desk = await Desk.open(settings)
            try:
                await _ask_for(desk, 1.0, askers)  # warm
                alone = await _ask_for(desk, seconds, askers)
                print(_line("alone", alone))
                children, outcomes, ended = await _with_adds(desk, site, seconds, askers, stop=True)
                print(_line("six adds, each in its process", children))
                print("\n".join([*outcomes, ended]))
                again = await _ask_for(desk, seconds, askers)
                print(_line("alone again", again))
                alone += again
            finally:
                await desk.close()
            if threads:
                everyone = {"intake_jobs": 6, "intake_jobs_per_admin": 6, "db_path": work / "threads.db"}
                desk = await Desk.open(settings.model_copy(update=everyone))
                try:
                    desk.intake = ChatIntake(desk, prepare=_in_thread)
                    in_threads, outcomes, ended = await _with_adds(
                        desk, site, seconds, askers, stop=False
                    )
                    print(_line("six adds in threads (before)", in_threads))
                    print("\n".join([*outcomes, ended]))
                finally:
                    await desk.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p50 = statistics.median(children) / statistics.median(alone)
    extra = _p95(children) - _p95(alone)
    held = p50 <= TARGET_P50_RATIO and extra <= TARGET_P95_EXTRA
    print(f"with the adds, beside alone: p50 {p50:.2f}x (target <= {TARGET_P50_RATIO:g}x), "
          f"p95 {extra * 1000:+.0f} ms (target <= +{TARGET_P95_EXTRA * 1000:.0f} ms): "
          f"{'held' if held else 'NOT HELD'}")  # fmt: skip
    return 0 if held else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25.0, help="length of each phase")
    parser.add_argument("--askers", type=int, default=4, help="members asking at once")
    parser.add_argument("--jobs", type=int, help="adds run at once, in all and per admin")
    parser.add_argument("--no-threads", action="store_true", help="leave out phase 3")
    options = parser.parse_args()
    loop = asyncio.new_event_loop()
    code = loop.run_until_complete(
        run(options.seconds, options.askers, options.jobs, not options.no_threads)
    )
    # Phase 3's threads may still be reading a PDF, and a thread cannot be stopped: exit
    # without waiting for them (asyncio.run would, for minutes).
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
