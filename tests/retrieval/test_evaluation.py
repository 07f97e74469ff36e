"""The scorer behind `casebot eval`, and the command itself."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from retrieval.evaluation import Item, score
from retrieval.model import Answer, Quote, Source

SOURCE = Source(id="a", outlet="Example Times")


def _answer(kind: str, *quotes: str) -> Answer:
    return Answer(kind=kind, text="Here is what the sources say.", quotes=tuple(Quote(q, SOURCE, None) for q in quotes))


def test_an_answer_with_the_fact_passes_and_idle_quotes_are_counted():
    outcome = score(Item("who?", ("De La Torre",), top=True), _answer("answer", "filler", "by De La Torre"))
    assert outcome.passed and outcome.first_quote is False and outcome.idle_quotes == 1


def test_a_declined_answerable_item_fails_and_an_abstain_item_needs_no_quotes():
    assert not score(Item("who?", ("X",)), _answer("no_answer")).passed
    assert score(Item("judge?", abstain=True), _answer("no_answer")).passed
    assert not score(Item("judge?", abstain=True), _answer("answer", "something")).passed


def test_casebot_eval_prints_each_item_and_the_four_figures(tmp_path: Path, capsys):
    questions = tmp_path / "q.toml"
    questions.write_text(
        '[[q]]\nask = "How much are plaintiffs asking per user?"\nexpect = ["$1,000"]\ntop = true\n\n'
        '[[q]]\nask = "What did the judge rule?"\nabstain = true\n',
        encoding="utf-8",
    )
    assert main(["eval", str(questions)]) == 0
    out = capsys.readouterr().out
    assert "| 1/1 (100%) | 1/1 (100%) | 1/1 (100%) |" in out
    assert "'What did the judge rule?': abstained" in out


def test_casebot_eval_names_a_broken_question_file(tmp_path: Path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[q]]\nexpect = [1]\n", encoding="utf-8")
    assert main(["eval", str(broken)]) == 1
    assert "broken.toml: item 1 has no `ask` string" in capsys.readouterr().err
