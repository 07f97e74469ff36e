"""The quick reader of one-shot queries' settings agrees with `Settings` wherever it answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.query_settings import BUNDLED_CORPUS_DIR, read_query_settings
from bot.settings import Settings


@pytest.mark.parametrize(
    "value", ["3", "12", " 3 ", "3.0", "+3", "1_0", "0", "-1", "x", "٣", "007"]
)
def test_max_quotes_is_what_settings_says_or_left_to_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CASEBOT_MAX_QUOTES", value)
    quick = read_query_settings()
    try:
        expected: int | None = Settings().max_quotes
    except ValueError:
        expected = None
    # None from the quick reader hands the value to Settings; it never contradicts it.
    assert quick is None or quick.max_quotes == expected
    if value in ("3", "12", "007"):
        assert quick is not None


@pytest.mark.parametrize(
    ("dotenv", "environment", "expected"),
    [
        ("", {}, BUNDLED_CORPUS_DIR),
        # .env.example's `CASEBOT_CORPUS_DIR=`, and `docker run --env-file` passing it on.
        ("CASEBOT_CORPUS_DIR=\n", {"CASEBOT_CORPUS_DIR": ""}, BUNDLED_CORPUS_DIR),
        ("CASEBOT_CORPUS_DIR=from-dotenv\n", {}, Path("from-dotenv")),
        ("CASEBOT_CORPUS_DIR=from-dotenv\n", {"CASEBOT_CORPUS_DIR": ""}, Path("from-dotenv")),
        ("CASEBOT_CORPUS_DIR=from-dotenv\n", {"casebot_corpus_dir": "env"}, Path("env")),
        ('CASEBOT_CORPUS_DIR="quoted dir"  # comment\n', {}, Path("quoted dir")),
        ("CASEBOT_CORPUS_DIR\n", {}, BUNDLED_CORPUS_DIR),
    ],
)
def test_corpus_dir_is_read_from_the_same_places(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    dotenv: str,
    environment: dict[str, str],
    expected: Path,
) -> None:
    # The working directory is tmp_path (conftest), so .env here is the one both read.
    (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    quick = read_query_settings()
    assert quick is not None
    assert quick.corpus_dir == Settings().corpus_dir == expected


def test_a_one_shot_query_loads_none_of_the_serving_machinery(tmp_path: Path) -> None:
    # What keeps `casebot ask` quick (README: Benchmark): checked by what is imported,
    # not by timing.
    code = (
        "import sys\n"
        "from bot.cli import main\n"
        "assert main(['ask', 'Who is suing LinkedIn?']) == 0\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = set(result.stderr.split())
    assert "retrieval" in loaded
    serving = {"asyncio", "aiosqlite", "prometheus_client", "slack_bolt", "slack_sdk",
               "discord", "aiohttp", "pydantic", "pydantic_settings"}  # fmt: skip
    assert loaded & serving == set()
