"""The layout of a corpus directory (bot/cases.py): one case or a folder per case, case.toml,
content hashes, and `casebot validate` naming the case and file of each problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cases import content_hash, read_layout, single_id
from bot.cli import main
from tests.support.cases import write_cases
from tests.support.corpora import SMALL_CORPUS


def test_a_directory_of_articles_is_one_case_named_after_it(small_corpus_dir: Path) -> None:
    layout = read_layout(small_corpus_dir)
    (case,) = layout.cases
    assert not layout.several and layout.problems == ()
    assert (case.id, case.name, case.directory) == ("corpus", "corpus", small_corpus_dir)


def test_articles_at_the_top_keep_a_directory_one_case_whatever_folders_it_has(
    make_corpus: Callable[..., Path],
) -> None:
    corpus = make_corpus(SMALL_CORPUS)
    (corpus / "images").mkdir()
    layout = read_layout(corpus)
    assert not layout.several and [c.id for c in layout.cases] == ["corpus"]


def test_folders_without_articles_at_the_top_are_one_case_each(tmp_path: Path) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))
    (corpus / ".removed").mkdir()  # hidden: never a case
    (corpus / "README.md").write_text("# The cases\n")
    layout = read_layout(corpus)
    assert layout.several
    assert [c.id for c in layout.cases] == ["kessling", "linkedin", "parcelo"]
    kessling = layout.case("kessling")
    assert kessling is not None
    assert kessling.name == "Kessling v. Ardent Polymers"
    assert kessling.description.startswith("A city sues")
    assert kessling.aliases == ("the pfas case",)
    # "X v. Y" names both parties; case.toml adds more.
    assert kessling.parties == ("Kessling", "Ardent Polymers", "Calloway Industries")


def test_a_case_without_case_toml_is_called_by_its_id(tmp_path: Path) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo"))
    (corpus / "parcelo" / "case.toml").unlink()
    parcelo = read_layout(corpus).case("parcelo")
    assert parcelo is not None and (parcelo.name, parcelo.aliases, parcelo.parties) == (
        "parcelo", (), ()
    )  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('name = "Unclosed', "is not valid TOML"),
        ('name = "A"\nnickname = "B"\n', "unknown key “nickname”"),
        ("name = 3\n", "“name” must be a text"),
        ('aliases = "linkedin"\n', "“aliases” must be a list of texts"),
        ('aliases = ["ok", ""]\n', "“aliases” must be a list of texts"),
    ],
)
def test_a_broken_case_toml_names_its_case_and_file_and_only_that_case_is_left_out(
    tmp_path: Path, toml: str, problem: str
) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo"))
    (corpus / "parcelo" / "case.toml").write_text(toml)
    layout = read_layout(corpus)
    assert [c.id for c in layout.cases] == ["linkedin"]
    (found,) = layout.problems
    assert found.case == "parcelo" and str(found).startswith("parcelo/case.toml: ")
    assert problem in found.message


def test_folder_names_that_cannot_be_typed_are_not_cases(tmp_path: Path) -> None:
    corpus = write_cases(tmp_path, ("linkedin",))
    (corpus / "My Case").mkdir()
    (corpus / "all").mkdir()
    layout = read_layout(corpus)
    assert [c.id for c in layout.cases] == ["linkedin"]
    assert {p.case for p in layout.problems} == {"My Case", "all"}
    assert all(str(p).startswith(f"{p.case}/: ") for p in layout.problems)


def test_a_name_two_cases_share_is_noted(tmp_path: Path) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo"))
    (corpus / "parcelo" / "case.toml").write_text('aliases = ["the inmail case"]\n')
    (note,) = read_layout(corpus).notes
    assert "“inmail case”" in note or "“the inmail case”" in note
    assert "linkedin, parcelo" in note


def test_the_content_hash_changes_with_an_article_only(tmp_path: Path) -> None:
    corpus = write_cases(tmp_path, ("linkedin",))
    folder = corpus / "linkedin"
    before = content_hash(folder)
    (folder / "case.toml").write_text('name = "Renamed"\n')  # read again, no rebuild
    (folder / "notes.txt").write_text("not an article")
    assert content_hash(folder) == before
    article = next(folder.glob("*.md"))
    article.write_text(article.read_text() + "\nOne more line.\n")
    assert content_hash(folder) != before


def test_a_single_case_id_is_the_directory_name_made_plain(tmp_path: Path) -> None:
    assert single_id(tmp_path / "De La Torre (2025)") == "de-la-torre-2025"
    assert single_id(tmp_path / "???") == "case"


# --- casebot validate --------------------------------------------------------------------


def test_validate_checks_every_case_and_names_the_case_and_file_of_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))
    (corpus / "parcelo" / "broken.md").write_text("no front matter\n")
    (corpus / "kessling" / "case.toml").write_text("name = \n")
    assert main(["validate", str(corpus)]) == 1
    captured = capsys.readouterr()
    assert "linkedin (De La Torre v. LinkedIn):" in captured.out
    assert "5 articles" in captured.out
    assert "parcelo/broken.md: has no front matter" in captured.err
    assert "kessling/case.toml: is not valid TOML" in captured.err


def test_validate_of_sound_cases_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = write_cases(tmp_path, ("linkedin", "parcelo"))
    assert main(["validate", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{corpus}: 2 cases.")
    assert "parcelo (Okafor v. Parcelo):" in out
