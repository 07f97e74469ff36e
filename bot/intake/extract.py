"""The article's own text and metadata from a web page (trafilatura and htmldate).

trafilatura finds the article in the page and leaves out navigation, ads, newsletter boxes,
related links and (with include_comments=False; it keeps them otherwise) reader comments.
Its XML output is read rather than its text output, so headings stay headings and
paragraphs stay whole, with their words as the page has them.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.intake.draft import Extracted
from bot.intake.errors import IntakeError

# A page with no article still yields text (its navigation and headlines), so an article
# must have this much prose: blocks that read as sentences, added up.
MIN_ARTICLE_CHARS = 300
_PROSE_MIN_CHARS = 60
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_html(body: bytes, charset: str | None) -> str:
    """The page's text: the charset the server declared, else the page's own <meta>, else
    UTF-8, else Windows-1252 (what browsers assume of undeclared Western pages)."""
    candidates = [charset]
    if (found := _META_CHARSET.search(body[:4096])) is not None:
        candidates.append(found.group(1).decode("ascii"))
    for name in (*candidates, "utf-8"):
        if not name:
            continue
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def extract_html(html: str, url: str | None) -> Extracted:
    """The article in `html` (fetched from `url`, if it was).

    Raises:
        IntakeError: the page has no article text (a home page, an index, an error page).
    """
    # Imported here: trafilatura and its lxml take a moment to load, and only `add` needs them.
    import htmldate
    import trafilatura
    from lxml import etree

    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=False, with_metadata=True
    )
    xml = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        with_metadata=False,
    )
    title = _clean(getattr(document, "title", None))
    blocks: list[str] = []
    if xml:
        root = etree.fromstring(xml.encode("utf-8"))
        for element in root.iter("head", "p", "item", "quote"):
            if element.getparent() is not None and element.getparent().tag in ("comments",):
                continue
            text = " ".join("".join(element.itertext()).split())
            if not text:
                continue
            if element.tag == "head":
                # The headline is the title, not a section of the article.
                if title and text.casefold() == title.casefold():
                    continue
                blocks.append(f"## {text}")
            else:
                blocks.append(text)
    require_article(blocks)

    notes: list[str] = []
    outlet = _clean(getattr(document, "sitename", None))
    if outlet and _is_host_name(outlet, url):
        # trafilatura falls back to the host name; that is not the outlet's name.
        outlet = None
    if outlet is None:
        notes.append("no outlet name found on the page: left out")
    published = _date(htmldate.find_date(html, url=url, original_date=True, extensive_search=False))
    updated = _date(htmldate.find_date(html, url=url, original_date=False, extensive_search=False))
    if published is None:
        notes.append("no publication date found: the article will be undated")
    if published is not None and updated is not None and updated <= published:
        # htmldate's "latest" date is the published one when nothing was modified.
        updated = None
    return Extracted(
        title=title,
        outlet=outlet,
        author=_clean(getattr(document, "author", None)),
        published=published,
        updated=updated,
        url=canonical_url(html, url) or url,
        blocks=tuple(blocks),
        notes=tuple(notes),
    )


def canonical_url(html: str, fetched: str | None) -> str | None:
    """The address the page gives for itself: `<link rel="canonical">`, else `og:url`.

    Resolved against the address it was fetched from (a saved file has none, so a relative
    one is left out), normalised by courlan (host in lower case, default port and tracking
    parameters dropped) and without its fragment; only http(s) addresses with a host count.
    """
    from courlan import normalize_url
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None
    found = tree.xpath(
        '//link[contains(concat(" ", normalize-space(translate(@rel, "CANONIAL", "canonial")),'
        ' " "), " canonical ")]/@href | //meta[@property="og:url"]/@content'
    )
    for href in found:
        href = " ".join(str(href).split())
        if not href:
            continue
        absolute = urljoin(fetched, href) if fetched else href
        parts = urlsplit(absolute)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            continue
        try:
            return urlunsplit(urlsplit(normalize_url(absolute))._replace(fragment=""))
        except ValueError:
            continue
    return None


def extract_text(text: str) -> Extracted:
    """A plain-text article: paragraphs separated by blank lines; a short first line that
    is not a sentence (or a Markdown "# " line) is its title.

    Front matter in the text ("+++" … "+++") is text like any other, and never the title:
    a page cannot name its own outlet, date or title that way.
    """
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    title = None
    if paragraphs:
        first = paragraphs[0]
        if first.startswith("# "):
            title, paragraphs = first[2:].strip(), paragraphs[1:]
        elif len(first) <= 200 and not _SENTENCE_END.search(first) and not first.startswith("+++"):
            title, paragraphs = first, paragraphs[1:]
    blocks = [f"## {p.lstrip('#').strip()}" if re.match(r"#{1,6} ", p) else p for p in paragraphs]
    require_article(blocks)
    return Extracted(
        title=title, outlet=None, author=None, published=None, updated=None, url=None,
        blocks=tuple(blocks),
        notes=("a text file has no outlet, author or date: add them to the file by hand if "
               "you know them",),
    )  # fmt: skip


def require_article(blocks: list[str]) -> None:
    prose = sum(
        len(block)
        for block in blocks
        if not block.startswith("#")
        and len(block) >= _PROSE_MIN_CHARS
        and _SENTENCE_END.search(block)
    )
    if prose < MIN_ARTICLE_CHARS:
        raise IntakeError(
            "no article text was found there (only navigation, headlines or too little "
            f"prose: {prose} of the {MIN_ARTICLE_CHARS} characters needed)."
        )


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _is_host_name(name: str, url: str | None) -> bool:
    if url is None or " " in name:
        return False
    host = (urlsplit(url).hostname or "").lower()
    name = name.lower()
    return host == name or host.endswith("." + name) or name.endswith(host.removeprefix("www."))


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
