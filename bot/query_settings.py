"""The two settings a one-shot query uses, read without pydantic; and the defaults they share.

`casebot ask` is run by hand and from scripts. Importing pydantic-settings to validate every
setting took longer than loading, indexing and answering together, yet a one-shot query
(ask, status, timeline, sources) uses only CASEBOT_CORPUS_DIR and CASEBOT_MAX_QUOTES. They
are read here from the same places `bot.settings.Settings` reads them (the environment over
`.env`, names in any case, an empty value meaning "not set"), and a value is taken only
when its meaning is plain: any path, or digits for a number of at least 1. For anything
else `read_query_settings` returns None and the caller asks `Settings`, which decides and
reports exactly as for every other command (tests/test_settings.py checks they agree).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Where both readers look for settings besides the environment.
ENV_FILE = ".env"
DEFAULT_MAX_QUOTES = 3

_DIGITS = re.compile(r"[0-9]+")


def _bundled_corpus_dir() -> Path:
    # A wheel (`pip install .`, the container image) carries the articles as package data
    # in bot/corpus/; a checkout, and an editable install of it, has them in corpus/ beside
    # bot/. Package data first: beside an installed bot/ lies site-packages.
    package = Path(__file__).resolve().parent
    installed = package / "corpus"
    return installed if installed.is_dir() else package.parent / "corpus"


# The articles shipped with casebot: what it serves unless told otherwise.
BUNDLED_CORPUS_DIR = _bundled_corpus_dir()


@dataclass(frozen=True, slots=True)
class QuerySettings:
    """What a one-shot query needs; the same attribute names as `Settings`."""

    corpus_dir: Path
    max_quotes: int


def read_query_settings(env_file: str | Path = ENV_FILE) -> QuerySettings | None:
    """CASEBOT_CORPUS_DIR and CASEBOT_MAX_QUOTES, or None when `Settings` must judge them."""
    values = _read_environment(Path(env_file))
    corpus_dir = values.get("casebot_corpus_dir")
    max_quotes = values.get("casebot_max_quotes", str(DEFAULT_MAX_QUOTES))
    if not _DIGITS.fullmatch(max_quotes) or int(max_quotes) < 1:
        return None
    return QuerySettings(
        corpus_dir=Path(corpus_dir) if corpus_dir is not None else BUNDLED_CORPUS_DIR,
        max_quotes=int(max_quotes),
    )


def env_file_problems(env_file: str | Path = ENV_FILE) -> list[str]:
    """The lines of `env_file` python-dotenv cannot read, each named by its number.

    python-dotenv (under pydantic-settings too) only warns about such a line and drops it,
    so `CASEBOT_MAX_QUOTES="3` would quietly mean the default. casebot refuses to start on
    one instead. A line is named by its number and its setting's name, never its value,
    which may be a secret.
    """
    path = Path(env_file)
    if not path.is_file():
        return []
    from dotenv.parser import parse_stream

    try:
        with path.open(encoding="utf-8") as stream:
            bindings = list(parse_stream(stream))
    except UnicodeDecodeError:
        return [f"{path} is not UTF-8 text"]
    except OSError as error:
        return [f"{path} cannot be read ({error.strerror or error})"]
    problems = []
    for binding in bindings:
        if binding.error:
            name = _SETTING_NAME.match(binding.original.string)
            setting = f" ({name.group(1)})" if name else ""
            problems.append(
                f"{path}, line {binding.original.line}{setting}: cannot be read (an unclosed "
                "quote?), so nothing on it would be used; fix or remove the line"
            )
    return problems


_SETTING_NAME = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def _read_environment(env_file: Path) -> dict[str, str]:
    """Lower-cased names to values: the environment over `env_file`, empty values left out."""
    values: dict[str, str] = {}
    if env_file.is_file():
        # The parser pydantic-settings uses, so quoting and comments mean the same.
        from dotenv import dotenv_values

        values.update(_set_only(dotenv_values(env_file)))
    # An empty variable leaves the .env value standing, as in pydantic-settings.
    values.update(_set_only(os.environ))
    return values


def _set_only(variables: Mapping[str, str | None]) -> dict[str, str]:
    # A name without a value (`NAME` alone in .env) is "not set" to pydantic-settings too.
    return {name.lower(): value for name, value in variables.items() if value}
