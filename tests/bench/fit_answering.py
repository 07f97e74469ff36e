"""Fits the answering scorer on the development cases, and judges it leave-one-case-out.

Run from the repository root, with ../shared/eval/ beside it:

    .venv/bin/python -m tests.bench.fit_answering            # the leave-one-case-out table
    .venv/bin/python -m tests.bench.fit_answering --write    # refit retrieval/answering/model.json
    .venv/bin/python -m tests.bench.fit_answering --loco --items seed   # per-item lines too

The seven development cases: the seed corpus (all its question files are one case), the
four real cases in ../shared/eval/cases/ and the two made-up ones in tests/retrieval/cases/.
Fitting is deterministic: the same sets give the same model.json (tests/retrieval/
test_fitting.py checks it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "eval"
OWN = ROOT / "tests" / "retrieval" / "cases"


def development_cases():
    from retrieval.answering.fitting import Case

    def shared(name: str) -> Case:
        folder = SHARED / "cases" / name
        return Case(name, folder / "corpus", (folder / "questions.toml",))

    def own(name: str) -> Case:
        folder = OWN / name
        return Case(name, folder / "corpus", (folder / "questions.toml",))

    return [
        Case(
            "seed (LinkedIn)",
            ROOT / "corpus",
            (SHARED / "dev_questions.toml", SHARED / "dev_questions_chat.toml", OWN / "seed-chat-questions.toml"),
        ),
        shared("bartz-v-anthropic"),
        shared("facebook-bipa"),
        shared("nyt-v-openai"),
        shared("apple-batterygate"),
        own("couriers-v-parcelo"),
        own("kessling-v-ardent"),
    ]


def prepared_cases():
    from retrieval.answering.fitting import prepare

    return {case.name: prepare(case) for case in development_cases()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="refit on all seven cases and write model.json")
    parser.add_argument("--items", nargs="*", default=[], metavar="CASE", help="print each item's outcome for these cases")
    args = parser.parse_args(argv)
    from retrieval.answering.fitting import fit, leave_one_case_out
    from retrieval.answering.scorer import MODEL_FILE
    from retrieval.evaluation import TABLE_HEADER, report, table_row

    if not SHARED.is_dir():
        print(f"fit_answering: {SHARED} is not there (the development sets)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    prepared = prepared_cases()
    if args.write:
        model = fit(prepared)
        MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE.relative_to(ROOT)} ({time.perf_counter() - started:.1f} s)")
        return 0
    results = leave_one_case_out(prepared)
    for name in args.items:
        matches = [n for n in results if n.startswith(name)]
        for n in matches:
            print(report(n, results[n][1], results[n][2]), end="\n\n")
    print("Leave-one-case-out: each case scored by a model fitted on the six others.\n")
    print(TABLE_HEADER)
    total = None
    for name, (_, _, summary) in results.items():
        print(table_row(name, summary))
        total = summary if total is None else total + summary
    print(table_row("all", total))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
