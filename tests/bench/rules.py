"""What each hand rule outside the fitted scorer adds, leave-one-case-out.

    .venv/bin/python -m tests.bench.rules            # every rule, one after another
    .venv/bin/python -m tests.bench.rules near_miss  # some of them

Issue 19 asks that each rule left in retrieval/ earn its place case by case. Each rule is
switched off in turn (the function that applies it replaced for the run, nothing else
changed), the scorer refitted and every case scored by a model fitted on the six others,
as `tests.bench.fit_answering` does; the totals over the seven cases are printed beside
the same run with every rule on. Not part of the test run (a few minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from unittest import mock

def _by_rule_without_other_case(q, best, similarity, model):
    """tiers.by_rule less its other-lawsuit branch."""
    from retrieval.answering import tiers

    if best is None or tiers.missing_names(q) or tiers.off_topic(q, similarity, model):
        return "not covered"
    if tiers.misses_the_kind(q, best):
        return "closest"
    return None


# rule: (what it does, the attributes replaced to switch it off; a function is looked up
# by name where it is called, so fitting's own import of by_rule is replaced too)
RULES = {
    "status": (
        "a question of where the case stands is answered by the latest step",
        {"retrieval.answering.tiers.asks_for_status": lambda index, q: False},
    ),
    "other_case": (
        "another lawsuit's sentence leading is never a confident answer",
        {
            "retrieval.answering.tiers.by_rule": _by_rule_without_other_case,
            "retrieval.answering.fitting.by_rule": _by_rule_without_other_case,
        },
    ),
    "near_miss": (
        "a question asking for a value whose best sentence gives none is a near miss",
        {"retrieval.answering.tiers.misses_the_kind": lambda q, best: False},
    ),
    "names": (
        "a name the question turns on that no source uses: not covered",
        {"retrieval.answering.tiers.missing_names": lambda q: ()},
    ),
    "kind_candidates": (
        "for a sum, a date or a count, the sentences of that kind nearest in meaning are candidates",
        {"retrieval.answering.candidates._of_the_kind": lambda index, q: []},
    ),
    "derived_words": (
        "a word the sources don't use is read by the words derived from its beginning",
        {"retrieval.answering.question._other_forms": lambda index, group: group},
    ),
}


def _totals(prepared_cases) -> str:
    from retrieval.answering.fitting import leave_one_case_out

    results = leave_one_case_out(prepared_cases())
    total = None
    for _, _, summary in results.values():
        total = summary if total is None else total + summary
    return (
        f"found {total.found}/{total.answerable}, confident-correct {total.confident_correct}, "
        f"misled {total.misled}/{total.items}, declined {total.declined}/{total.unanswerable}, "
        f"first quote {total.first_quote}/{total.first_quote_items}"
    )


def _switched_off(rule: str) -> ExitStack:
    stack = ExitStack()
    for target, replacement in RULES[rule][1].items():
        stack.enter_context(mock.patch(target, replacement))
    return stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rules", nargs="*", metavar="RULE", help=f"of {', '.join(RULES)} (all if none)")
    args = parser.parse_args(argv)
    from tests.bench.fit_answering import SHARED, prepared_cases

    if not SHARED.is_dir():
        print(f"rules: {SHARED} is not there (the development sets)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    print(f"every rule on: {_totals(prepared_cases)}")
    unknown = [rule for rule in args.rules if rule not in RULES]
    if unknown:
        parser.error(f"no rule {', '.join(unknown)}; the rules: {', '.join(RULES)}")
    for rule in args.rules or RULES:
        with _switched_off(rule):
            print(f"without {rule} ({RULES[rule][0]}): {_totals(prepared_cases)}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
