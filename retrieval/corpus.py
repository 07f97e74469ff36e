"""Loading the article corpus: Markdown files with TOML front matter, checked strictly.

Each `*.md` file in the corpus directory (except README.md and hidden files: the rule is
`is_article_file`, which everything else that looks at the directory uses too) is one
article:

    +++
    title = "..."            # string; title or outlet is required
    outlet = "..."           # string
    url = "https://..."      # string, http:// or https://
    published = 2025-01-22   # TOML date, optional
    updated = 2025-01-30     # TOML date, optional, not before published
    author = "..."           # string, optional
    kind = "filing"          # "article" (the default) or "filing", optional
    +++
    Body: paragraphs separated by blank lines; "# " lines are section headings.

The loader is all-or-nothing: one bad file fails the whole load, so a reload never serves a
half-updated corpus. It reports every problem in every file at once, so whoever edits the
corpus fixes them in one pass instead of one per reload.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from retrieval.errors import CorpusError
from retrieval.model import Article, Corpus, Passage, Source
from retrieval.language.sentences import split_sentences
from retrieval.updates import NoticeDateError, parse_notice, resolve_notice_date

MAX_FILE_BYTES = 2 * 1024 * 1024
# Blocks longer than this are cut at sentence ends, so a quote stays focused.
MAX_PASSAGE_CHARS = 700
FIELDS = ("title", "outlet", "url", "published", "updated", "author", "kind")
_TEXT_FIELDS = frozenset({"title", "outlet", "url", "author"})
# What a source is: a news article (the default), or a court filing (`casebot add` of a PDF).
KINDS = ("article", "filing")
_MAX_HEADING_LEVEL = 6
_TOML_LINE = re.compile(r"\(at line (\d+)")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the corpus.

    Args:
        file: the article file's name, or the directory for problems with the directory.
        message: what is wrong, in plain words.
    """

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class _TimeLimit:
    """The time a load may take: `check` raises `_TooSlow` once it has passed."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise _TooSlow


class _TooSlow(Exception):
    """The load went past its time limit."""


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    date: date | None
    heading: str | None


# What reading one file yields before passages are numbered: source, blocks, fingerprint.
_Read = tuple[Source, list[_Block], str]


def load_corpus(
    directory: str | os.PathLike[str], *, time_limit: float | None = None
) -> Corpus:
    """Load and check every article in `directory`.

    Args:
        directory: the corpus directory.
        time_limit: seconds the load may take; past them it stops, and the problem names
            the file it was reading. None: no limit.

    Returns:
        The corpus, with passages numbered across articles in file-name order.

    Raises:
        CorpusError: with every problem found, if there is any.
    """
    corpus, problems = validate_corpus(directory, time_limit=time_limit)
    if problems or corpus is None:
        raise CorpusError(problems)
    return corpus


def validate_corpus(
    directory: str | os.PathLike[str], *, time_limit: float | None = None
) -> tuple[Corpus | None, tuple[Problem, ...]]:
    """Check the corpus in `directory` without raising.

    Args:
        directory: the corpus directory.
        time_limit: as for `load_corpus`.

    Returns:
        (corpus, ()) when it is sound, else (None, every problem found).
    """
    given = Path(directory)
    if not given.exists():
        return None, (Problem(str(directory), "the corpus directory does not exist"),)
    if not given.is_dir():
        return None, (Problem(str(directory), "is not a directory"),)
    root = given.resolve()
    paths = sorted(
        (p for p in root.iterdir() if is_article_file(p.name)), key=lambda p: p.name
    )
    if not paths:
        return None, (Problem(str(directory), "has no article files (*.md besides README.md)"),)

    problems: list[Problem] = []
    read: list[_Read] = []
    limit = _TimeLimit(time_limit)
    for path in paths:
        try:
            article, messages = _read_article(path, root, limit)
        except _TooSlow:
            message = (
                f"loading the corpus took longer than its time limit of {limit.seconds:g} s "
                "and was stopped while reading this file"
            )
            return None, (*problems, Problem(path.name, message))
        except Exception as error:  # noqa: BLE001 - reported as this file's problem
            # Whatever a file does to the loader, the problem names the file.
            article, messages = None, [f"could not be read ({type(error).__name__}: {error})"]
        problems.extend(Problem(path.name, message) for message in messages)
        if article is not None:
            read.append(article)
    if problems:
        return None, tuple(problems)

    articles: list[Article] = []
    next_id = 0
    for source, blocks, fingerprint in read:
        passages = tuple(
            Passage(
                id=next_id + position,
                source_id=source.id,
                position=position,
                text=block.text,
                date=block.date,
                sentences=tuple(split_sentences(block.text)),
                heading=block.heading,
            )
            for position, block in enumerate(blocks)
        )
        next_id += len(passages)
        articles.append(Article(source=source, passages=passages, fingerprint=fingerprint))
    corpus = Corpus(articles=tuple(articles), loaded_at=datetime.now(UTC), directory=str(root))
    return corpus, ()


def is_article_file(name: str) -> bool:
    """Whether a file named `name` in the corpus directory is an article: the one rule.

    Articles are the *.md files, except README.md (any case) and hidden files, which are
    editors' scratch copies (and the intake's half-written ones), never articles.
    """
    return name.endswith(".md") and name.lower() != "readme.md" and not name.startswith(".")


def _read_article(
    path: Path, root: Path, limit: _TimeLimit
) -> tuple[_Read | None, list[str]]:
    """Read and check one article file; returns what it yields (None if bad) and problems.

    Messages never carry an absolute path: they are shown in chat (reload reports), where
    the file's name within the corpus directory says all that is needed.
    """
    limit.check()
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        # A symbolic link loop: Python 3.11 raises RuntimeError, later versions OSError.
        return None, ["is a symbolic link that cannot be followed (a loop)"]
    if not target.is_relative_to(root):
        return None, ["is a symbolic link to a file outside the corpus directory"]
    if not target.is_file():
        return None, ["is not a regular file (a directory or a broken link)"]
    try:
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            megabytes = size / 1024 / 1024
            return None, [
                f"is {megabytes:.1f} MB ({size} bytes); an article file may be at most 2 MB"
            ]
        data = target.read_bytes()
    except OSError as error:
        return None, [f"cannot be read: {error.strerror or error}"]

    if not data.strip():
        return None, ["is empty"]
    if (nul := data.find(b"\0")) >= 0:
        return None, [f"contains a NUL byte at byte offset {nul}: it is binary, not UTF-8 text"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [
            f"is not UTF-8 text: byte 0x{data[error.start]:02x} at byte offset {error.start} "
            f"is not valid UTF-8 ({error.reason})"
        ]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")

    lines = text.split("\n")
    if lines[0].strip() != "+++":
        return None, ["has no front matter: the file must start with a line '+++'"]
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == "+++"), None)
    if close is None:
        return None, ["front matter is not closed: there is no second '+++' line"]
    try:
        meta = tomllib.loads("\n".join(lines[1:close]))
    except tomllib.TOMLDecodeError as error:
        return None, [f"front matter is not valid TOML: {_file_lines(str(error))}"]
    except RecursionError:
        return None, ["front matter is not valid TOML: its arrays or tables nest too deeply"]
    except ValueError as error:
        # tomllib lets int() fail on numbers of more than 4,300 digits.
        return None, [f"front matter is not valid TOML: {error}"]
    limit.check()

    fields, messages = _check_fields(meta)
    source = Source(id=path.stem, **fields)
    body = "\n".join(lines[close + 1 :])
    blocks, body_messages = _blocks(
        body, published=source.published, updated=source.updated, limit=limit
    )
    messages.extend(body_messages)
    if not body.strip():
        messages.append("has no article text after the front matter")
    elif not blocks:
        messages.append("has no article text after the front matter, only headings or notices")
    if messages:
        return None, messages
    return (source, blocks, hashlib.sha256(data).hexdigest()), []


def _file_lines(message: str) -> str:
    # tomllib counts lines from the start of the front matter; the file has "+++" above it.
    return _TOML_LINE.sub(lambda m: f"(at line {int(m.group(1)) + 1}", message)


def _check_fields(meta: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """The valid front-matter fields, and a message for each invalid one."""
    fields: dict[str, object] = {}
    messages: list[str] = []
    for key, value in meta.items():
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            messages.append(
                f"unknown field '{key}'{hint}; the allowed fields are {', '.join(FIELDS)}"
            )
        elif key == "kind":
            if value in KINDS:
                fields[key] = value
            else:
                messages.append(
                    f"field 'kind' must be one of {', '.join(repr(k) for k in KINDS)}, "
                    f"not {_describe(value)}"
                )
        elif key in _TEXT_FIELDS:
            message = _text_problem(key, value)
            if message is None:
                fields[key] = value
            else:
                messages.append(message)
        else:
            message = _date_problem(key, value)
            if message is None:
                fields[key] = value
            else:
                messages.append(message)
    if "title" not in meta and "outlet" not in meta:
        messages.append("the front matter needs a title or an outlet; it has neither")
    published, updated = fields.get("published"), fields.get("updated")
    if isinstance(published, date) and isinstance(updated, date) and updated < published:
        messages.append(f"updated ({updated}) is earlier than published ({published})")
    return fields, messages


def _text_problem(key: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"field '{key}' must be text in quotes, not {_describe(value)}"
    if not value.strip():
        return f"field '{key}' is empty"
    if key == "url" and not value.startswith(("http://", "https://")):
        return f"field 'url' must start with http:// or https:// (it is \"{value}\")"
    return None


def _date_problem(key: str, value: object) -> str | None:
    if isinstance(value, datetime):
        return (
            f"field '{key}' is a date and time ({value.isoformat()}); give only the date, "
            f"like {key} = {value.date().isoformat()}"
        )
    if isinstance(value, date):
        return None
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            return (
                f"field '{key}' is the string \"{value}\", which is not a valid date; "
                f"write a date like {key} = 2025-01-22 (no quotes)"
            )
        return (
            f"field '{key}' is the string \"{value}\"; write the date without quotes: "
            f"{key} = {parsed.isoformat()}"
        )
    return f"field '{key}' must be a date like {key} = 2025-01-22, not {_describe(value)}"


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"a true/false value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, datetime):
        return f"a date and time ({value.isoformat()})"
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return f"the text \"{value}\""
    return f"a {type(value).__name__}"


def _blocks(
    body: str, *, published: date | None, updated: date | None, limit: _TimeLimit
) -> tuple[list[_Block], list[str]]:
    """Cut the body into dated passage texts under their headings; also report bad notices."""
    blocks: list[_Block] = []
    messages: list[str] = []
    current = published
    heading: str | None = None
    pending: list[str] = []

    def flush() -> None:
        # Blocks keep their text verbatim except that any run of whitespace becomes one space.
        text = " ".join(" ".join(pending).split())
        pending.clear()
        blocks.extend(_Block(piece, current, heading) for piece in _pieces(text) if piece)

    for raw in body.split("\n"):
        limit.check()
        # Runs of whitespace are one space in a passage anyway; folded first, no line can
        # make a pattern below backtrack over a long run of them.
        line = " ".join(raw.split())
        if not line:
            flush()
        elif (found := _heading(line)) is not None:
            flush()
            heading = found or None
        elif notice := parse_notice(line):
            flush()
            try:
                current = resolve_notice_date(notice, published=published, updated=updated)
            except NoticeDateError as error:
                messages.append(str(error))
            else:
                if published is not None and current < published:
                    messages.append(
                        f"update notice '{notice.label}' dates to {current}, "
                        f"before the published date {published}"
                    )
            if notice.rest:
                pending.append(notice.rest)
        else:
            pending.append(line)
    flush()
    return blocks, messages


def _heading(line: str) -> str | None:
    """A Markdown heading's text ("" for a bare "#"), or None if `line` is not a heading.

    A heading is 1-6 "#", then nothing or whitespace and the text, and optionally closing
    "#"s. Read by hand, not by a regular expression: the obvious pattern backtracks
    quadratically on a line of many "#", which froze the bot on reload.
    """
    level = len(line) - len(line.lstrip("#"))
    if level == 0:
        return None
    rest = line[min(level, _MAX_HEADING_LEVEL) :]
    if not rest.strip("#"):
        return ""
    if not rest[0].isspace():
        return None  # "#hashtag", or more than six "#" before the text
    return rest.rstrip("#").strip()


def _pieces(text: str) -> list[str]:
    """Cut a long block at sentence ends into pieces of roughly equal length up to the max."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    spans = split_sentences(text)
    target = len(text) / math.ceil(len(text) / MAX_PASSAGE_CHARS)
    pieces: list[str] = []
    start, end = spans[0]
    for s, e in spans[1:]:
        # A single sentence longer than the max stays whole: never cut inside a sentence.
        if e - start > MAX_PASSAGE_CHARS or end - start >= target:
            pieces.append(text[start:end])
            start = s
        end = e
    pieces.append(text[start:end])
    return pieces
