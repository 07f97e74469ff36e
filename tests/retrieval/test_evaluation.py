"""The figures behind `casebot eval`, and the command itself."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from retrieval.evaluation import Item, score, summarise, verbatim_checker
from retrieval.model import Answer, Quote, Source

SOURCE = Source(id="a", outlet="Example Times")


def _answer(kind: str, *quotes: str, closest: bool = False) -> Answer:
    return Answer(
        kind=kind, text="…", quotes=tuple(Quote(q, SOURCE, None, passage_id=0) for q in quotes), closest=closest
    )


def test_a_confident_answer_with_the_fact_is_correct_and_its_idle_quotes_are_counted():
    outcome = score(Item("who?", ("De La Torre",), top=True), _answer("answer", "filler", "by De La Torre"))
    assert outcome.tier == "confident" and outcome.passed and outcome.shows
    assert outcome.first_quote is False and outcome.idle_quotes == 1 and not outcome.misled


def test_the_closest_passages_count_as_found_but_never_as_confident_or_idle():
    outcome = score(Item("who?", ("De La Torre",)), _answer("no_answer", "filler", "by De La Torre", closest=True))
    assert outcome.tier == "closest" and outcome.shows and not outcome.passed and outcome.idle_quotes == 0


def test_a_confident_answer_without_the_fact_or_to_an_unanswerable_item_misleads():
    assert score(Item("who?", ("X",)), _answer("answer", "something")).misled
    assert score(Item("judge?", abstain=True), _answer("answer", "something")).misled
    assert not score(Item("judge?", abstain=True), _answer("no_answer", "near", closest=True)).misled
    assert score(Item("judge?", abstain=True), _answer("no_answer")).passed


def test_the_summary_counts_each_figure_over_its_own_items():
    outcomes = [
        score(Item("a", ("yes",)), _answer("answer", "yes")),
        score(Item("b", ("yes",)), _answer("no_answer", "yes", closest=True)),
        score(Item("c", ("yes",)), _answer("answer", "no")),
        score(Item("d", abstain=True), _answer("no_answer", "x", closest=True)),
    ]
    s = summarise(outcomes, verbatim_checker({0: "yes no x"}))
    assert (s.found, s.confident_correct, s.answerable) == (2, 1, 3)
    assert (s.misled, s.items, s.declined, s.unanswerable) == (1, 4, 1, 1)
    assert (s.confident_quotes, s.idle_quotes) == (2, 1)
    assert (s.quotes, s.verbatim) == (4, 4)


def test_a_quote_not_in_its_passage_lowers_fidelity():
    check = verbatim_checker({0: "The lawsuit was filed on Tuesday."})
    assert check(_answer("answer", "The lawsuit was filed on Tuesday.")) == (1, 1)
    assert check(_answer("answer", "…was filed on Tuesday.")) == (1, 1)
    assert check(_answer("answer", "The lawsuit was filed on Monday.")) == (1, 0)


def test_casebot_eval_prints_each_item_and_the_figures(tmp_path: Path, capsys):
    questions = tmp_path / "q.toml"
    questions.write_text(
        '[[q]]\nask = "How much are plaintiffs asking per user?"\nexpect = ["$1,000"]\ntop = true\n\n'
        '[[q]]\nask = "What did the judge rule?"\nabstain = true\n',
        encoding="utf-8",
    )
    assert main(["eval", str(questions)]) == 0
    out = capsys.readouterr().out
    assert "| q.toml | 1/1 (100%) |" in out  # found
    assert "'What did the judge rule?':" in out and "| 100% |" in out  # every quote verbatim


def test_casebot_eval_names_a_broken_question_file(tmp_path: Path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[q]]\nexpect = [1]\n", encoding="utf-8")
    assert main(["eval", str(broken)]) == 1
    assert "broken.toml: item 1 has no `ask` string" in capsys.readouterr().err
