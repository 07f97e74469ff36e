"""Benchmark: corpus load + index build time, question latency and peak memory.

Run from the repository root (not part of the test run):

    .venv/bin/python -m tests.bench.benchmark            # seed, 10,000 and 100,000 passages
    .venv/bin/python -m tests.bench.benchmark --sizes 10000
    .venv/bin/python -m tests.bench.benchmark --sizes 10000 100000 300000

With bm25s installed (`pip install -e '.[bench]'`) it also builds and searches the same
passages with bm25s in the same process, and prints casebot's build and search beside it,
the step from search to a composed answer (ask p50 / search p50), and the first ask on a
fresh snapshot (its caches cold). The two searches take turns, question by question, and
their ratio is the median of the rounds' ratios: on a shared machine, load that comes and
goes then slows both alike. Target: at 100,000 passages, search within 1.2x of bm25s.

`status` is timed twice: first on a fresh snapshot before any ask (its first computation,
which reads the case's disagreements wherever the sources tell them; `casebot serve` pays
it in a worker thread as it serves a snapshot, a one-shot `casebot status` in full), and
again once the asks have filled the snapshot's caches. A status request to a serving bot
is neither: it reads the answer kept in the snapshot. Target: the first computation at
100,000 passages under 100 ms.

Each corpus is measured in its own subprocess so that peak memory (ru_maxrss) belongs to
that corpus alone. Synthetic corpora are written to a temporary directory in the corpus
format, from the seed articles' sentences recombined with random extra vocabulary, so the
loader, the sentence splitter and the analyzer all do their real work.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parents[2] / "corpus"
QUESTIONS = [
    "Who is suing LinkedIn?",
    "What is LinkedIn accused of?",
    "Where was the lawsuit filed?",
    "How much are plaintiffs asking per user?",
    "Which laws were allegedly broken?",
    "What is the UCL?",
    "When did LinkedIn introduce the privacy setting?",
    "Is the case still going on?",
    "Who represents the plaintiff?",
    "Which judge is presiding?",
    "What did LinkedIn tell BBC News?",
    "zzzz",
    # typed as in chat: typos, shorthand, paraphrase (spelling tolerance runs)
    "whos the plantiff in the linkedin ai thing",
    "did de la torre back out of the lawsuit",
    "how much cash could ppl get",
]
TARGET_SEED_P99_MS = 20.0
TARGET_SEARCH_RATIO = 1.2  # bare search at 100,000 passages, over bm25s's
TARGET_STATUS_FIRST_MS = 100.0  # status's first computation at 100,000 passages
# Rounds of the two searches taking turns (at least: `--rounds` if more).
SEARCH_ROUNDS = 15
PASSAGES_PER_FILE = 100


def write_synthetic(
    directory: Path, passages: int, *, seed: int = 7, per_file: int = PASSAGES_PER_FILE
) -> None:
    """Writes a corpus of about `passages` passages recombined from the seed sentences,
    `per_file` passages to an article file."""
    from retrieval.corpus import load_corpus

    rng = random.Random(seed)
    seed_corpus = load_corpus(SEED_DIR)
    sentences = [s for p in seed_corpus.passages for s in p.sentence_texts()]
    vocabulary = [f"term{n}" for n in range(50_000)]
    files = max(1, passages // per_file)
    for number in range(files):
        paragraphs = []
        for _ in range(per_file):
            chosen = rng.sample(sentences, 2) + [" ".join(rng.sample(vocabulary, 6)).capitalize() + "."]
            rng.shuffle(chosen)
            paragraphs.append(" ".join(chosen))
        front = (
            f'+++\noutlet = "Synthetic {number % 40}"\ntitle = "Synthetic article {number}"\n'
            f"published = 2025-0{1 + number % 9}-{1 + number % 28:02d}\n+++\n"
        )
        (directory / f"synthetic-{number:05d}.md").write_text(front + "\n\n".join(paragraphs) + "\n")


def measure(directory: Path, rounds: int) -> dict:
    """Loads and indexes a corpus, then times every question `rounds` times."""
    from retrieval.answering import ask
    from retrieval.corpus import load_corpus
    from retrieval.case.status import status
    from retrieval.index import SnapshotCache, build_index

    started = time.perf_counter()
    corpus = load_corpus(directory)
    loaded = time.perf_counter()
    index = build_index(corpus)
    built = time.perf_counter()
    # As `casebot serve` does at start: the spelling word lists load before any question.
    from retrieval.answering import warm

    warm()
    # As `casebot serve` does once it is ready: the corpus and index, which live as long as
    # the snapshot, out of the garbage collector's full walks (at 100,000 passages one walk
    # is ~0.2 s, and would land in whichever measurement happened to trigger it).
    from bot.ops.loop_monitor import freeze_long_lived_objects

    freeze_long_lived_objects()
    # `status` on a fresh snapshot, before any ask has filled its caches: the first
    # computation, which `casebot serve` pays in a worker thread as it serves a snapshot and
    # a one-shot `casebot status` pays in full. A copy of the snapshot with caches of its
    # own (the passages and postings shared), so the asks below still find theirs cold.
    fresh = dataclasses.replace(index, cache=SnapshotCache())
    t0 = time.perf_counter()
    status(fresh)
    status_first_ms = (time.perf_counter() - t0) * 1000
    del fresh
    cold = []  # first asks fill per-snapshot caches (analysed sentences, developments)
    for question in QUESTIONS:
        t0 = time.perf_counter()
        ask(index, question)
        cold.append((time.perf_counter() - t0) * 1000)
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            t0 = time.perf_counter()
            ask(index, question)
            timings.append((time.perf_counter() - t0) * 1000)
    # And once the asks have filled the snapshot's caches (analysed sentences, claim
    # searches, the speller): the computation a bot working status out on demand, after
    # serving questions, would pay (the figure this benchmark printed before 2026-12-08).
    t0 = time.perf_counter()
    status(index)
    status_ms = (time.perf_counter() - t0) * 1000
    timings.sort()
    reference = _against_bm25s(index, rounds)
    return {
        **reference,
        "passages": len(index.passages),
        "articles": len(corpus.articles),
        "load_s": round(loaded - started, 3),
        "build_s": round(built - loaded, 3),
        "ask_median_ms": round(statistics.median(timings), 2),
        "ask_p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
        "ask_samples": len(timings),
        "cold_max_ms": round(max(cold), 1),
        "cold_p50_ms": round(statistics.median(cold), 2),
        "status_first_ms": round(status_first_ms, 1),
        "status_ms": round(status_ms, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _against_bm25s(index, rounds: int) -> dict:
    """The reference: bm25s (same stemmer, English stop words) building and searching the
    same passages, beside casebot's own search step, in this process.

    The two searches take turns question by question (casebot's, then bm25s's, for each),
    so that load on a shared machine, which comes and goes within milliseconds, slows both
    alike; the ratio is the median, over the rounds, of a round's median search time over
    bm25s's. Casebot's median search time is over every question; the ratio is over the
    questions bm25s has any word of."""
    from retrieval.answering.question import read_question

    groups = [read_question(index, q).groups for q in QUESTIONS]

    def timed(search, query) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        search(query)
        return (time.perf_counter() - t0) * 1000

    def ours(g) -> None:  # type: ignore[no-untyped-def]
        index.search(g, limit=20)

    try:
        import bm25s
        import Stemmer
    except ImportError:
        searches = [timed(ours, g) for _ in range(rounds) for g in groups]
        return {"search_median_ms": round(statistics.median(searches), 3)}
    texts = [p.text for p in index.passages]
    stemmer = Stemmer.Stemmer("english")
    t0 = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    bm25s_build = time.perf_counter() - t0
    queries = [bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False) for q in QUESTIONS]

    def theirs(query) -> None:  # type: ignore[no-untyped-def]
        retriever.retrieve(query, k=min(20, len(texts)), show_progress=False)

    searches: list[float] = []
    references: list[float] = []
    ratios = []
    for _ in range(max(rounds, SEARCH_ROUNDS)):
        mine, reference = [], []
        for g, query in zip(groups, queries, strict=True):
            searches.append(timed(ours, g))
            if query.vocab:  # bm25s refuses a query with no word it knows
                mine.append(searches[-1])
                reference.append(timed(theirs, query))
        references += reference
        ratios.append(statistics.median(mine) / statistics.median(reference))
    return {
        "search_median_ms": round(statistics.median(searches), 3),
        "bm25s_build_s": round(bm25s_build, 3),
        "bm25s_search_median_ms": round(statistics.median(references), 3),
        "search_ratio": round(statistics.median(ratios), 2),
        "search_ratio_spread": [round(min(ratios), 2), round(max(ratios), 2)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=20, help="times each question is asked")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(Path(args.worker), args.rounds)))
        return 0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("seed", SEED_DIR)]
        for size in args.sizes:
            directory = Path(tmp) / f"synthetic-{size}"
            directory.mkdir()
            write_synthetic(directory, size)
            targets.append((f"synthetic {size:,}", directory))
        for name, directory in targets:
            rounds = args.rounds if name == "seed" else max(2, args.rounds // 10)
            out = subprocess.run(
                [sys.executable, "-m", "tests.bench.benchmark", "--worker", str(directory), "--rounds", str(rounds)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows.append((name, json.loads(out)))

    header = (
        f"{'corpus':<18}{'passages':>9}{'load s':>8}{'build s':>8}{'ask p50 ms':>11}{'ask p99 ms':>11}"
        f"{'cold max':>9}{'status 1st':>11}{'after asks':>11}{'peak MB':>9}"
    )
    print(header)
    for name, r in rows:
        print(
            f"{name:<18}{r['passages']:>9,}{r['load_s']:>8}{r['build_s']:>8}{r['ask_median_ms']:>11}"
            f"{r['ask_p99_ms']:>11}{r['cold_max_ms']:>9}{r['status_first_ms']:>11}{r['status_ms']:>11}{r['peak_rss_mb']:>9}"
        )
    print(
        f"\n{'corpus':<18}{'build':>8}{'bm25s':>8}{'ratio':>7}{'search ms':>10}{'bm25s ms':>9}"
        f"{'ratio':>7}{'(rounds)':>12}{'ask p50':>9}{'ask/search':>11}{'1st ask p50':>12}"
    )
    for name, r in rows:
        bm_build, bm_search = r.get("bm25s_build_s"), r.get("bm25s_search_median_ms")
        build_ratio = f"{r['build_s'] / bm_build:.1f}x" if bm_build else "n/a"
        search_ratio = f"{r['search_ratio']:.2f}x" if bm_build else "n/a"
        spread = "{}-{}".format(*r["search_ratio_spread"]) if bm_build else ""
        print(
            f"{name:<18}{r['build_s']:>8}{bm_build or 'n/a':>8}{build_ratio:>7}{r['search_median_ms']:>10}"
            f"{bm_search or 'n/a':>9}{search_ratio:>7}{spread:>12}{r['ask_median_ms']:>9}"
            f"{r['ask_median_ms'] / r['search_median_ms']:>10.1f}x{r['cold_p50_ms']:>12}"
        )
    if not rows[0][1].get("bm25s_build_s"):
        print("(bm25s is not installed: pip install -e '.[bench]' for the reference columns)")
    seed_p99 = rows[0][1]["ask_p99_ms"]
    verdict = "meets" if seed_p99 < TARGET_SEED_P99_MS else "MISSES"
    print(f"\nseed corpus ask p99 {seed_p99} ms {verdict} the {TARGET_SEED_P99_MS:.0f} ms target")
    ok = seed_p99 < TARGET_SEED_P99_MS
    largest = rows[-1][1]
    if largest.get("search_ratio") is not None and largest["passages"] >= 100_000:
        fast = largest["search_ratio"] <= TARGET_SEARCH_RATIO
        print(
            f"search at {largest['passages']:,} passages {largest['search_ratio']:.2f}x bm25s "
            f"(median of the rounds' ratios) {'meets' if fast else 'MISSES'} the "
            f"{TARGET_SEARCH_RATIO:g}x target; load average {os.getloadavg()[0]:.1f} at the end"
        )
        ok = ok and fast
    if largest["passages"] >= 100_000:
        quick = largest["status_first_ms"] < TARGET_STATUS_FIRST_MS
        print(
            f"status's first computation at {largest['passages']:,} passages {largest['status_first_ms']} ms "
            f"{'meets' if quick else 'MISSES'} the {TARGET_STATUS_FIRST_MS:.0f} ms target"
        )
        ok = ok and quick
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
