"""Disagreements in the case views: what `status` and `timeline` flag, on every case.

Run from the repository root, with ../shared/eval/ beside it:

    .venv/bin/python -m tests.bench.disagreements           # the table
    .venv/bin/python -m tests.bench.disagreements --show    # every conflict, listed or not
    .venv/bin/python -m tests.bench.disagreements --loco    # the thresholds, case left out

For each development case (tests/bench/fit_answering.py names them), the disagreements
are those its question files mark (`conflict = true`; retrieval/evaluation.py reads their
sides from the `expect` strings' values). A case view shows one when one of its
conflicts sets two of its sides against each other. "Unlisted" counts the views'
conflicts that show no listed disagreement: false alarms, or disagreements no question
marks; `--show` prints them to be read by hand.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from retrieval.model import Conflict


@dataclass(frozen=True, slots=True)
class CaseFigures:
    name: str
    listed: int  # disagreements with values the question files mark
    other_kinds: int  # marked questions whose sides give no values (who, whether)
    status: int  # listed disagreements `status` shows
    timeline: int
    either: int
    conflicts: int  # conflicts status and timeline flag (the same one once)
    unlisted: tuple[Conflict, ...]  # of those, the ones that show no listed disagreement
    details: tuple[str, ...] = ()


def measure(case) -> CaseFigures:
    from retrieval.case.status import status
    from retrieval.case.timeline import timeline
    from retrieval.corpus import load_corpus
    from retrieval.evaluation import listed_disagreements, load_items, shown_by, unlisted
    from retrieval.index import build_index

    items = [item for path in case.questions if path.is_file() for item in load_items(path)]
    listed, other = listed_disagreements(items)
    index = build_index(load_corpus(case.corpus))
    views = {"status": status(index).conflicts, "timeline": timeline(index).conflicts}
    every: list[Conflict] = []
    for conflicts in views.values():
        every.extend(c for c in conflicts if all(_sides(c) != _sides(e) for e in every))
    details = []
    for d in listed:
        shown = {name: shown_by(d, conflicts) for name, conflicts in views.items()}
        where = ", ".join(name for name, c in shown.items() if c) or "not shown"
        details.append(f"  listed: {d.asks[0]!r} ({len(d.sides)} sides): {where}")
    for c in unlisted(listed, every):
        values = "; ".join(f"{v.value} ({', '.join(s.name for s in v.sources)})" for v in c.values)
        details.append(f"  UNLISTED {c.kind}: {c.about}: {values}")
    return CaseFigures(
        name=case.name,
        listed=len(listed),
        other_kinds=len(other),
        status=sum(shown_by(d, views["status"]) is not None for d in listed),
        timeline=sum(shown_by(d, views["timeline"]) is not None for d in listed),
        either=sum(shown_by(d, every) is not None for d in listed),
        conflicts=len(every),
        unlisted=tuple(unlisted(listed, every)),
        details=tuple(details),
    )


def _sides(conflict: Conflict) -> frozenset[str]:
    return frozenset(v.value for v in conflict.values)


HEADER = (
    "| case | listed (values) | other kinds | status shows | timeline shows | either | conflicts flagged | unlisted |\n"
    "|---|---|---|---|---|---|---|---|"
)


def row(f: CaseFigures) -> str:
    return (
        f"| {f.name} | {f.listed} | {f.other_kinds} | {f.status} | {f.timeline} | {f.either}/{f.listed} "
        f"| {f.conflicts} | {len(f.unlisted)} |"
    )


# The hand-set thresholds of retrieval/case/claims.py tried leave-one-case-out: for each
# case, the pair that does best on the six others (shown, less two per unlisted conflict;
# ties to the pair nearest the shipped one), scored on the case left out.
NEAR_GRID = (0.8, 1.0, 1.15, 1.3, 1.6)  # SHARED_NEAR
SUBJECT_GRID = (0.03, 0.045, 0.06, 0.08, 0.1)  # SAME_SUBJECT
UNLISTED_COST = 2


def thresholds_left_out(cases) -> list[str]:
    from retrieval.case import claims

    shipped = (claims.SHARED_NEAR, claims.SAME_SUBJECT)
    scores: dict[tuple[float, float], dict[str, tuple[int, int]]] = {}
    try:
        for pair in ((n, s) for n in NEAR_GRID for s in SUBJECT_GRID):
            claims.SHARED_NEAR, claims.SAME_SUBJECT = pair
            scores[pair] = {c.name: (f.either, len(f.unlisted)) for c in cases for f in [measure(c)]}
    finally:
        claims.SHARED_NEAR, claims.SAME_SUBJECT = shipped
    lines = ["| case left out | chosen on the others (near, subject) | shown | unlisted | shipped: shown, unlisted |", "|---|---|---|---|---|"]
    for case in cases:
        def on_others(pair: tuple[float, float]) -> tuple[float, float]:
            gain = sum(s - UNLISTED_COST * u for name, (s, u) in scores[pair].items() if name != case.name)
            return gain, -abs(pair[0] - shipped[0]) - abs(pair[1] - shipped[1])

        best = max(scores, key=on_others)
        shown, extra = scores[best][case.name]
        at_shipped = scores[shipped][case.name] if shipped in scores else "not in the grid"
        lines.append(f"| {case.name} | {best} | {shown} | {extra} | {at_shipped} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list each disagreement and each unlisted conflict")
    parser.add_argument("--loco", action="store_true", help="try the thresholds leave-one-case-out")
    args = parser.parse_args(argv)
    from tests.bench.fit_answering import SHARED, development_cases

    if not SHARED.is_dir():
        print(f"disagreements: {SHARED} is not there (the development sets)", file=sys.stderr)
        return 2
    figures = [measure(case) for case in development_cases()]
    print(HEADER)
    for f in figures:
        print(row(f))
    total = sum(f.either for f in figures), sum(f.listed for f in figures)
    print(f"| all | {total[1]} | {sum(f.other_kinds for f in figures)} | {sum(f.status for f in figures)} "
          f"| {sum(f.timeline for f in figures)} | {total[0]}/{total[1]} | {sum(f.conflicts for f in figures)} "
          f"| {sum(len(f.unlisted) for f in figures)} |")
    if args.loco:
        print()
        print("\n".join(thresholds_left_out(development_cases())))
    if args.show:
        for f in figures:
            print(f"\n{f.name}")
            print("\n".join(f.details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
