"""A real, non-editable `pip install .` answers from the bundled corpus with no setting.

The image and `pip install .` don't have the repository's corpus/ beside the code, so the
articles must travel in the wheel. Built offline: a fresh virtualenv borrows this one's
packages (pip, setuptools and casebot's dependencies) through a .pth file, and pip installs
casebot alone into it with --no-deps --no-build-isolation --no-index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# What a wheel is built from (as the Dockerfile copies it).
_SOURCES = ("pyproject.toml", "README.md", "casebot.py", "bot", "retrieval", "corpus")


def _bin(environment: Path, name: str) -> str:
    return str(environment / "bin" / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with casebot installed from a copy of the sources; its path."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in _SOURCES:
        copy = shutil.copytree if (REPO_ROOT / name).is_dir() else shutil.copy2
        copy(REPO_ROOT / name, source / name)
    environment = root / "venv"
    venv.create(environment, with_pip=False)
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = subprocess.run(
        [_bin(environment, "python"), "-c", where],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [_bin(environment, "python"), "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-index", str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    # The sources go, so nothing can be read from them by accident.
    shutil.rmtree(source)
    return environment


def _casebot(environment: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # As `docker run --env-file .env` with .env.example's `CASEBOT_CORPUS_DIR=` does it.
    ours = ("CASEBOT_", "SLACK_", "DISCORD_", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["CASEBOT_CORPUS_DIR"] = ""
    return subprocess.run(
        [_bin(environment, "casebot"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_installed_casebot_is_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    where = "import bot.query_settings as q; print(q.__file__, q.BUNDLED_CORPUS_DIR)"
    located = subprocess.run(
        [_bin(installed, "python"), "-c", where],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    module, corpus = (Path(p) for p in located)
    assert module.is_relative_to(installed) and corpus.is_relative_to(installed)
    assert sorted(p.name for p in corpus.glob("*.md")) == sorted(
        p.name for p in (REPO_ROOT / "corpus").glob("*.md")
    )


@pytest.mark.slow
def test_installed_casebot_answers_from_the_bundled_corpus(
    installed: Path, tmp_path: Path
) -> None:
    result = _casebot(installed, "ask", "How much are plaintiffs asking per user?", "--json",
                      cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["kind"] == "answer" and answer["quotes"]
    assert "$1,000" in " ".join(quote["text"] for quote in answer["quotes"])

    sources = json.loads(_casebot(installed, "sources", "--json", cwd=tmp_path).stdout)
    articles = [p for p in (REPO_ROOT / "corpus").glob("*.md") if p.name != "README.md"]
    assert len(sources["sources"]) == len(articles)


def test_installed_casebot_reports_its_version(installed: Path, tmp_path: Path) -> None:
    from bot import __version__

    result = _casebot(installed, "--version", cwd=tmp_path)
    assert result.stdout.strip() == f"casebot {__version__}"



def test_installed_casebot_is_typed_runs_as_a_module_and_says_what_it_is(
    installed: Path, tmp_path: Path
) -> None:
    script = (
        "import importlib.metadata as m, importlib.resources as r, json;"
        "meta = m.metadata('casebot');"
        "print(json.dumps({'typed': [r.files(p).joinpath('py.typed').is_file()"
        " for p in ('bot', 'retrieval')], 'license': meta['License-Expression'],"
        " 'classifiers': meta.get_all('Classifier'), 'author': meta['Author']}))"
    )
    shown = subprocess.run(
        [_bin(installed, "python"), "-c", script], cwd=tmp_path, capture_output=True,
        text=True, check=True, timeout=60,
    )  # fmt: skip
    facts = json.loads(shown.stdout)
    assert facts["typed"] == [True, True]  # PEP 561
    assert facts["license"] == "LicenseRef-Proprietary"
    assert "Typing :: Typed" in facts["classifiers"] and facts["author"]
    module = subprocess.run(
        [_bin(installed, "python"), "-m", "casebot", "--version"], cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert module.returncode == 0 and module.stdout.startswith("casebot ")
