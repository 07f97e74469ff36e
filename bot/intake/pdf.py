"""Court filings (a complaint, a notice of dismissal) from PDF, with pypdf.

Pleading paper carries a running header (the ECF stamp "Case … Document 1 Filed … Page 2 of
9"), a running footer (the document's name), page numbers and numbered lines in the margin.
None of it is the filing's text, so it is left out: lines repeated at the top or bottom of
most pages, page-number lines, and line numbers when most lines of a page start with one.
The caption (court, parties, document title) gives the outlet and title and is not quoted.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

from bot.intake.draft import Extracted
from bot.intake.errors import IntakeError

MAX_PAGES = 500
# A page with fewer characters than this has no text layer worth the name (a scan).
_MIN_TEXT_CHARS = 40
_LINE_NUMBER = re.compile(r"^(\d{1,2})(?:\s+|$)")
_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?(?:\s*-)?$", re.I)
_ECF_STAMP = re.compile(r"^Case\s+\S+\s+Document\s+\S+.*\bFiled\s+(\d{1,2})/(\d{1,2})/(\d{2,4})")
_COURT = re.compile(r"\bCOURT\b")
_DISTRICT = re.compile(r"\b(?:DISTRICT|CIRCUIT|COUNTY|DIVISION) OF\b|\bDISTRICT\b")
_DOCUMENT = re.compile(
    r"\b(?:COMPLAINT|NOTICE|MOTION|ORDER|STIPULATION|ANSWER|PETITION|DISMISSAL|BRIEF|"
    r"DECLARATION|JUDGMENT|MEMORANDUM)\b"
)
_SMALL_WORDS = frozenset({"of", "for", "the", "and", "in", "on", "to", "a", "an", "by"})
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
# Where a filing's signature block begins ("Dated: …", "Respectfully submitted,", "/s/ …"):
# a paragraph of its own, not the end of the last one.
_SIGNATURE = re.compile(r"^(?:dated\b|respectfully submitted\b|(?:by:\s*)?/s/)", re.I)


def extract_pdf(data: bytes, *, max_bytes: int) -> Extracted:
    """The filing's text and what its caption says.

    `max_bytes` bounds the file and also its text: a small PDF can draw one content stream
    on every page (a few KB that extract to megabytes), so extraction stops as soon as the
    text passes it. Its time is bounded by the caller (`bot.intake.timer`).

    Raises:
        IntakeError: too large, not a PDF, password-protected, without text (scanned), or
            with more text than `max_bytes` characters.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if len(data) > max_bytes:
        raise IntakeError(f"the PDF is {len(data):,} bytes; casebot adds at most {max_bytes:,}.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IntakeError("the PDF is encrypted with a password; casebot cannot read it.")
        if len(reader.pages) > MAX_PAGES:
            raise IntakeError(
                f"the PDF has {len(reader.pages)} pages; casebot adds at most {MAX_PAGES}."
            )
        pages = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > max_bytes:
                raise IntakeError(
                    f"the PDF's text runs past {max_bytes:,} characters; casebot adds at most that."
                )
        meta_title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except IntakeError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise IntakeError(f"the file is not a readable PDF ({type(error).__name__}).") from None
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise IntakeError(f"the file is not a readable PDF ({type(error).__name__}).") from None
    if sum(len(text.strip()) for text in pages) < _MIN_TEXT_CHARS:
        raise IntakeError(
            "the PDF has no text to quote (it looks scanned: casebot does not read images)."
        )

    published = _filed_date(pages[0])
    lines = _body_lines([_page_lines(text) for text in pages])
    outlet, title, start = _caption(lines)
    if isinstance(meta_title, str) and meta_title.strip():
        title = " ".join(meta_title.split())
    blocks = _paragraphs(lines[start:])
    # A filing needs no minimum of prose: notices, orders and stipulations are a paragraph
    # long, and their caption, court and ECF date are what matters. Only a body with no
    # text at all (a caption alone) is refused.
    if not any(not block.startswith("#") for block in blocks):
        raise IntakeError("the PDF has no text beyond its caption: there is nothing to quote.")
    notes = []
    if outlet is None:
        notes.append("the caption names no court: the outlet is left out")
    if published is None:
        notes.append("no filing date found: the filing will be undated")
    return Extracted(
        title=title, outlet=outlet, author=None, published=published, updated=None, url=None,
        blocks=tuple(blocks), kind="filing", notes=tuple(notes),
    )  # fmt: skip


def _page_lines(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    numbered = [line for line in lines if _LINE_NUMBER.match(line)]
    if len(numbered) >= max(3, len([line for line in lines if line]) // 2):
        # Pleading paper: the margin's numbers go; a line that was only a number was blank.
        lines = [_LINE_NUMBER.sub("", line, count=1) for line in lines]
    return lines


def _body_lines(pages: list[list[str]]) -> list[str]:
    """All pages' lines in order, without running headers, footers and page numbers."""
    # Tops and bottoms are counted apart: a running header is at the top of most pages.
    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for lines in pages:
        kept = [line for line in lines if line]
        tops.update({_shape(line) for line in kept[:2]})
        bottoms.update({_shape(line) for line in kept[-2:]})
    enough = max(2, -(-len(pages) // 2))
    body: list[str] = []
    for lines in pages:
        kept = [line for line in lines if line]
        top, bottom = {id(line) for line in kept[:2]}, {id(line) for line in kept[-2:]}
        for line in lines:
            at_top, at_bottom = id(line) in top, id(line) in bottom
            if (at_top or at_bottom) and (
                (at_top and tops[_shape(line)] >= enough)
                or (at_bottom and bottoms[_shape(line)] >= enough)
                or _PAGE_NUMBER.match(line)
                or _ECF_STAMP.match(line)
            ):
                continue
            body.append(line)
        body.append("")  # a page break ends a line, not necessarily a paragraph (see below)
    return body


def _shape(line: str) -> str:
    # "Page 2 of 9" and "Page 3 of 9" are the same running line.
    return re.sub(r"\d+", "#", line.casefold())


def _caption(lines: list[str]) -> tuple[str | None, str | None, int]:
    """(court, document title, index of the first body line) from the first lines."""
    court: list[str] = []
    for index, line in enumerate(lines[:40]):
        if not line or any(ch.islower() for ch in line):
            continue
        if _COURT.search(line) and not court:
            court.append(line)
        elif court and len(court) == 1 and _DISTRICT.search(line) and not _DOCUMENT.search(line):
            court.append(line)
        elif _DOCUMENT.search(line):
            outlet = ", ".join(_title_case(part) for part in court) or None
            return outlet, _title_case(line), index + 1
    return None, None, 0


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a blank line ends one, unless the text before it runs
    on (a page break in mid-sentence); an all-capitals line is a section heading."""
    blocks: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            blocks.append(" ".join(pending))
            pending.clear()

    for line in lines:
        if not line:
            if pending and _SENTENCE_END.search(pending[-1]):
                flush()
            continue
        if line.isupper() and len(line) <= 120 and (not pending or _SENTENCE_END.search(pending[-1])):
            flush()
            blocks.append(f"## {line}")
            continue
        if _SIGNATURE.match(line) and not any(_SIGNATURE.match(seen) for seen in pending):
            flush()
        pending.append(line)
    flush()
    # A heading with nothing under it (a one-page filing's footer) is not part of the text.
    while blocks and blocks[-1].startswith("## "):
        blocks.pop()
    return blocks


def _filed_date(first_page: str) -> date | None:
    for line in first_page.splitlines()[:3]:
        if (found := _ECF_STAMP.match(" ".join(line.split()))) is not None:
            month, day, year = (int(part) for part in found.groups())
            try:
                return date(year + 2000 if year < 100 else year, month, day)
            except ValueError:
                return None
    return None


def _title_case(text: str) -> str:
    words = text.lower().split()
    return " ".join(
        word if i and word in _SMALL_WORDS else word[:1].upper() + word[1:]
        for i, word in enumerate(words)
    )

