"""Benchmark: many cases in one deployment, beside one case of the same passages.

Run from the repository root (not part of the test run):

    .venv/bin/python -m tests.bench.bench_cases                 # 50 cases of 200 articles
    .venv/bin/python -m tests.bench.bench_cases --cases 10 --articles 50

It writes, with the retrieval benchmark's generator (`tests.bench.benchmark`), a corpus of
`--cases` case folders of `--articles` articles (10 passages each) and, beside it, one case
of the same articles, then measures each in a process of its own through the real desk
(`Desk.open`, `Desk.handle`, `Desk.reload`, with a database of its own):

* **start**: `Desk.open` (read the layout, load and index every case, warm up), and the
  resident memory (VmRSS) once open and settled as `casebot serve` settles it;
* **ask**: p50/p99 of questions routed to one case by name (`ask case-07: …`), beside the
  same questions asked of one case of that case's size alone (today's deployment, no
  routing), and the routing itself (`bot.routing.route`, the channel lookup included);
* **reloads**: nothing changed, one case's article changed (`reload`, every case hashed;
  and `reload case-07`), every case changed; beside the same case built alone
  (`bot.builder.build`) and the single corpus of all the passages reloaded.

Memory is measured again at a fifth and at half the cases, to show it growing with the
passages, not with the cases: each row's MB per 1,000 passages beside the single corpus's.
Targets: routing adds under 1 ms to `ask`; a one-case reload costs what that case costs
(within a second of building that case alone), not the deployment; memory per passage
with many cases within 10% of one case's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.benchmark import QUESTIONS, write_synthetic

PASSAGES_PER_ARTICLE = 10
# Questions are routed to the eighth case (or the last, of fewer).
ROUTED = 7
TARGET_ROUTING_MS = 1.0
TARGET_MEMORY_RATIO = 1.1


def write_cases(root: Path, cases: int, articles: int) -> Path:
    """`cases` folders of `articles` synthetic articles each, each with its case.toml."""
    corpus = root / "cases"
    for n in range(cases):
        folder = corpus / f"case-{n:02d}"
        folder.mkdir(parents=True)
        write_synthetic(folder, articles * PASSAGES_PER_ARTICLE, seed=n, per_file=PASSAGES_PER_ARTICLE)
        (folder / "case.toml").write_text(f'name = "Plaintiff {n:02d} v. Company {n:02d}"\n')
    return corpus


def write_single(root: Path, cases: Path, name: str, take: int | None = None) -> Path:
    """One case of the first `take` cases' articles (all of them by default)."""
    single = root / name
    single.mkdir()
    for folder in sorted(cases.iterdir())[:take]:
        for article in folder.glob("*.md"):
            (single / f"{folder.name}-{article.name}").write_bytes(article.read_bytes())
    return single


def rss_mb() -> float:
    """The process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.99))]


async def measure(directory: Path, rounds: int, *, routed: bool, reloads: bool) -> dict:
    """Open a desk on `directory`, time its questions and (`reloads`) its reloads."""
    from bot.caller import Caller
    from bot.desk import Desk
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            _env_file=None, corpus_dir=directory, db_path=Path(scratch) / "casebot.db",
            rate_limit=0, max_in_flight=0, reload_timeout=600,
        )  # fmt: skip
        started = time.perf_counter()
        desk = await Desk.open(settings)
        out: dict = {"start_s": round(time.perf_counter() - started, 2)}
        # As `casebot serve` does once it is ready (garbage collected, the start's freed
        # scratch memory handed back): the memory the cases hold, not what the builds left.
        from bot.ops.loop_monitor import freeze_long_lived_objects

        freeze_long_lived_objects()
        out["rss_mb"] = round(rss_mb(), 1)
        out["cases"] = len(desk.docket.cases)
        out["passages"] = sum(len(c.index.passages) for c in desk.docket.cases.values())
        try:
            member = Caller("slack", "UBENCH", is_admin=False, channel_id="CBENCH")
            target = desk.docket.ids[min(ROUTED, len(desk.docket.ids) - 1)]
            prefix = f"ask {target}: " if routed else ""
            for question in QUESTIONS:  # the first asks fill each snapshot's caches
                await desk.handle(prefix + question, member)
            timings = []
            for _ in range(rounds):
                for question in QUESTIONS:
                    t0 = time.perf_counter()
                    reply = await desk.handle(prefix + question, member)
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert reply.answer.case is None or reply.answer.case.endswith(target[-2:])
            out["ask_p50_ms"], out["ask_p99_ms"] = (round(x, 2) for x in percentiles(timings))
            if routed:
                out["routed_case"] = target
                out["route_p50_ms"], out["route_p99_ms"] = await _route_timings(desk, target, rounds)
            if reloads:
                out.update(await _reloads(desk, directory, target if routed else None))
        finally:
            await desk.close()
    return out


async def _route_timings(desk, target: str, rounds: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The routing alone, as the desk calls it (the channel lookup in the store included)."""
    from bot.caller import Caller
    from bot.commands import parse_command

    docket = desk.docket
    caller = Caller("slack", "UBENCH", is_admin=False, channel_id="CBENCH")
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            for text in (f"ask {target}: {question}", question):
                command = parse_command(text)
                t0 = time.perf_counter()
                await desk._route(docket, command, caller, None)
                timings.append((time.perf_counter() - t0) * 1000)
    return tuple(round(x, 3) for x in percentiles(timings))  # type: ignore[return-value]


