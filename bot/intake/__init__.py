"""Adding a source to the corpus by URL or file, and removing one (issue 12).

    address.py  which hosts may be fetched from (SSRF policy)
    fetch.py    the bounded, checked HTTP fetch
    extract.py  a web page's article text and metadata (trafilatura, htmldate)
    pdf.py      a court filing's text (pypdf)
    writer.py   the corpus file: front matter, name, duplicates, writing, removing
    timer.py    the time limit on reading a document
    worker.py   `prepare` in a child process of its own: killable, lower priority, no secrets

`prepare` does everything but write, so the command line and chat can show a preview and
ask first; `commit` writes what was prepared. Both raise `IntakeError` with one sentence.
`casebot add` and `/case add` run `prepare` through `worker`, never in the serving process.
Needs the `intake` extra (httpx, trafilatura, pypdf); `missing_dependencies` says when not.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.intake.draft import Extracted, paragraphs_of
from bot.intake.errors import IntakeError

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["Draft", "IntakeError", "Options", "commit", "missing_dependencies", "prepare"]

_FILE_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "text", ".md": "text"}
_PREVIEW_CHARS = 400


@dataclass(frozen=True, slots=True)
class Options:
    """How sources are fetched and read: CASEBOT_FETCH_PRIVATE, _TIMEOUT and _MAX_BYTES,
    and CASEBOT_EXTRACT_TIMEOUT."""

    allow_private: bool = False
    # Seconds for the whole fetch (every redirect, connect, header and body read).
    timeout: float = 15.0
    # The largest body, on the wire and unpacked, and the most text a document may yield.
    max_bytes: int = 10 * 1024 * 1024
    # Seconds to read the article out of what was fetched (a hostile PDF can take hours).
    extract_timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        """The options casebot's settings set."""
        return cls(
            allow_private=settings.fetch_private,
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            extract_timeout=settings.extract_timeout,
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """A source ready to be written: what was found, the file's name and its text."""

    extracted: Extracted
    name: str
    text: str
    url: str | None

    @property
    def front_matter(self) -> dict[str, object]:
        """The front matter of the text that would be written."""
        from bot.intake.writer import split_front_matter

        return split_front_matter(self.text)[0]

    def preview(self) -> tuple[str, ...]:
        """The preview lines: the fields, the paragraph count, the first two paragraphs and
        anything the admin should know.

        Read back from the text that would be written, not from what extraction found, so
        the admin approves exactly the file.
        """
        from bot.intake.writer import split_front_matter

        meta, body = split_front_matter(self.text)
        paragraphs = paragraphs_of(tuple(b.strip() for b in body.split("\n\n") if b.strip()))
        published, updated = meta.get("published"), meta.get("updated")
        lines = [
            f"Title: {meta.get('title') or '(none found)'}",
            f"Outlet: {meta.get('outlet') or '(none found)'}",
            f"Published: {published or 'undated'}" + (f", updated {updated}" if updated else ""),
            f"Author: {meta.get('author') or '(none found)'}",
            f"Kind: {meta.get('kind', 'article')}",
            f"Paragraphs: {len(paragraphs)}",
        ]
        e = self.extracted
        for paragraph in paragraphs[:2]:
            cut = len(paragraph) > _PREVIEW_CHARS
            shown = paragraph[: _PREVIEW_CHARS - 1] + "…" if cut else paragraph
            lines.append(f"> {shown}")
        lines.extend(f"Note: {note}" for note in e.notes)
        lines.append(f"File: {self.name}")
        return tuple(lines)


def missing_dependencies() -> str | None:
    """A sentence naming what to install when the `intake` extra is missing, else None."""
    missing = [
        name
        for name in ("httpx", "trafilatura", "lxml_html_clean", "pypdf", "tomli_w")
        if importlib.util.find_spec(name) is None
    ]
    if not missing:
        return None
    return (
        f"adding articles needs {', '.join(missing)}: install casebot with the intake extra "
        "(pip install 'casebot[intake]')."
    )


def prepare(source: str, corpus_dir: Path, options: Options, **fetch_args: object) -> Draft:
    """Fetch or read `source`, extract it, and check it against the corpus; write nothing.

    A fetched page is always read as an article, whatever it holds: TOML front matter in a
    body served from the web is text, never metadata (or any page could name its outlet
    and date). Only a local file in the corpus format is taken as it is.

    Args:
        source: an http(s):// URL, or a local .html, .htm, .pdf, .txt or .md file.
        corpus_dir: the corpus it would go into.
        options: the fetch settings.
        fetch_args: passed to `fetch.fetch` (tests inject a resolver and a transport).

    Raises:
        IntakeError: the one-sentence reason it cannot be added.
    """
    if (problem := missing_dependencies()) is not None:
        raise IntakeError(problem)
    if not corpus_dir.is_dir():
        raise IntakeError(f"the corpus directory {corpus_dir} does not exist.")
    url, kind, body, charset = _obtain(source, options, fetch_args)
    from bot.intake import writer
    from bot.intake.timer import time_limit

    corpus_format = kind == "text" and body.lstrip().startswith(b"+++")
    if corpus_format and url is None:
        return _corpus_file(Path(source), body, corpus_dir)
    with time_limit(options.extract_timeout, f"reading the {'PDF' if kind == 'pdf' else 'page'}"):
        extracted = _extract(kind, body, charset, url, options)
    if corpus_format and extracted.title is None:
        raise IntakeError(
            "the page is a corpus file: its front matter is read as text, never as the "
            "article's title, outlet or date (a page cannot vouch for those), and it has no "
            "title line. Save it, check it, and add the file instead."
        )

    # The address the page gives for itself (its canonical URL) is the one cited; the one
    # fetched and the one typed are checked for duplicates too.
    cited = extracted.url or url
    urls = [u for u in (cited, url, source if "://" in source else None) if u]
    duplicate = writer.find_duplicate(corpus_dir, urls=urls, blocks=extracted.blocks)
    if duplicate is not None:
        raise IntakeError(f"that article is already in the corpus, as {duplicate}.")
    name = writer.file_name(extracted, corpus_dir)
    text = writer.render(extracted, url=cited)
    writer.check_file(text, name)
    return Draft(extracted=extracted, name=name, text=text, url=cited)


def commit(draft: Draft, corpus_dir: Path) -> Path:
    """Write `draft` into `corpus_dir`, checking for a duplicate once more (another admin
    may have added the same article since the preview)."""
    from bot.intake import writer

    duplicate = writer.find_duplicate(
        corpus_dir, urls=[draft.url] if draft.url else [], blocks=draft.extracted.blocks
    )
    if duplicate is not None:
        raise IntakeError(f"that article is already in the corpus, as {duplicate}.")
    return writer.write(corpus_dir, draft.name, draft.text)


def remove(corpus_dir: Path, source_id: str) -> Path:
    """Move an article out of the corpus (see `writer.remove`)."""
    from bot.intake import writer

    return writer.remove(corpus_dir, source_id)


def _corpus_file(path: Path, body: bytes, corpus_dir: Path) -> Draft:
    """A local file already in the corpus format: checked and copied as it is, its line
    endings made Unix ones (as every file casebot writes has)."""
    from bot.intake import writer
    from retrieval.corpus import is_article_file

    text = writer.unix_lines(body.decode("utf-8", errors="replace"))
    taken = (corpus_dir / path.name).exists() or (corpus_dir / writer.REMOVED_DIR / path.name).exists()
    name = path.name if is_article_file(path.name) and not taken else None
    writer.check_file(text, path.name)
    meta, rest = writer.split_front_matter(text)
    blocks = tuple(p.strip() for p in rest.split("\n\n") if p.strip())
    url = meta.get("url") if isinstance(meta.get("url"), str) else None
    extracted = Extracted(
        title=meta.get("title"), outlet=meta.get("outlet"), author=meta.get("author"),  # type: ignore[arg-type]
        published=meta.get("published"), updated=meta.get("updated"), url=url,  # type: ignore[arg-type]
        blocks=blocks, kind=str(meta.get("kind", "article")),
    )  # fmt: skip
    duplicate = writer.find_duplicate(corpus_dir, urls=[url] if url else [], blocks=blocks)
    if duplicate is not None:
        raise IntakeError(f"that article is already in the corpus, as {duplicate}.")
    return Draft(
        extracted=extracted, name=name or writer.file_name(extracted, corpus_dir), text=text, url=url
    )


def _obtain(
    source: str, options: Options, fetch_args: dict[str, object]
) -> tuple[str | None, str, bytes, str | None]:
    """(url, kind, body, charset) of a URL or a local file."""
    source = source.strip()
    if "://" in source or source.lower().startswith(("http:", "https:")):
        from bot.intake.fetch import fetch

        fetched = fetch(
            source,
            allow_private=options.allow_private,
            timeout=options.timeout,
            max_bytes=options.max_bytes,
            **fetch_args,  # type: ignore[arg-type]
        )
        return fetched.url, fetched.kind, fetched.body, fetched.charset
    path = Path(source).expanduser()
    kind = _FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise IntakeError(
            f"{path.name} is neither an http(s):// URL nor a .html, .pdf, .txt or .md file."
        )
    return None, kind, _read_file(path, source, options.max_bytes), None


def _read_file(path: Path, source: str, max_bytes: int) -> bytes:
    """A regular file's bytes, at most `max_bytes`.

    Opened without blocking and checked before reading: a FIFO would wait for a writer
    forever, and /dev/zero (or a link to it) has no end while its size says 0.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise IntakeError(f"there is no file {source}.") from None
    except IsADirectoryError:
        raise IntakeError(f"{source} is a directory, not a file.") from None
    except OSError as error:
        raise IntakeError(f"{source} cannot be read ({error.strerror or error}).") from None
    with open(fd, "rb", closefd=True) as file:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise IntakeError(f"{source} is a directory, not a file.")
        if not stat.S_ISREG(status.st_mode):
            raise IntakeError(
                f"{path.name} is not a regular file (a device, a pipe or a socket); "
                "casebot adds only files."
            )
        if status.st_size > max_bytes:
            raise IntakeError(
                f"{path.name} is {status.st_size:,} bytes; casebot adds at most {max_bytes:,}."
            )
        try:
            data = file.read(max_bytes + 1)
        except OSError as error:
            raise IntakeError(f"{source} cannot be read ({error.strerror or error}).") from None
    if len(data) > max_bytes:  # it grew since
        raise IntakeError(f"{path.name} is more than {max_bytes:,} bytes; casebot adds at most that.")
    return data


def _extract(
    kind: str, body: bytes, charset: str | None, url: str | None, options: Options
) -> Extracted:
    if kind == "pdf":
        from bot.intake.pdf import extract_pdf

        return extract_pdf(body, max_bytes=options.max_bytes)
    from bot.intake.extract import decode_html, extract_html, extract_text

    text = decode_html(body, charset)
    if kind == "html":
        return extract_html(text, url)
    return extract_text(text)
