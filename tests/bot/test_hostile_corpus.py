"""Corpus files written to hurt: none may freeze the bot, crash the loader or go unnamed.

An adversarial review (issue 9) found a heading line of 60,000 "#" that stalled the event
loop for seconds on reload, and front matter that made tomllib raise errors the loader
did not expect. Every file, whatever it holds, must load quickly or be a `CorpusError`
naming it; a reload has a time limit and keeps the old corpus when it is passed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import builder
from bot.cli import main
from bot.desk import Caller, Desk
from bot.ops.loop_monitor import (
    LoopMonitor,
    freeze_long_lived_objects,
    unfreeze_long_lived_objects,
)
from bot.settings import Settings
from retrieval.corpus import CorpusError, validate_corpus

ADMIN = Caller(platform="slack", user_id="U-ADMIN", is_admin=True)
FRONT = '+++\ntitle = "Hostile"\noutlet = "Hostile Times"\npublished = 2025-01-22\n+++\n'
GOOD = FRONT + "LinkedIn was sued over Premium private messages.\n"
MAX_STALL = 0.100


# --- 1. linear parsing, bounded reloads --------------------------------------------------

# The heading pattern the loader used before: kept here as the specification of what a
# heading is, checked against the hand-written reader on short lines only.
_OLD_HEADING = re.compile(r"#{1,6}(?:\s+(?P<text>.*?))?\s*#*")


@given(st.text(alphabet="# ab", max_size=14))
def test_the_heading_reader_means_what_the_old_pattern_meant(raw: str) -> None:
    from retrieval.corpus import _heading

    line = " ".join(raw.split())  # as the loader gives it lines
    if not line:
        return
    match = _OLD_HEADING.fullmatch(line)
    expected = None if match is None else (match.group("text") or "")
    assert _heading(line) == expected


# What stalled the loop: ~60 KB lines that made a pattern backtrack, and one huge
# paragraph, parsed in single calls that held the GIL (now built in a child process).
HOSTILE_BODIES = {
    "hashes": "# " + "#" * 60_000 + " x",
    "spaces": "Updated January 30: more" + " " * 60_000 + "text",
    "one huge sentence": "a." * 120_000,
}


@pytest.mark.slow
@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
async def test_a_hostile_article_reloads_without_stalling_the_event_loop(
    make_corpus: Callable[..., Path], make_settings: Callable[..., Settings], body: str
) -> None:
    corpus = make_corpus({"good.md": GOOD})
    desk = await Desk.open(make_settings(corpus_dir=corpus))
    try:
        (corpus / "hostile.md").write_text(FRONT + "Text.\n\n" + body + "\n")
        # As `casebot serve` does once it is ready.
        freeze_long_lived_objects()
        monitor = LoopMonitor()
        monitor.start()
        reply = await desk.handle("/case reload", ADMIN)
        # The sample under way during the reload is recorded when it wakes.
        await asyncio.sleep(5 * monitor.interval)
        await monitor.stop()
    finally:
        unfreeze_long_lived_objects()
        await desk.close()
    assert reply.answer.kind == "reload", reply.answer.text
    assert monitor.samples > 0
    assert monitor.worst < MAX_STALL, monitor.summary()


def test_the_small_hostile_articles_are_parsed_in_a_thread_the_huge_one_in_a_child(
    make_corpus: Callable[..., Path],
) -> None:
    # The first two must be safe in a thread of the serving process: the parsers are linear.
    for name, body in HOSTILE_BODIES.items():
        corpus = make_corpus({"hostile.md": FRONT + body}, name=name.replace(" ", "-"))
        assert builder.wants_child_process(corpus) == (name == "one huge sentence")


async def test_a_reload_past_its_time_limit_names_the_file_and_keeps_the_old_corpus(
    make_corpus: Callable[..., Path], make_settings: Callable[..., Settings]
) -> None:
    corpus = make_corpus({"good.md": GOOD})
    # The limit applies to reloads; the first load at start has none.
    desk = await Desk.open(make_settings(corpus_dir=corpus, reload_timeout=1e-9))
    try:
        before = desk.index
        (corpus / "another.md").write_text(GOOD)
        reply = await desk.handle("/case reload", ADMIN)
        assert reply.answer.kind == "error"
        assert reply.answer.text.startswith("Reload failed; still serving")
        (problem,) = reply.answer.notes
        assert problem.startswith("another.md: loading the corpus took longer than its time limit")
        assert desk.index is before
        (load, *_) = await desk.store.recent_loads(1)
        assert load.result == "failed" and "another.md" in " ".join(load.errors)
    finally:
        await desk.close()


async def test_a_large_corpus_built_in_a_child_stops_at_the_time_limit_naming_the_file(
    make_corpus: Callable[..., Path],
) -> None:
    big = FRONT + ("LinkedIn was sued over Premium private messages. " * 20 + "\n\n") * 300
    corpus = make_corpus({"a.md": big, "b.md": big})
    assert builder.wants_child_process(corpus)
    with pytest.raises(CorpusError) as raised:
        await builder.build(corpus, time_limit=1e-9)
    (problem,) = raised.value.problems
    assert problem.file == "a.md" and "time limit" in problem.message


async def test_a_child_that_does_not_stop_by_itself_is_killed_after_the_time_limit(
    seed_corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stuck_builder.py").write_text("import time\ntime.sleep(600)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(builder, "_CHILD_MODULE", "stuck_builder")
    monkeypatch.setattr(builder, "_KILL_GRACE", 0.5)
    with pytest.raises(builder.BuildFailed, match="time limit of 0.5 s and was stopped"):
        await builder.build_in_child(seed_corpus_dir, time_limit=0.5)


# --- 4. whatever a file does to the loader, it is named ----------------------------------


def _problems(tmp_path: Path, data: bytes) -> tuple[str, ...]:
    corpus = tmp_path / "fuzz"
    corpus.mkdir(exist_ok=True)
    (corpus / "good.md").write_text(GOOD)
    (corpus / "fuzz.md").write_bytes(data)
    _, problems = validate_corpus(corpus)
    # Only the hostile file can be at fault, and each problem names it.
    assert all(problem.file == "fuzz.md" and problem.message for problem in problems)
    return tuple(str(problem) for problem in problems)


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("n = " + "1" * 5000, "front matter is not valid TOML"),
        ("n = " + "[" * 5000 + "]" * 5000, "nest too deeply"),
        ("n = " + "{a = " * 3000 + "1" + "}" * 3000, "nest too deeply"),
    ],
    ids=["integer of 5,000 digits", "deep arrays", "deep inline tables"],
)
def test_front_matter_that_breaks_tomllib_is_a_problem_naming_the_file(
    tmp_path: Path, front_matter: str, expected: str
) -> None:
    (problem,) = _problems(tmp_path, f"+++\n{front_matter}\n+++\nText.\n".encode())
    assert problem.startswith("fuzz.md: ") and expected in problem


def test_validate_names_such_a_file_and_exits_1_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "bad"
    corpus.mkdir()
    (corpus / "deep.md").write_text("+++\nn = " + "[" * 5000 + "]" * 5000 + "\n+++\nText.\n")
    assert main(["validate", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert "deep.md: front matter is not valid TOML" in err and "Traceback" not in err


_FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_FUZZ
@given(body=st.binary(max_size=300))
def test_any_bytes_are_an_article_or_problems_naming_the_file(tmp_path: Path, body: bytes) -> None:
    for data in (body, b"+++\n" + body, b"+++\n" + body + b"\n+++\nText.\n"):
        _problems(tmp_path, data)


def _toml_value(depth: int) -> st.SearchStrategy[str]:
    scalars = st.one_of(
        st.integers().map(str),
        st.integers(min_value=4_250, max_value=4_400).map(lambda n: "9" * n),
        st.sampled_from(['"text"', "2025-01-22", "2025-01-22T10:00:00", "true", "1e400", "nan"]),
        st.text(max_size=10).map(lambda s: '"' + s + '"'),
    )
    nested = st.tuples(st.sampled_from(["[", "{a = "]), st.integers(0, depth)).map(
        lambda t: t[0] * t[1] + "1" + ("]" if t[0] == "[" else "}") * t[1]
    )
    return st.one_of(scalars, nested)


@_FUZZ
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(["title", "outlet", "url", "published", "updated", "x", "a.b"]),
            _toml_value(depth=3_000),
        ),
        max_size=4,
    ),
    tables=st.lists(st.sampled_from(["[t]", "[[t]]", "[title]", "[a.b.c]"]), max_size=2),
)
def test_any_toml_structure_is_an_article_or_problems_naming_the_file(
    tmp_path: Path, entries: list[tuple[str, str]], tables: list[str]
) -> None:
    lines = [f"{key} = {value}" for key, value in entries] + tables
    front = "\n".join(lines)
    _problems(tmp_path, f"+++\n{front}\n+++\nLinkedIn was sued.\n".encode())