async def _reloads(desk, directory: Path, target: str | None) -> dict:  # type: ignore[no-untyped-def]
    from bot import builder
    from bot.caller import Caller

    admin = Caller("slack", "UADMIN", is_admin=True, channel_id="CBENCH")

    async def timed(text: str) -> float:
        t0 = time.perf_counter()
        reply = await desk.handle(text, admin)
        assert reply.answer.kind == "reload", reply.answer.text
        return round(time.perf_counter() - t0, 2)

    def touch(folder: Path) -> None:
        article = min(folder.glob("*.md"))
        article.write_text(article.read_text() + "\nOne more paragraph about the lawsuit.\n")

    out = {"reload_unchanged_s": await timed("reload")}
    if target is None:
        touch(directory)
        out["reload_all_s"] = await timed("reload")
        return out
    case_dir = directory / target
    touch(case_dir)
    out["reload_one_changed_s"] = await timed("reload")
    touch(case_dir)
    out["reload_one_named_s"] = await timed(f"reload {target}")
    t0 = time.perf_counter()
    await builder.build(case_dir, time_limit=600)
    out["build_one_alone_s"] = round(time.perf_counter() - t0, 2)
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        touch(folder)
    out["reload_all_s"] = await timed("reload")
    return out


def _worker(directory: str, rounds: int, routed: bool, reloads: bool) -> dict:
    command = [
        sys.executable, "-m", "tests.bench.bench_cases", "--worker", directory,
        "--rounds", str(rounds), *(["--routed"] if routed else []),
        *(["--reloads"] if reloads else []),
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--articles", type=int, default=200, help="articles per case")
    parser.add_argument("--rounds", type=int, default=10, help="times each question is asked")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--routed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reloads", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = asyncio.run(
            measure(Path(args.worker), args.rounds, routed=args.routed, reloads=args.reloads)
        )
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = write_cases(root, args.cases, args.articles)
        one_case = write_single(root, cases, "one-case", take=1)  # a case's size, alone
        rows: list[tuple[str, dict]] = []
        for share in sorted({max(1, args.cases // 5), max(1, args.cases // 2), args.cases}):
            part = root / f"cases-{share}"
            part.mkdir()
            for folder in sorted(cases.iterdir())[:share]:
                (part / folder.name).symlink_to(folder, target_is_directory=True)
            full = share == args.cases
            rows.append((f"{share} cases", _worker(str(part), args.rounds, True, full)))
            single = write_single(root, cases, f"single-{share}", take=share)
            rows.append((f"1 case, same passages", _worker(str(single), args.rounds, False, full)))
        alone = _worker(str(one_case), args.rounds, False, False)

    print(f"{'deployment':<24}{'cases':>6}{'passages':>10}{'start s':>9}{'RSS MB':>8}"
          f"{'MB/1k psg':>10}{'ask p50':>9}{'ask p99':>9}")  # fmt: skip
    for name, r in [*rows, ("1 case of one case's size", alone)]:
        print(f"{name:<24}{r['cases']:>6}{r['passages']:>10,}{r['start_s']:>9}{r['rss_mb']:>8}"
              f"{r['rss_mb'] / r['passages'] * 1000:>10.2f}{r['ask_p50_ms']:>9}{r['ask_p99_ms']:>9}")  # fmt: skip
    many, single = rows[-2][1], rows[-1][1]
    print(f"\nrouting alone (the desk's, channel lookup included): p50 {many['route_p50_ms']} ms, "
          f"p99 {many['route_p99_ms']} ms")  # fmt: skip
    print(f"routed ask p50 {many['ask_p50_ms']} ms beside one case alone {alone['ask_p50_ms']} ms")
    print(
        f"\nreloads of {many['cases']} cases: nothing changed {many['reload_unchanged_s']} s; "
        f"one case changed {many['reload_one_changed_s']} s (`reload`), "
        f"{many['reload_one_named_s']} s (`reload {many['routed_case']}`), that case built alone "
        f"{many['build_one_alone_s']} s; every case changed {many['reload_all_s']} s"
    )
    print(
        f"one case of the same {single['passages']:,} passages: nothing changed "
        f"{single['reload_unchanged_s']} s, one article changed {single['reload_all_s']} s"
    )
    memory_ratio = (many["rss_mb"] / many["passages"]) / (single["rss_mb"] / single["passages"])
    first_many, first_single = rows[0][1], rows[1][1]
    if many["passages"] > first_many["passages"]:
        print(
            f"\nmemory grows by {_slope(first_many, many):.2f} MB per 1,000 passages with "
            f"{first_many['cases']} to {many['cases']} cases, {_slope(first_single, single):.2f} "
            f"with one case of the same passages; at {many['cases']} cases the resident memory "
            f"is {memory_ratio:.2f}× one case's"
        )
    routing_ok = many["route_p99_ms"] < TARGET_ROUTING_MS
    reload_ok = many["reload_one_changed_s"] <= many["build_one_alone_s"] + 1.0
    memory_ok = memory_ratio <= TARGET_MEMORY_RATIO
    print(
        f"\nrouting p99 {many['route_p99_ms']} ms {'meets' if routing_ok else 'MISSES'} the "
        f"{TARGET_ROUTING_MS:g} ms target; one-case reload {'meets' if reload_ok else 'MISSES'} "
        f"its target (within 1 s of the case alone); memory per passage {memory_ratio:.2f}× one "
        f"case's, {'meets' if memory_ok else 'MISSES'} the {TARGET_MEMORY_RATIO:g}× target"
    )
    return 0 if routing_ok and reload_ok and memory_ok else 1


def _slope(low: dict, high: dict) -> float:
    """MB of resident memory per 1,000 passages more, from `low` to `high`."""
    return (high["rss_mb"] - low["rss_mb"]) / (high["passages"] - low["passages"]) * 1000


if __name__ == "__main__":
    sys.exit(main())
