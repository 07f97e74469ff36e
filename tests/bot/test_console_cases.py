"""Many cases in the console: `casebot cases`, `--case`, a question finding its case, and
`use` and the choice of case in `casebot chat`."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import _chat, main
from bot.desk import Caller, Desk
from bot.settings import Settings
from tests.support.cases import source_ids, write_cases
from tests.support.corpora import article


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    return write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> dict:
    assert main(argv) == code
    return json.loads(capsys.readouterr().out)


def _quoted(data: dict) -> set[str]:
    return {quote["source"]["id"] for quote in data["quotes"]}


def test_cases_lists_each_case(cases: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpus", str(cases), "cases"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "Kessling v. Ardent Polymers", "De La Torre v. LinkedIn", "Okafor v. Parcelo"
    ]  # fmt: skip
    assert all("; latest: “" in line for line in lines)


def test_case_names_the_case_of_a_one_shot_question(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, ["--corpus", str(cases), "--case", "parcelo", "ask", "who is the judge?", "--json"])
    assert data["case"] == "Okafor v. Parcelo"
    assert data["quotes"] and _quoted(data) <= source_ids(cases, "parcelo")
    # After the subcommand too, and by a name of the case.
    status = _json(capsys, ["status", "--corpus", str(cases), "--case", "the pfas case", "--json"])
    assert status["case"] == "Kessling v. Ardent Polymers"
    assert _quoted(status) <= source_ids(cases, "kessling")


def test_a_one_shot_question_naming_a_party_finds_its_case(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, ["--corpus", str(cases), "ask", "what did Parcelo say about the tips?", "--json"])
    assert data["case"] == "Okafor v. Parcelo"
    assert data["quotes"] and _quoted(data) <= source_ids(cases, "parcelo")


def test_without_a_case_several_cases_are_a_clear_error(
    cases: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--corpus", str(cases), "status"]) == 1
    err = capsys.readouterr().err
    assert "holds several cases: name one with --case ID" in err
    assert "The cases: kessling, linkedin, parcelo" in err and "Traceback" not in err
    assert main(["--corpus", str(cases), "--case", "nosuch", "timeline"]) == 1
    assert "there is no case 'nosuch'" in capsys.readouterr().err


def test_add_goes_into_the_case_named(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "saved.md"
    saved.write_text(article(title="Couriers win a ruling", outlet="Tip Times",
                             url="https://tip-times.example/ruling", published="2025-09-01",
                             paragraphs=["A judge ruled for the couriers in the tips case."]))  # fmt: skip
    assert main(["--corpus", str(cases), "add", str(saved), "--yes"]) == 1  # which case?
    assert "name one with --case ID" in capsys.readouterr().err
    assert main(["--corpus", str(cases), "--case", "parcelo", "add", str(saved), "--yes"]) == 0
    assert "saved" in source_ids(cases, "parcelo")
    assert "saved" not in source_ids(cases, "linkedin")


def test_chat_asks_which_case_by_number_and_use_chooses_the_consoles_case(
    cases: Path, make_settings: Callable[..., Settings]
) -> None:
    out = io.StringIO()
    lines = io.StringIO(
        "who is the judge?\n3\n"  # 1 kessling, 2 linkedin, 3 parcelo
        "who is the judge?\n9\n"  # not a choice: nothing asked
        "use kessling\nwho is the judge?\n"
    )
    assert _chat(make_settings(corpus_dir=cases), lines, out) == 0
    text = out.getvalue()
    chooser, rest = text.split("Which case do you mean?", 1)[1].split("Answer with its number or its id.", 1)
    assert "1. Kessling v. Ardent Polymers (kessling)" in chooser
    answered, after = rest.split("Which case do you mean?", 1)
    assert answered.lstrip().startswith("Case: Okafor v. Parcelo")
    assert "That is not one of the cases listed; the question was not asked." in after
    used, last = after.split("This channel's case is now Kessling v. Ardent Polymers (kessling)", 1)
    assert last.split("\n\n", 1)[1].lstrip().startswith("Case: Kessling v. Ardent Polymers")


def test_report_takes_a_case(
    cases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    database = tmp_path / "r.db"

    async def ask_once() -> None:
        desk = await Desk.open(Settings(_env_file=None, corpus_dir=cases, db_path=database))
        try:
            await desk.handle("ask parcelo: who is the judge?", Caller("console", "c", True))
        finally:
            await desk.close()

    asyncio.run(ask_once())
    monkeypatch.setenv("CASEBOT_DB_PATH", str(database))
    total = _json(capsys, ["--corpus", str(cases), "report", "--json"])
    assert [c["case"] for c in total["cases"]] == ["parcelo"]
    one = _json(capsys, ["--corpus", str(cases), "--case", "kessling", "report", "--json"])
    assert one["case"] == "kessling" and one["answered"] + one["declined"] == 0
