"""Corpora of several cases for the tests: three real-looking lawsuits, or fifty small ones.

`write_cases` lays out `corpus/<case>/` folders with a case.toml each, from the bundled
case (De La Torre v. LinkedIn) and the two made-up lawsuits of tests/retrieval/cases/
(couriers suing Parcelo, a city suing Ardent Polymers): three cases whose articles all
talk of lawsuits, plaintiffs, filings and judges, so a question answered from the wrong
case would find words to quote there. `write_fifty` lays out fifty small made-up cases.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from bot.docket import Docket, load
from bot.queries import load_index
from retrieval.corpus import is_article_file
from tests.support.corpora import REPO_ROOT, SEED_CORPUS_DIR, article

_CASES_DIR = REPO_ROOT / "tests" / "retrieval" / "cases"

# case id -> (where its articles are, its case.toml)
CASES: dict[str, tuple[Path, str]] = {
    "linkedin": (
        SEED_CORPUS_DIR,
        'name = "De La Torre v. LinkedIn"\n'
        'description = "Premium InMail messages said to train AI (N.D. Cal., 2025)"\n'
        'aliases = ["the inmail case"]\n',
    ),
    "parcelo": (
        _CASES_DIR / "couriers-v-parcelo" / "corpus",
        'name = "Okafor v. Parcelo"\n'
        'description = "Couriers say the delivery app kept their tips"\n'
        'aliases = ["the tips case"]\n',
    ),
    "kessling": (
        _CASES_DIR / "kessling-v-ardent" / "corpus",
        'name = "Kessling v. Ardent Polymers"\n'
        'description = "A city sues a chemical maker over PFAS in its wells"\n'
        'aliases = ["the pfas case"]\n'
        'parties = ["Calloway Industries"]\n',
    ),
}


def write_cases(root: Path, ids: Iterable[str] = ("linkedin", "parcelo")) -> Path:
    """A corpus directory under `root` with a folder (and case.toml) per case in `ids`."""
    corpus = root / "cases"
    for case_id in ids:
        source, toml = CASES[case_id]
        folder = corpus / case_id
        folder.mkdir(parents=True)
        for path in source.iterdir():
            if is_article_file(path.name):
                shutil.copy(path, folder / path.name)
        (folder / "case.toml").write_text(toml, encoding="utf-8")
    return corpus


def write_fifty(root: Path, count: int = 50) -> Path:
    """`count` small made-up cases, "case-00" … "case-49", each suing its own company
    ("Plaintiff 7 v. Company 7") in two short articles."""
    corpus = root / "fifty"
    for n in range(count):
        folder = corpus / f"case-{n:02d}"
        folder.mkdir(parents=True)
        company = f"Company{n:02d}"
        (folder / "case.toml").write_text(
            f'name = "Plaintiff{n:02d} v. {company}"\n', encoding="utf-8"
        )
        for m, day in enumerate(("2025-01-10", "2025-02-14")):
            (folder / f"report-{m}.md").write_text(
                article(
                    title=f"{company} sued, report {m}",
                    outlet=f"Outlet {n:02d}",
                    url=f"https://outlet{n:02d}.example/{m}",
                    published=day,
                    paragraphs=[
                        f"Plaintiff{n:02d} filed a lawsuit against {company} in federal court, "
                        f"accusing it of breaking its promises to customers.",
                        f"{company} said the claims in case {n:02d} have no merit.",
                    ],
                ),
                encoding="utf-8",
            )
    return corpus


def source_ids(corpus: Path, case_id: str) -> set[str]:
    """The source ids of one case's articles (its files' names without the extension)."""
    return {path.stem for path in (corpus / case_id).iterdir() if is_article_file(path.name)}


async def loaded_docket(directory: Path) -> Docket:
    """The cases in `directory`, loaded as the desk loads them at start."""

    async def build(folder: Path):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(load_index, folder)

    return (await load(directory, build=build))[0]


def case_urls(corpus: Path, case_id: str) -> set[str]:
    """The URLs of one case's articles, from their front matter."""
    urls = set()
    for path in (corpus / case_id).iterdir():
        if is_article_file(path.name):
            front = path.read_text(encoding="utf-8").split("+++")[1]
            urls |= set(re.findall(r'^url = "([^"]+)"', front, re.MULTILINE))
    return urls


def urls_in(payload: object) -> set[str]:
    """Every http(s) URL a rendered message links to (its JSON, Slack's <url|label> or
    Discord's [label](url) included)."""
    return set(re.findall(r"https?://[^\s|>)\"\\]+", json.dumps(payload, ensure_ascii=False)))


def docket_of(directory: Path) -> Docket:
    """`loaded_docket`, for a test that is not a coroutine (blocking)."""
    return asyncio.run(loaded_docket(directory))
