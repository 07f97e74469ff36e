"""Building a reload's index in a child process: the same index, the same errors, no leftovers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import retrieval.answering
from bot import builder
from bot.builder import BuildFailed, build_in_child, wants_child_process
from bot.children import CODE_ROOT
from bot.queries import load_index
from retrieval.corpus import CorpusError, load_corpus
from retrieval.handover import Assembler, HandoverError, frames
from retrieval.index import build_index


def _same_index(a: object, b: object) -> None:
    assert a.passages == b.passages  # type: ignore[attr-defined]
    assert a.corpus.articles == b.corpus.articles  # type: ignore[attr-defined]
    assert a.idf == b.idf and a.document_frequency == b.document_frequency  # type: ignore[attr-defined]
    assert list(a.postings) == list(b.postings)  # type: ignore[attr-defined]
    for name in ("starts", "passages", "scores"):
        assert np.array_equal(getattr(a.postings, name), getattr(b.postings, name))  # type: ignore[attr-defined]
    assert a.developments == b.developments  # type: ignore[attr-defined]
    assert (a.max_idf, a.idf_floor) == (b.max_idf, b.idf_floor)  # type: ignore[attr-defined]
    assert a.analyzer.acronyms == b.analyzer.acronyms  # type: ignore[attr-defined]


def test_frames_rebuild_the_same_index(seed_corpus_dir: Path) -> None:
    index = build_index(load_corpus(seed_corpus_dir))
    assembler = Assembler()
    for kind, payload in frames(index):
        assembler.add(kind, payload)
    rebuilt = assembler.index()
    _same_index(index, rebuilt)
    assert rebuilt.corpus.loaded_at == index.corpus.loaded_at
    question = "How much are plaintiffs asking per user?"
    assert retrieval.answering.ask(rebuilt, question) == retrieval.answering.ask(index, question)


def test_an_incomplete_stream_is_refused(seed_corpus_dir: Path) -> None:
    assembler = Assembler()
    with pytest.raises(HandoverError):
        assembler.add("article", None)  # before the head
    for kind, payload in frames(build_index(load_corpus(seed_corpus_dir))):
        if kind == "end":
            break
        assembler.add(kind, payload)
    with pytest.raises(HandoverError):
        assembler.index()


async def test_the_child_builds_what_the_desk_would(seed_corpus_dir: Path) -> None:
    _same_index(load_index(seed_corpus_dir), await build_in_child(seed_corpus_dir))


async def test_the_child_reports_every_corpus_problem(
    make_corpus: Callable[..., Path], article_text: Callable[..., str]
) -> None:
    broken = make_corpus(
        {
            "good.md": article_text(outlet="Good", paragraphs=["LinkedIn was sued."]),
            "bad.md": "no front matter here\n",
            "worse.md": '+++\nurl = "not a url"\n+++\nText.\n',
        },
        name="broken",
    )
    with pytest.raises(CorpusError) as in_process:
        load_corpus(broken)
    with pytest.raises(CorpusError) as in_child:
        await build_in_child(broken)
    assert in_child.value.problems == in_process.value.problems
    assert {p.file for p in in_child.value.problems} == {"bad.md", "worse.md"}


async def test_a_child_that_dies_is_a_build_failure(
    seed_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module that exits at once stands in for a builder killed by the OOM killer.
    monkeypatch.setattr(builder, "_CHILD_MODULE", "this_module_does_not_exist")
    with pytest.raises(BuildFailed, match="exit code 1"):
        await build_in_child(seed_corpus_dir)


async def test_cancelling_kills_the_child(
    seed_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: object, **kwargs: object) -> asyncio.subprocess.Process:
        process = await spawn(*args, **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    building = asyncio.create_task(build_in_child(seed_corpus_dir))
    while not started:
        await asyncio.sleep(0.01)
    building.cancel()
    with pytest.raises(asyncio.CancelledError):
        await building
    assert started[0].returncode is not None


def test_only_a_large_corpus_goes_to_a_child(tmp_path: Path, seed_corpus_dir: Path) -> None:
    assert not wants_child_process(seed_corpus_dir)
    assert not wants_child_process(tmp_path / "missing")
    (tmp_path / "big.md").write_bytes(b"x" * (builder.CHILD_PROCESS_BYTES + 1))
    (tmp_path / "notes.txt").write_bytes(b"x" * (builder.CHILD_PROCESS_BYTES + 1))
    assert wants_child_process(tmp_path)
    (tmp_path / "big.md").unlink()
    assert not wants_child_process(tmp_path)  # only articles (*.md) count


@pytest.mark.parametrize("name", ["README.md", "readme.md", ".big.md"])
def test_a_big_file_that_is_no_article_does_not_send_the_corpus_to_a_child(
    make_corpus: Callable[..., Path], article_text: Callable[..., str], name: str
) -> None:
    # The loader's rule (`is_article_file`): README.md and hidden files are not articles.
    good = article_text(outlet="Good", paragraphs=["LinkedIn was sued."])
    corpus = make_corpus({"good.md": good})
    (corpus / name).write_bytes(b"x" * (builder.CHILD_PROCESS_BYTES + 1))
    assert not wants_child_process(corpus)
    (corpus / "big.md").write_bytes(b"x" * (builder.CHILD_PROCESS_FILE_BYTES + 1))
    assert wants_child_process(corpus)  # the same size as an article does


# --- the child gets no secrets and dies with its parent (issue 9) ------------------------

# The real builder child, stuck in its build; it first records what it was given.
_RECORDING_CHILD = """\
import json, os, time
from pathlib import Path
from bot import builder

