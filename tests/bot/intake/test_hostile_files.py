"""Hostile documents and files: PDF bombs, a corpus file served as a page, FIFOs and devices,
CRLF files, a write that fails half-way, and removals that must never overwrite.

Waits are generous timeouts, never measurements.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.intake import IntakeError, Options, commit, prepare, remove
from bot.intake.writer import REMOVED_DIR
from retrieval.answering import ask
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.intake_pages import (
    COMPLAINT_PARAGRAPHS,
    SLOW_PROGRAM,
    TEXT_PROGRAM,
    shared_stream_pdf,
)
from tests.support.intake_server import Route, Site, serve

REPO_ROOT = Path(__file__).resolve().parents[3]
OPTIONS = Options(allow_private=True, timeout=10, max_bytes=200_000)


# --- PDFs that cost far more than their size ------------------------------------------------


def test_a_pdf_whose_text_runs_past_the_limit_stops_there(tmp_path: Path, small_corpus_dir: Path) -> None:
    # 50 pages drawing one ~150 KB text program: megabytes of text from a few KB.
    path = shared_stream_pdf(tmp_path / "bomb.pdf", pages=50, program=TEXT_PROGRAM)
    assert path.stat().st_size < 10_000
    with pytest.raises(IntakeError, match=r"text runs past 200,000 characters"):
        prepare(str(path), small_corpus_dir, OPTIONS)


def test_a_pdf_slow_to_read_is_stopped_at_the_extraction_time_limit(
    tmp_path: Path, small_corpus_dir: Path
) -> None:
    # Each page reads for most of a second and yields one word; 60 of them.
    path = shared_stream_pdf(tmp_path / "slow.pdf", pages=60, program=SLOW_PROGRAM)
    started = time.monotonic()
    with pytest.raises(IntakeError, match=r"reading the PDF took longer than 1 seconds"):
        prepare(str(path), small_corpus_dir, Options(allow_private=True, extract_timeout=1))
    assert time.monotonic() - started < 15


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_time_limit_holds_when_an_alarm_is_dropped() -> None:
    # Python prints and drops an exception raised in a garbage collector callback (as
    # hypothesis installs one in this test run): the limit must come again.
    import gc

    from bot.intake.timer import time_limit

    started = time.monotonic()

    def callback(phase: str, info: dict[str, int]) -> None:
        # The first collection lasts past the limit, so the first alarm lands in here.
        if time.monotonic() - started < 0.5:
            time.sleep(0.5)

    gc.callbacks.append(callback)
    try:
        with pytest.raises(IntakeError, match="spinning took longer than 0.2 seconds"):
            with time_limit(0.2, "spinning"):
                # One collection, whose callback outlasts the limit: the first alarm lands
                # there and is dropped. (Collecting on every turn, as this test once did,
                # spent most of its time in collections of the whole test run's heap, so
                # the alarms kept landing in callbacks and the test failed now and then.)
                gc.collect()
                while time.monotonic() - started < 10:
                    [n * n for n in range(100_000)]  # Python work, where an alarm can land
    finally:
        gc.callbacks.remove(callback)
    assert time.monotonic() - started < 10


# --- a page that is a corpus file -----------------------------------------------------------

FOREIGN_FILE = textwrap.dedent(
    """\
    +++
    title = "LinkedIn sued over AI training"
    outlet = "Reuters"
    url = "https://www.reuters.com/legal/linkedin-sued/"
    published = 2025-01-22
    +++

    """
) + "\n\n".join(COMPLAINT_PARAGRAPHS) + "\n"


TITLED_COPY = "A copy of an article file\n\n" + FOREIGN_FILE


@pytest.fixture
def site() -> Iterator[Site]:
    text = {"Content-Type": "text/plain; charset=utf-8"}
    routes = {
        "/article.md": Route(body=FOREIGN_FILE.encode(), headers=text),
        "/copy.txt": Route(body=TITLED_COPY.encode(), headers=text),
    }
    with serve(routes) as running:
        yield running


def test_a_corpus_file_served_as_a_page_is_not_taken_at_its_word(site: Site, small_corpus_dir: Path) -> None:
    before = sorted(small_corpus_dir.iterdir())
    with pytest.raises(IntakeError, match=r"front matter is read as text.*add the file instead"):
        prepare(site.url("/article.md"), small_corpus_dir, OPTIONS)
    assert sorted(small_corpus_dir.iterdir()) == before


def test_front_matter_in_a_fetched_page_is_text_never_metadata(site: Site, small_corpus_dir: Path) -> None:
    draft = prepare(site.url("/copy.txt"), small_corpus_dir, OPTIONS)
    # The fetched URL is the source; the page's own claims to an outlet and date are not.
    assert draft.front_matter == {"title": "A copy of an article file", "url": site.url("/copy.txt")}
    assert not draft.name.startswith("reuters") and draft.name != "copy.txt"
    # The preview is what will be written: its fields and its first paragraph.
    preview = draft.preview()
    assert "Outlet: (none found)" in preview and "Published: undated" in preview
    assert f"Paragraphs: {len(COMPLAINT_PARAGRAPHS) + 1}" in preview
    assert any(line.startswith('> +++ title = "LinkedIn sued') for line in preview)
    path = commit(draft, small_corpus_dir)
    source = next(a.source for a in load_corpus(small_corpus_dir).articles if a.source.id == path.stem)
    assert (source.title, source.outlet, source.published) == ("A copy of an article file", None, None)
    assert source.url == site.url("/copy.txt")
    # Answers never quote it as Reuters.
    answer = ask(build_index(load_corpus(small_corpus_dir)), "Which court has jurisdiction over this action?")
    assert any(q.source.id == path.stem for q in answer.quotes)
    assert all(q.source.outlet != "Reuters" for q in answer.quotes)
    # The same URL again is a duplicate.
    with pytest.raises(IntakeError, match=f"already in the corpus, as {path.name}"):
        prepare(site.url("/copy.txt"), small_corpus_dir, OPTIONS)


def test_a_local_corpus_file_with_windows_line_endings_is_added(
    tmp_path: Path, small_corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "delta-wire.md"
    source.write_bytes(FOREIGN_FILE.replace("\n", "\r\n").encode())
    assert main(["add", str(source), "--corpus", str(small_corpus_dir), "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["front_matter"]["outlet"] == "Reuters"
    assert result["front_matter"]["published"] == "2025-01-22"
    written = Path(result["path"]).read_bytes()
    assert b"\r" not in written
    assert main(["validate", str(small_corpus_dir)]) == 0


# --- paths that are not regular files ------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
def test_casebot_add_reads_only_regular_files(tmp_path: Path, small_corpus_dir: Path, kind: str) -> None:
    path = tmp_path / "story.txt"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    # In a process of its own with a memory ceiling, so reading forever fails the test
    # instead of the machine.
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
    done = subprocess.run(
        [sys.executable, "-c", f"{limit} import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
         "add", str(path), "--corpus", str(small_corpus_dir), "--yes"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "story.txt is not a regular file" in done.stderr and "Traceback" not in done.stderr


# --- writing and removing -------------------------------------------------------------------


def test_a_write_that_fails_half_way_leaves_no_scratch_file(tmp_path: Path, small_corpus_dir: Path) -> None:
    # A full disk, made with a file size limit: the write fails after 4 KB (EFBIG).
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from bot.intake.writer import write
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        write(Path({str(small_corpus_dir)!r}), "big.md", "x" * 100_000)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert "IntakeError: could not write big.md" in done.stderr
    assert sorted(p.name for p in small_corpus_dir.iterdir() if "big" in p.name) == []


def test_a_write_to_a_full_disk_leaves_no_scratch_file(tmp_path: Path) -> None:
    # A 64 KB tmpfs, mounted in a mount namespace of the test's own (root only).
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("mounting a tmpfs needs root and unshare")
    corpus = tmp_path / "full"
    corpus.mkdir()
    script = (
        "import sys; from pathlib import Path; from bot.intake.writer import write\n"
        "try:\n    write(Path(sys.argv[1]), 'big.md', 'x' * 200_000)\n"
        "except Exception as error:\n    print(type(error).__name__, error)\n"
        "import os; print(sorted(os.listdir(sys.argv[1])))\n"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" -c "$3" "$1"',
         "sh", str(corpus), sys.executable, script],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    if "mount:" in done.stderr or "unshare:" in done.stderr:
        pytest.skip(f"no tmpfs here: {done.stderr.strip()}")
    assert done.stdout.splitlines() == [
        "IntakeError could not write big.md into the corpus directory (No space left on device).",
        "[]",
    ], done.stderr


def test_a_write_into_a_read_only_directory_is_refused_cleanly(small_corpus_dir: Path) -> None:
    from bot.intake.writer import write

    # Root writes into a mode 555 directory; an immutable one it cannot.
    root = os.geteuid() == 0
    locked = subprocess.run(["chattr", "+i", str(small_corpus_dir)], capture_output=True) if root else None
    if locked is not None and locked.returncode != 0:
        pytest.skip("chattr +i is not available here")
    if not root:
        small_corpus_dir.chmod(0o555)
    try:
        with pytest.raises(IntakeError, match="could not write x.md into the corpus directory"):
            write(small_corpus_dir, "x.md", "text")
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(small_corpus_dir)], check=True)
        else:
            small_corpus_dir.chmod(0o755)
    assert not [p for p in small_corpus_dir.iterdir() if p.name.endswith(".tmp")]


def test_removing_the_same_id_again_and_again_keeps_every_removed_copy(small_corpus_dir: Path) -> None:
    original = (small_corpus_dir / "alpha.md").read_text(encoding="utf-8")
    versions = [original.replace("+++\n", f"+++\n# version {n}\n", 1) for n in range(3)]
    for text in versions:  # within one second: the stamps are the same
        (small_corpus_dir / "alpha.md").write_text(text, encoding="utf-8")
        remove(small_corpus_dir, "alpha")
    kept = sorted((small_corpus_dir / REMOVED_DIR).iterdir())
    assert len(kept) == 3
    assert sorted(p.read_text(encoding="utf-8") for p in kept) == sorted(versions)


def test_the_corpus_readme_is_no_article_to_remove(small_corpus_dir: Path) -> None:
    (small_corpus_dir / "README.md").write_text("# The corpus\n", encoding="utf-8")
    with pytest.raises(IntakeError, match="no article “README”"):
        remove(small_corpus_dir, "README")
    assert (small_corpus_dir / "README.md").is_file()
