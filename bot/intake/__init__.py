"""Adding a source to the corpus by URL or file, and removing one (issue 12).

    address.py  which hosts may be fetched from (SSRF policy)
    fetch.py    the bounded, checked HTTP fetch
    extract.py  a web page's article text and metadata (trafilatura, htmldate)
    pdf.py      a court filing's text (pypdf)
    writer.py   the corpus file: front matter, name, duplicates, writing, removing

`prepare` does everything but write, so the command line and chat can show a preview and
ask first; `commit` writes what was prepared. Both raise `IntakeError` with one sentence.
Needs the `intake` extra (httpx, trafilatura, pypdf); `missing_dependencies` says when not.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from bot.intake.draft import Extracted
from bot.intake.errors import IntakeError

__all__ = ["Draft", "IntakeError", "Options", "commit", "missing_dependencies", "prepare"]

_FILE_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "text", ".md": "text"}
_PREVIEW_CHARS = 400


@dataclass(frozen=True, slots=True)
class Options:
    """How sources are fetched: CASEBOT_FETCH_PRIVATE, _TIMEOUT and _MAX_BYTES."""

    allow_private: bool = False
    timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Draft:
    """A source ready to be written: what was found, the file's name and its text."""

    extracted: Extracted
    name: str
    text: str
    url: str | None

    @property
    def front_matter(self) -> dict[str, object]:
        import tomllib

        return tomllib.loads(self.text.split("+++\n", 2)[1])

    def preview(self) -> tuple[str, ...]:
        """The preview lines: the fields, the paragraph count, the first two paragraphs and
        anything the admin should know."""
        e = self.extracted
        lines = [
            f"Title: {e.title or '(none found)'}",
            f"Outlet: {e.outlet or '(none found)'}",
            f"Published: {e.published.isoformat() if e.published else 'undated'}"
            + (f", updated {e.updated.isoformat()}" if e.updated else ""),
            f"Author: {e.author or '(none found)'}",
            f"Kind: {e.kind}",
            f"Paragraphs: {len(e.paragraphs)}",
        ]
        for paragraph in e.paragraphs[:2]:
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
        for name in ("httpx", "trafilatura", "lxml_html_clean", "pypdf")
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

    if kind == "text" and body.lstrip().startswith(b"+++"):
        return _corpus_file(Path(source), body, corpus_dir)
    extracted = _extract(kind, body, charset, url, options)

    urls = [u for u in (url, source if "://" in source else None) if u]
    duplicate = writer.find_duplicate(corpus_dir, urls=urls, blocks=extracted.blocks)
    if duplicate is not None:
        raise IntakeError(f"that article is already in the corpus, as {duplicate}.")
    name = writer.file_name(extracted, corpus_dir)
    text = writer.render(extracted, url=url)
    writer.check_file(text, name)
    return Draft(extracted=extracted, name=name, text=text, url=url)


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
    """A file already in the corpus format: checked and copied as it is."""
    from bot.intake import writer

    text = body.decode("utf-8", errors="replace")
    name = path.name if not (corpus_dir / path.name).exists() else None
    writer.check_file(text, path.name)
    meta, rest = writer.read_leniently(path)
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
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise IntakeError(f"{path.name} is {size:,} bytes; casebot adds at most {options.max_bytes:,}.")
        return None, kind, path.read_bytes(), None
    except FileNotFoundError:
        raise IntakeError(f"there is no file {source}.") from None
    except IsADirectoryError:
        raise IntakeError(f"{source} is a directory, not a file.") from None
    except OSError as error:
        raise IntakeError(f"{source} cannot be read ({error.strerror or error}).") from None


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
