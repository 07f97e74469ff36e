"""Corpus files from extracted sources: the front matter, the file name, duplicates, writing
and removing.

Only this module writes into the corpus directory. A file is checked by the loader itself
(in a scratch directory) before it is written, and written under a hidden name first and
then linked into place, so the loader never sees half a file and no existing file is ever
overwritten.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import tempfile
import tomllib
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tomli_w

from bot.intake.draft import Extracted
from bot.intake.errors import IntakeError
from retrieval.corpus import CorpusError, is_article_file, load_corpus

# Removed articles go here, inside the corpus directory: the loader reads only the
# directory's own *.md files, never a folder's, and a rename within one file system is
# atomic and keeps the file on the same volume and in the same backup.
REMOVED_DIR = ".removed"
_MAX_NAME_CHARS = 80
_TRACKING = re.compile(r"^(?:utm_|fbclid$|gclid$|mc_|ref$|cmpid$)", re.I)


def render(extracted: Extracted, *, url: str | None) -> str:
    """The corpus file's text: TOML front matter with the fields known, then the body."""
    fields: dict[str, object] = {}
    for key in ("title", "outlet"):
        if value := getattr(extracted, key):
            fields[key] = value
    if url:
        fields["url"] = url
    if extracted.published:
        fields["published"] = extracted.published
    if extracted.updated:
        fields["updated"] = extracted.updated
    if extracted.author:
        fields["author"] = extracted.author
    if extracted.kind != "article":
        fields["kind"] = extracted.kind
    # tomli-w writes TOML (quotes, backslashes, control characters, dates) as tomllib
    # reads it back.
    return f"+++\n{tomli_w.dumps(fields)}+++\n" + "\n\n".join(extracted.blocks) + "\n"


def file_name(extracted: Extracted, directory: Path) -> str:
    """`outlet-title.md` in lower-case ASCII words, not yet taken in `directory`."""
    words = " ".join(part for part in (extracted.outlet, extracted.title) if part) or "article"
    ascii_words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_words.lower()).strip("-") or "article"
    if len(slug) > _MAX_NAME_CHARS:
        # Cut at a word's end, so the name still reads.
        slug = slug[: _MAX_NAME_CHARS + 1].rsplit("-", 1)[0]
    name, number = f"{slug}.md", 2
    while (directory / name).exists() or (directory / REMOVED_DIR / name).exists():
        name, number = f"{slug}-{number}.md", number + 1
    return name


def check_file(text: str, name: str) -> None:
    """Load `text` as the loader would, alone in a scratch directory.

    Raises:
        IntakeError: with the loader's first problem.
    """
    with tempfile.TemporaryDirectory(prefix="casebot-add-") as scratch:
        (Path(scratch) / name).write_text(text, encoding="utf-8")
        try:
            load_corpus(scratch)
        except CorpusError as error:
            problem = error.problems[0].message if error.problems else str(error)
            raise IntakeError(f"the article would not load: {problem}.") from None


def find_duplicate(directory: Path, *, urls: list[str], blocks: tuple[str, ...]) -> str | None:
    """The name of the corpus file that already has one of `urls` or the same text.

    Files are read leniently (front matter and body), so a corpus with a broken file can
    still be checked.
    """
    wanted = {normalize_url(url) for url in urls if url}
    text = _normalized(" ".join(b for b in blocks if not b.startswith("#")))
    for path in sorted(directory.glob("*.md")):
        if not is_article_file(path.name):
            continue
        meta, body = read_leniently(path)
        url = meta.get("url")
        if isinstance(url, str) and normalize_url(url) in wanted:
            return path.name
        existing = _normalized(_body_text(body))
        shorter, longer = sorted((text, existing), key=len)
        # The same article saved twice, or one saved inside a longer copy of it.
        if len(shorter) >= 200 and shorter in longer:
            return path.name
    return None


def write(directory: Path, name: str, text: str) -> Path:
    """Write `text` as `directory/name`, never over an existing file.

    Raises:
        IntakeError: the name was taken meanwhile, or the directory is not writable.
    """
    target = directory / name
    hidden = directory / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        try:
            hidden.write_text(text, encoding="utf-8")
            os.link(hidden, target)  # fails if the name exists: nothing is overwritten
        finally:
            # Whatever happened (a full disk fails the write half-way), no scratch copy stays.
            hidden.unlink(missing_ok=True)
    except FileExistsError:
        raise IntakeError(f"{name} appeared in the corpus meanwhile; nothing was written.") from None
    except OSError as error:
        raise IntakeError(
            f"could not write {name} into the corpus directory ({error.strerror or error})."
        ) from None
    return target


def remove(directory: Path, source_id: str) -> Path:
    """Move `source_id`.md out of the corpus into its `.removed/` folder; returns where.

    A removed file is never overwritten: the same id removed again (re-added in between)
    goes in beside the earlier ones, stamped with the time and numbered if need be.

    Raises:
        IntakeError: no such article, or it could not be moved.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", source_id) or source_id.endswith(".md"):
        raise IntakeError(f"“{source_id[:60]}” is not a source id (see `/case sources`).")
    path = directory / f"{source_id}.md"
    # The corpus's README (and anything else the loader skips) is no article to remove.
    if not is_article_file(path.name) or not path.is_file():
        raise IntakeError(f"there is no article “{source_id}” in the corpus (see `/case sources`).")
    removed = directory / REMOVED_DIR
    try:
        removed.mkdir(exist_ok=True)
        target = _claim_removed_name(removed, source_id)
        try:
            # Over the empty file just claimed: atomic, and no earlier removal is touched.
            os.rename(path, target)
        except OSError:
            target.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise IntakeError(f"could not move {path.name} ({error.strerror or error}).") from None
    return target


def _claim_removed_name(removed: Path, source_id: str) -> Path:
    """Create, empty, the first free one of `ID.md`, `ID.STAMP.md`, `ID.STAMP-2.md`, …
    (O_EXCL: two removes at the same moment claim two names)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    numbered = (f"{source_id}.{stamp}-{n}.md" for n in itertools.count(2))
    for name in itertools.chain((f"{source_id}.md", f"{source_id}.{stamp}.md"), numbered):
        try:
            os.close(os.open(removed / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return removed / name
    raise AssertionError("unreachable: the names never run out")


def normalize_url(url: str) -> str:
    """A URL as compared for duplicates: no fragment, tracking parameters or trailing
    slash; scheme and host in lower case; http and https alike."""
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return urlunsplit(("https", host + port, parts.path.rstrip("/") or "/", query, ""))


def read_leniently(path: Path) -> tuple[dict[str, object], str]:
    """A corpus file's front matter and body, as well as they can be read (see
    `split_front_matter`); nothing for a file that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}, ""
    return split_front_matter(text)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """(front matter, body) of a corpus file's text, with Unix line endings.

    Lenient: front matter that does not parse is empty, and text without any is all body.
    """
    lines = unix_lines(text).split("\n")
    if not lines or lines[0].strip() != "+++":
        return {}, "\n".join(lines)
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == "+++"), None)
    if close is None:
        return {}, ""
    try:
        meta = tomllib.loads("\n".join(lines[1:close]))
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        meta = {}
    return meta, "\n".join(lines[close + 1 :])


def unix_lines(text: str) -> str:
    """`text` with Windows (CRLF) and old Mac (CR) line endings made "\\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _body_text(body: str) -> str:
    return " ".join(line for line in body.split("\n") if not line.lstrip().startswith("#"))


def _normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
