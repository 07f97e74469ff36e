"""The development cases, judged as issue 19 asks: leave-one-case-out, through `ask`.

Each of the seven development cases (the seed corpus with all its question files, the
four real cases in ../shared/eval/cases/ and the two made-up ones in tests/retrieval/
cases/) is scored by a scorer fitted on the six others (retrieval/answering/fitting.py),
and must hold today's figures as a floor, so a change that costs a case it was not fitted
on fails here. Every quote of every set is checked verbatim against its passage, with the
shipped model too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.answering import ask
from retrieval.answering.fitting import leave_one_case_out
from retrieval.evaluation import corpus_for, evaluate, load_items, verbatim_checker
from tests.bench.fit_answering import SHARED, development_cases, prepared_cases
from tests.support.corpora import REPO_ROOT, SEED_CORPUS_DIR

# case: (found, confident-correct, most misled, declined), counts of items, as measured
# at the commit that set them less one item of slack (more for misled), for arithmetic
# that differs in the last place between machines. The note of issue 19 has the table.
FLOORS = {
    "seed (LinkedIn)": (88, 41, 5, 38),
    "bartz-v-anthropic": (31, 19, 2, 13),
    "facebook-bipa": (33, 11, 5, 12),
    "nyt-v-openai": (35, 9, 4, 12),
    "apple-batterygate": (33, 7, 5, 12),
    "couriers-v-parcelo": (25, 14, 2, 13),
    "kessling-v-ardent": (24, 21, 3, 13),
}

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")


@pytest.fixture(scope="module")
def loco():
    return leave_one_case_out(prepared_cases())


@needs_shared
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_each_case_left_out_holds_its_floor(loco, name):
    _, outcomes, s = loco[name]
    found, correct, misled, declined = FLOORS[name]
    missed = [o.item.ask for o in outcomes if not o.item.abstain and not o.shows]
    assert s.found >= found, f"found {s.found}/{s.answerable}; not shown: {missed}"
    assert s.confident_correct >= correct, f"confident-correct {s.confident_correct}/{s.answerable}"
    assert s.misled <= misled, f"misled {s.misled}/{s.items}: {[o.item.ask for o in outcomes if o.misled]}"
    assert s.declined >= declined, f"declined {s.declined}/{s.unanswerable}"
    assert s.fidelity == 1.0


@needs_shared
def test_every_case_is_judged():
    assert {case.name for case in development_cases()} == set(FLOORS)


def _all_sets() -> list[Path]:
    sets = [path for case in development_cases() for path in case.questions]
    return [path for path in sets if path.is_file()]


@pytest.mark.parametrize("path", _all_sets(), ids=lambda path: path.name)
def test_every_quote_is_verbatim_from_its_source_body(path: Path):
    """Quote fidelity with the shipped model: each quoted text (cut marks aside) stands
    in its passage's text."""
    from retrieval.corpus import load_corpus
    from retrieval.index import build_index

    index = build_index(load_corpus(corpus_for(path, SEED_CORPUS_DIR)))
    check = verbatim_checker({p.id: p.text for p in index.passages})
    _, summary = evaluate(load_items(path), lambda question: ask(index, question), check)
    assert summary.quotes > 0 and summary.verbatim == summary.quotes


def test_corpus_for_prefers_the_corpus_beside_the_file(tmp_path: Path):
    (tmp_path / "corpus").mkdir()
    assert corpus_for(tmp_path / "questions.toml", SEED_CORPUS_DIR) == (tmp_path / "corpus").resolve()
    assert corpus_for(REPO_ROOT / "nowhere" / "q.toml", SEED_CORPUS_DIR) == SEED_CORPUS_DIR


# case: conflict-marked items whose answer sets two of their expected values against each
# other (retrieval.evaluation.shows_disagreement), as measured at the commit that set them.
DISAGREEMENTS = {
    "seed (LinkedIn)": 2,
    "bartz-v-anthropic": 0,
    "facebook-bipa": 3,
    "nyt-v-openai": 0,
    "apple-batterygate": 3,
    "couriers-v-parcelo": 0,
    "kessling-v-ardent": 2,
}
# Answers that say the sources disagree on items no question file marks so, over all seven
# cases: 8, each read by hand and true (the note of issue 19, point 5); 30 before values
# were compared only with values of the same thing. 12 since the per-unit features made
# more of those sentences answers, again read by hand: 11 are two sources giving different
# values of one thing ($29 / $20 battery replacements, 40,000 / 45,000 couriers, March 11 /
# 12 filings, ...); one is doubtful (facebook "how much could people expect": up to $1,000
# expected in 2020 against the $428 paid, a change over time more than a disagreement).
# 16 since values in one role (the suit's filing date, the settlement's total, the sum each
# one receives) are set against each other case-wide: the 4 more, read by hand, are true
# (apple's filing told as 2017, 2017-12-29 and 2018, beside two answers quoting a filing;
# the $500 million / US310 million settlement beside "up to what amount"; facebook's
# $345 / $397 / $428 checks beside the named plaintiffs' "$5,000 each and others … $345").
# One more since "who is suing" reads as "who sued" does: "who sued and where" (couriers)
# now answers with the filing, whose sources give 40,000 and 45,000 couriers — true. Two
# more since a closest answer shows the disagreement on a value the question states: "My
# mom just got a random $92 deposit" ($92.17 / $65 per claim) and "which outlet said each
# person would end up with about $428" ($428 / $345 / $397 checks) — both true. One more
# since a year is no count: "how many couriers reached out to the lawyers" quotes the
# 40,000 / 45,000 couriers — true.
MOST_UNMARKED_DISAGREEMENTS = 20


@needs_shared
def test_answers_show_disagreements_and_raise_few_others(loco):
    shown = {name: loco[name][2].disagreements for name in DISAGREEMENTS}
    assert all(shown[name] >= floor for name, floor in DISAGREEMENTS.items()), shown
    unmarked = [
        (name, o.item.ask)
        for name, (_, outcomes, _) in loco.items()
        for o in outcomes
        if not o.item.conflict and o.tier != "not covered" and o.answer.conflicts
    ]
    assert len(unmarked) <= MOST_UNMARKED_DISAGREEMENTS, unmarked
