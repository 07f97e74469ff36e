"""Hostile servers: headers dripped a byte at a time, compression bombs, stacked encodings.

Every server here is `tests.support.intake_server` on 127.0.0.1, so CASEBOT_FETCH_PRIVATE is
on (`allow_private=True`). Waits are generous timeouts, never measurements.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.intake import IntakeError, Options, prepare
from bot.intake.fetch import fetch
from tests.support.intake_pages import ARTICLE_PARAGRAPHS, news_page
from tests.support.intake_server import Route, Site, serve

# 64 MiB of zeros gzipped is 64 KiB on the wire; gzipped again, about 200 bytes.
BOMB = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
NESTED_BOMB = gzip.compress(BOMB, compresslevel=9)
PAGE = news_page().encode()


def _encoded(body: bytes, coding: str) -> Route:
    return Route(body=body, headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": coding})


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.fixture
def site() -> Iterator[Site]:
    routes = {
        # Headers a byte every 0.1 s: every read gets something long before a read timeout.
        "/drip": Route(drip=0.1, drip_for=30),
        "/bomb": _encoded(BOMB, "gzip"),
        "/nested-bomb": _encoded(NESTED_BOMB, "gzip, gzip"),
        "/gzip": _encoded(gzip.compress(PAGE), "gzip"),
        "/deflate": _encoded(zlib.compress(PAGE), "deflate"),
        # "deflate" as some servers send it: without the zlib wrapper.
        "/raw-deflate": _encoded(_raw_deflate(PAGE), "deflate"),
        "/brotli": _encoded(b"\x0b\x02\x80hello\x03", "br"),
    }
    with serve(routes) as running:
        yield running


def test_a_server_dripping_its_headers_is_cut_off_at_the_fetch_timeout(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(IntakeError, match=r"did not send the page within 1 seconds"):
        fetch(site.url("/drip"), allow_private=True, timeout=1, max_bytes=100_000)
    # Generous: the server would go on for 30 s.
    assert time.monotonic() - started < 10


def test_a_gzip_bomb_stops_at_the_limit_without_expanding(site: Site) -> None:
    limit = 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(IntakeError, match="more than 1,000,000 bytes"):
            fetch(site.url("/bomb"), allow_private=True, timeout=10, max_bytes=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The page's bytes, one decompressed piece and their copies: a few times the limit,
    # never the 64 MiB the bomb holds (httpx decompressed each 64 KiB chunk whole).
    assert peak < 4 * limit, f"peak {peak:,} bytes"


def test_stacked_encodings_are_refused_before_anything_is_unpacked(site: Site) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(IntakeError, match=r"compressed more than once \(gzip, gzip\)"):
            fetch(site.url("/nested-bomb"), allow_private=True, timeout=10, max_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"peak {peak:,} bytes"


def test_an_encoding_casebot_does_not_read_is_refused(site: Site) -> None:
    with pytest.raises(IntakeError, match=r"compressed as br, which casebot does not read"):
        fetch(site.url("/brotli"), allow_private=True, timeout=10, max_bytes=100_000)


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate"])
def test_a_compressed_page_is_read_as_served(site: Site, path: str, small_corpus_dir: Path) -> None:
    assert fetch(site.url(path), allow_private=True, timeout=10, max_bytes=100_000).body == PAGE
    draft = prepare(site.url(path), small_corpus_dir, Options(allow_private=True, timeout=10))
    assert ARTICLE_PARAGRAPHS[0] in draft.extracted.blocks


def test_a_compressed_page_is_limited_by_its_size_unpacked(site: Site) -> None:
    # Smaller than the limit on the wire, larger once unpacked.
    assert len(gzip.compress(PAGE)) < 2048 < len(PAGE)
    with pytest.raises(IntakeError, match="more than 2,048 bytes"):
        fetch(site.url("/gzip"), allow_private=True, timeout=10, max_bytes=2048)
