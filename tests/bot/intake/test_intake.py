"""`casebot add`: fetching from a server on 127.0.0.1, extracting, PDFs, writing, refusing.

CASEBOT_FETCH_PRIVATE is on here (Options(allow_private=True)), as it must be to fetch from
127.0.0.1; the refusals of internal addresses are in test_intake_address.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.intake import IntakeError, Options, commit, prepare
from bot.intake.draft import Extracted
from bot.intake.writer import render
from retrieval.answering import ask
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.intake_pages import (
    AD,
    ARTICLE_PARAGRAPHS,
    COMMENT,
    COMPLAINT_PARAGRAPHS,
    CP1252_PARAGRAPHS,
    NEWSLETTER,
    NO_ARTICLE_PAGE,
    NOTICE_PARAGRAPH,
    PDF_FOOTER,
    RELATED,
    UPDATE_PARAGRAPH,
    complaint_pdf,
    cp1252_page,
    news_page,
    notice_pdf,
    scanned_pdf,
)
from tests.support.intake_server import Route, Site, serve

OPTIONS = Options(allow_private=True, timeout=10, max_bytes=200_000)
HTML = {"Content-Type": "text/html; charset=utf-8"}
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    pdf = complaint_pdf(tmp_path / "complaint.pdf").read_bytes()
    routes = {
        "/news/linkedin-sued": Route(body=news_page().encode()),
        "/moved": Route(status=301, headers={"Location": "/news/linkedin-sued"}),
        "/copy-of-story": Route(body=news_page(title="Copy").encode()),
        "/home": Route(body=NO_ARTICLE_PAGE.encode()),
        "/gone": Route(status=404, body=b"<h1>Not found</h1>"),
        "/broken": Route(status=500, body=b"<h1>Internal error</h1>"),
        "/loop-a": Route(status=302, headers={"Location": "/loop-b"}),
        "/loop-b": Route(status=302, headers={"Location": "/loop-a"}),
        "/huge": Route(body=b"<p>" + b"x" * 300_000 + b"</p>"),
        "/huge-streamed": Route(body=b"<p>" + b"x" * 300_000 + b"</p>", chunked=True),
        "/photo.png": Route(body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}),
        "/data.json": Route(body=b"{}", headers={"Content-Type": "application/json"}),
        "/german": Route(body=cp1252_page(), headers={"Content-Type": "text/html; charset=windows-1252"}),
        "/complaint.pdf": Route(body=pdf, headers={"Content-Type": "application/pdf"}),
    }
    with serve(routes) as running:
        yield running


@pytest.fixture
def corpus(make_corpus, small_corpus_dir: Path) -> Path:
    return small_corpus_dir


# --- extraction ---------------------------------------------------------------------------


def test_a_news_page_becomes_its_article_and_nothing_else(site: Site, corpus: Path) -> None:
    draft = prepare(site.url("/news/linkedin-sued"), corpus, OPTIONS)
    e = draft.extracted
    assert e.title == "LinkedIn sued over AI training on private messages"
    assert e.outlet == "Example Tech News"
    assert e.author == "Jane Reporter"
    assert (e.published.isoformat(), e.updated.isoformat()) == ("2025-01-22", "2025-01-30")
    # Paragraphs verbatim, curly quotes and all, the heading and the update notice kept.
    for paragraph in (*ARTICLE_PARAGRAPHS, UPDATE_PARAGRAPH):
        assert paragraph in e.blocks
    assert "## What the complaint seeks" in e.blocks
    assert "Updated on January 30, 2025:" in e.blocks
    text = draft.text
    for chrome in (AD, NEWSLETTER, RELATED, COMMENT, "Sign in", "All rights reserved", "By Jane"):
        assert chrome not in text


def test_the_written_file_loads_and_the_bot_answers_from_it(site: Site, corpus: Path) -> None:
    draft = prepare(site.url("/news/linkedin-sued"), corpus, OPTIONS)
    path = commit(draft, corpus)
    assert path.parent == corpus and path.name == "example-tech-news-linkedin-sued-over-ai-training-on-private-messages.md"
    loaded = load_corpus(corpus)
    article = next(a for a in loaded.articles if a.source.id == path.stem)
    assert article.source.url == site.url("/news/linkedin-sued")
    # The update notice dates what follows it.
    last = article.passages[-1]
    assert last.text == UPDATE_PARAGRAPH and last.date.isoformat() == "2025-01-30"
    answer = ask(build_index(loaded), "Did the plaintiff file a notice of voluntary dismissal?")
    assert any(q.source.id == path.stem for q in answer.quotes), answer


def test_a_page_in_windows_1252_is_decoded(site: Site, corpus: Path) -> None:
    draft = prepare(site.url("/german"), corpus, OPTIONS)
    assert CP1252_PARAGRAPHS[0] in draft.extracted.blocks
    assert draft.extracted.outlet == "Beispiel Nachrichten"


def test_a_redirect_is_followed_and_the_final_url_kept(site: Site, corpus: Path) -> None:
    draft = prepare(site.url("/moved"), corpus, OPTIONS)
    assert draft.url == site.url("/news/linkedin-sued")


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/home", "no article text"),
        ("/gone", "404"),
        ("/broken", "500"),
        ("/loop-a", "redirects in a loop"),
        ("/huge", "casebot adds at most 200,000"),
        ("/huge-streamed", "more than 200,000 bytes"),
        ("/photo.png", "image/png"),
        ("/data.json", "application/json"),
    ],
)
def test_refusals_write_nothing(site: Site, corpus: Path, path: str, words: str) -> None:
    before = sorted(p.name for p in corpus.iterdir())
    with pytest.raises(IntakeError, match=words):
        prepare(site.url(path), corpus, OPTIONS)
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_a_url_already_in_the_corpus_is_refused_naming_the_file(site: Site, corpus: Path) -> None:
    commit(prepare(site.url("/news/linkedin-sued"), corpus, OPTIONS), corpus)
    with pytest.raises(IntakeError, match=r"already in the corpus, as example-tech-news-linkedin"):
        prepare(site.url("/news/linkedin-sued") + "?utm_source=chat#top", corpus, OPTIONS)


def test_the_same_text_at_another_url_is_refused_naming_the_file(site: Site, corpus: Path) -> None:
    commit(prepare(site.url("/news/linkedin-sued"), corpus, OPTIONS), corpus)
    with pytest.raises(IntakeError, match=r"already in the corpus, as example-tech-news-linkedin"):
        prepare(site.url("/copy-of-story"), corpus, OPTIONS)


def test_the_private_address_setting_is_what_lets_127_0_0_1_through(site: Site, corpus: Path) -> None:
    # The same local server, with CASEBOT_FETCH_PRIVATE off: refused before any request.
    with pytest.raises(IntakeError, match="loopback"):
        prepare(site.url("/news/linkedin-sued"), corpus, Options(allow_private=False))
    assert site.hits == []


# --- PDFs ----------------------------------------------------------------------------------


def test_a_filing_pdf_keeps_its_text_without_headers_footers_or_line_numbers(
    site: Site, corpus: Path
) -> None:
    draft = prepare(site.url("/complaint.pdf"), corpus, OPTIONS)
    e = draft.extracted
    assert e.kind == "filing" and 'kind = "filing"' in draft.text
    assert e.outlet == "United States District Court, Northern District of California"
    assert e.title == "Class Action Complaint"
    assert e.published.isoformat() == "2025-01-21"
    # Paragraphs whole and in reading order, across the page breaks.
    assert list(e.paragraphs) == list(COMPLAINT_PARAGRAPHS)
    assert "Document 1" not in draft.text and PDF_FOOTER not in draft.text.split("+++")[2]
    path = commit(draft, corpus)
    sources = {a.source.id: a.source for a in load_corpus(corpus).articles}
    assert sources[path.stem].kind == "filing"


def test_a_local_pdf_file_is_read_too(tmp_path: Path, corpus: Path) -> None:
    draft = prepare(str(complaint_pdf(tmp_path / "c.pdf")), corpus, OPTIONS)
    assert draft.url is None and draft.extracted.paragraphs[0] == COMPLAINT_PARAGRAPHS[0]


def test_an_encrypted_pdf_is_refused(tmp_path: Path, corpus: Path) -> None:
    path = complaint_pdf(tmp_path / "locked.pdf", password="secret")
    with pytest.raises(IntakeError, match="encrypted"):
        prepare(str(path), corpus, OPTIONS)


def test_a_scanned_pdf_is_refused(tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(IntakeError, match="scanned"):
        prepare(str(scanned_pdf(tmp_path / "scan.pdf")), corpus, OPTIONS)


def test_an_oversized_pdf_is_refused(tmp_path: Path, corpus: Path) -> None:
    path = complaint_pdf(tmp_path / "big.pdf")
    with pytest.raises(IntakeError, match="at most 1,024"):
        prepare(str(path), corpus, Options(allow_private=True, max_bytes=1024))


def test_a_file_of_another_kind_is_refused(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "a.docx").write_bytes(b"PK")
    with pytest.raises(IntakeError, match="neither an http"):
        prepare(str(tmp_path / "a.docx"), corpus, OPTIONS)


def test_a_local_html_file_and_a_text_file(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "story.html").write_text(news_page(), encoding="utf-8")
    assert prepare(str(tmp_path / "story.html"), corpus, OPTIONS).extracted.outlet == "Example Tech News"
    (tmp_path / "story.txt").write_text(
        "A headline about the case\n\n" + "\n\n".join(COMPLAINT_PARAGRAPHS), encoding="utf-8"
    )
    draft = prepare(str(tmp_path / "story.txt"), corpus, OPTIONS)
    assert draft.extracted.title == "A headline about the case"
    assert draft.extracted.paragraphs == COMPLAINT_PARAGRAPHS


# --- the command line ------------------------------------------------------------------------


def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOT_FETCH_PRIVATE", "true")


def test_casebot_add_yes_writes_a_file_that_validates(
    site: Site, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch)
    assert main(["add", site.url("/news/linkedin-sued"), "--corpus", str(corpus), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Title: LinkedIn sued over AI training on private messages" in out
    assert "Outlet: Example Tech News" in out and "Paragraphs: 5" in out
    assert f"> {ARTICLE_PARAGRAPHS[0]}" in out
    assert "Added " in out
    assert main(["validate", str(corpus)]) == 0


def test_casebot_add_json_prints_the_path_and_front_matter(
    site: Site, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch)
    assert main(["add", site.url("/complaint.pdf"), "--corpus", str(corpus), "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert Path(result["path"]).is_file()
    assert result["front_matter"]["kind"] == "filing"
    assert result["front_matter"]["published"] == "2025-01-21"


def test_casebot_add_without_yes_and_without_a_terminal_writes_nothing(
    site: Site, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    before = sorted(corpus.iterdir())
    assert main(["add", site.url("/news/linkedin-sued"), "--corpus", str(corpus)]) == 1
    assert "--yes" in capsys.readouterr().err
    assert sorted(corpus.iterdir()) == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("typed", "written"), [("y\n", True), ("\n", False), ("no\n", False)])
def test_casebot_add_asks_in_a_terminal(
    site: Site, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    typed: str, written: bool,
) -> None:  # fmt: skip
    _env(monkeypatch)
    monkeypatch.setattr("sys.stdin", _Terminal(typed))
    assert main(["add", site.url("/news/linkedin-sued"), "--corpus", str(corpus)]) == 0
    assert "[y/N]" in capsys.readouterr().out
    assert any(p.name.startswith("example-tech-news") for p in corpus.iterdir()) is written


def test_casebot_add_refusal_is_one_sentence_without_a_traceback(
    site: Site, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch)
    assert main(["add", site.url("/gone"), "--corpus", str(corpus), "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("casebot add: not added: ") and "404" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_casebot_add_refuses_internal_hosts_by_default(
    site: Site, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add", site.url("/news/linkedin-sued"), "--corpus", str(corpus), "--yes"]) == 1
    assert "CASEBOT_FETCH_PRIVATE=true" in capsys.readouterr().err
    assert site.hits == []


def test_an_existing_corpus_file_is_copied_as_it_is(tmp_path: Path, corpus: Path, article_text) -> None:
    text = article_text(title="Hand-written", outlet="Delta Wire", published="2025-02-01",
                        paragraphs=list(COMPLAINT_PARAGRAPHS))  # fmt: skip
    (tmp_path / "delta-wire-hand-written.md").write_text(text, encoding="utf-8")
    path = commit(prepare(str(tmp_path / "delta-wire-hand-written.md"), corpus, OPTIONS), corpus)
    assert path.read_text(encoding="utf-8") == text


# --- real filings and real pages (issue 21) ------------------------------------------------


def _casebot_add(*args: str) -> subprocess.CompletedProcess[str]:
    """`casebot add ARGS` as a separate process, as an operator runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CASEBOT_FETCH_PRIVATE": "true"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "add", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def test_a_one_page_notice_of_dismissal_is_added_with_its_caption(
    tmp_path: Path, corpus: Path
) -> None:
    notice = notice_pdf(tmp_path / "notice.pdf")
    result = _casebot_add(str(notice), "--corpus", str(corpus), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout)
    assert added["front_matter"] == {
        "title": "Notice of Voluntary Dismissal",
        "outlet": "United States District Court, Northern District of California",
        "published": "2025-01-30",
        "kind": "filing",
    }
    body = Path(added["path"]).read_text(encoding="utf-8").split("+++\n", 2)[2]
    paragraphs = body.strip().split("\n\n")
    assert paragraphs[0] == NOTICE_PARAGRAPH  # verbatim, and the signature block apart
    assert paragraphs[1].startswith("Dated: January 30, 2025")
    assert "Case 5:25-cv-00709" not in body and "EDELSON PC" not in body
    assert main(["validate", str(corpus)]) == 0