out = Path(__file__).with_name("child.json")
# Written whole, then renamed: the test waits for the name, and must never read half a file.
out.with_suffix(".tmp").write_text(json.dumps({"pid": os.getpid(), "env": dict(os.environ)}))
os.replace(out.with_suffix(".tmp"), out)
builder.load_and_index = lambda *args, **kwargs: time.sleep(600)
try:
    builder.main()
finally:
    time.sleep(600)  # stuck whatever main() did
"""


def _recording_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "recording_child.py").write_text(_RECORDING_CHILD)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(builder, "_CHILD_MODULE", "recording_child")
    return tmp_path / "child.json"


async def test_the_child_gets_none_of_the_parents_secrets(
    seed_corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-never-in-the-child",
        "SLACK_SIGNING_SECRET": "signing-never-in-the-child",
        "SLACK_APP_TOKEN": "xapp-never-in-the-child",
        "DISCORD_TOKEN": "discord-never-in-the-child",
        "SOME_CLOUD_KEY": "anything-else-stays-out-too",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    record = _recording_child(tmp_path, monkeypatch)
    building = asyncio.create_task(build_in_child(seed_corpus_dir))
    async with asyncio.timeout(30):
        while not record.exists():
            await asyncio.sleep(0.05)
    building.cancel()
    with pytest.raises(asyncio.CancelledError):
        await building
    env = json.loads(record.read_text())["env"]
    assert not set(secrets) & set(env)
    assert not any(value in json.dumps(env) for value in secrets.values())
    assert str(tmp_path) in env["PYTHONPATH"]  # what it needs to run still comes


_PARENT = """\
import asyncio, sys
from pathlib import Path
from bot import builder
builder._CHILD_MODULE = "recording_child"
asyncio.run(builder.build_in_child(Path(sys.argv[1])))
"""


def _gone(pid: int) -> bool:
    """Whether `pid` has exited (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_child_dies_when_its_parent_is_killed(
    seed_corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _recording_child(tmp_path, monkeypatch)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(CODE_ROOT)])}
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(seed_corpus_dir)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not record.exists():
            assert time.monotonic() < deadline and parent.poll() is None
            time.sleep(0.05)
        child = json.loads(record.read_text())["pid"]
        assert not _gone(child)
    finally:
        parent.kill()  # SIGKILL: the parent gets no chance to clean up
        parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(child):
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the builder child outlived its parent")
        time.sleep(0.05)


# --- one child for every corpus of a reload (issue 22) -----------------------------------


def _recording_spawns(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.subprocess.Process]:
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: object, **kwargs: object) -> asyncio.subprocess.Process:
        process = await spawn(*args, **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    return started


async def test_one_child_builds_each_corpus_in_turn_each_its_own(
    seed_corpus_dir: Path,
    make_corpus: Callable[..., Path],
    article_text: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = _recording_spawns(monkeypatch)
    orchards = make_corpus(
        {"pears.md": article_text(outlet="Orchard News", paragraphs=["Quincefield growers sued."])},
        name="orchards",
    )
    broken = make_corpus({"bad.md": "no front matter here\n"}, name="broken")
    async with builder.Builder() as builds:
        first = await builds.build_in_child(seed_corpus_dir)
        with pytest.raises(CorpusError):  # a corpus's problems do not end the child
            await builds.build_in_child(broken)
        second = await builds.build_in_child(orchards)
        again = await builds.build_in_child(seed_corpus_dir)
    assert len(started) == 1 and started[0].returncode == 0  # ended at the end of its input
    _same_index(first, load_index(seed_corpus_dir))
    _same_index(again, first)
    _same_index(second, load_index(orchards))
    # Nothing of the corpus built before is in the next one.
    assert "quincefield" in second.words and "quincefield" not in first.words
    assert "linkedin" in first.words and "linkedin" not in second.words
    assert {p.source_id for p in second.passages} == {s for s in second.sources}


async def test_after_a_failed_build_the_next_one_starts_a_new_child(
    seed_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _recording_spawns(monkeypatch)
    async with builder.Builder() as builds:
        building = asyncio.create_task(builds.build_in_child(seed_corpus_dir))
        while not started:
            await asyncio.sleep(0.01)
        building.cancel()
        with pytest.raises(asyncio.CancelledError):
            await building
        assert started[0].returncode is not None  # killed
        rebuilt = await builds.build_in_child(seed_corpus_dir)
    assert len(started) == 2
    _same_index(rebuilt, load_index(seed_corpus_dir))