def test_a_saved_page_is_cited_by_its_canonical_url(tmp_path: Path, corpus: Path) -> None:
    canonical = "HTTPS://WWW.Example-News.com:443/2025/01/22/linkedin-sued/?utm_source=feed#top"
    page = tmp_path / "saved.html"
    page.write_text(news_page(canonical=canonical), encoding="utf-8")
    result = _casebot_add(str(page), "--corpus", str(corpus), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    url = json.loads(result.stdout)["front_matter"]["url"]
    assert url == "https://www.example-news.com/2025/01/22/linkedin-sued/"
    # The same article again is the one already added.
    assert main(["add", str(page), "--corpus", str(corpus), "--yes"]) == 1


def test_a_fetched_page_is_cited_by_its_canonical_url_not_the_address_fetched(
    corpus: Path,
) -> None:
    canonical = "https://www.example-news.com/2025/01/22/linkedin-sued"
    routes = {"/amp/story": Route(body=news_page(canonical=canonical).encode())}
    with serve(routes) as running:
        result = _casebot_add(running.url("/amp/story"), "--corpus", str(corpus), "--yes", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["front_matter"]["url"] == canonical


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80).filter(lambda t: t.strip()),
    author=st.text(min_size=1, max_size=40).filter(lambda t: t.strip()),
)
def test_front_matter_reads_back_as_written(title: str, author: str) -> None:
    import tomllib

    extracted = Extracted(
        title=title, outlet='The "Quoted" \\ Outlet', author=author, published=date(2025, 1, 30),
        updated=None, url="https://example.com/a?b=1", blocks=("A paragraph.",),
    )  # fmt: skip
    front = render(extracted, url=extracted.url).split("+++\n")[1]
    assert tomllib.loads(front) == {
        "title": title, "outlet": 'The "Quoted" \\ Outlet', "url": "https://example.com/a?b=1",
        "published": date(2025, 1, 30), "author": author,
    }  # fmt: skip
