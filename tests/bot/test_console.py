"""How casebot reads in a console: numbered sources, wrapping, quotation marks, the
timeline's date column, help and hints as the console types commands, and line editing."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from bot.commands import for_console, help_answer, parse_command
from bot.render.text import quoted, render_text
from retrieval.model import Answer, Event, Quote, Source

REPO_ROOT = Path(__file__).resolve().parents[2]
LONG_URL = "https://www.techspot.example/community/topics/" + "linkedin-accused-" * 6 + "290394"
TECHSPOT = Source(id="techspot", outlet="TechSpot", title="LinkedIn accused of using personal "
                  "data without consent, even from paid users", url=LONG_URL)  # fmt: skip
REGISTER = Source(id="reg", outlet="The Register", title="Sued", url="https://r.example/1")
UNNAMED = Source(id="u0", title="Unattributed article 000")


def test_sources_are_numbered_and_each_url_listed_once() -> None:
    answer = Answer(
        kind="answer",
        text="Here is what the sources say.",
        quotes=(
            Quote("It was filed in San Jose.", TECHSPOT, None),
            Quote("It seeks $1,000 per user.", REGISTER, date(2025, 1, 22), label="Sought"),
            Quote("LinkedIn denies it.", TECHSPOT, None, also_in=(UNNAMED,)),
        ),
    )
    text = render_text(answer)
    assert text.count(LONG_URL) == 1 and text.count("https://r.example/1") == 1
    assert "  — TechSpot, undated [1]\n" in text
    assert "  — The Register, 2025-01-22 [2]\n" in text
    assert text.count("[1]") == 3 and text.count("[2]") == 2  # cited twice, listed once
    sources = text[text.index("\n\nSources:\n") + 2 :].splitlines()
    assert sources == [
        "Sources:",
        '  [1] TechSpot, "LinkedIn accused of using personal data without consent, even from '
        'paid users"',
        f"      {LONG_URL}",
        '  [2] The Register, "Sued"',
        "      https://r.example/1",
    ]


def test_wrapped_to_the_terminal_with_urls_whole() -> None:
    answer = Answer(
        kind="answer",
        text="Here is what the sources say about a question that takes more than one line.",
        quotes=(Quote("The lawsuit seeks $1,000 per person in statutory damages under the "
                      "SCA, and injunctive relief.", TECHSPOT, None, label="Sought"),),
    )  # fmt: skip
    lines = render_text(answer, width=50).splitlines()
    assert all(len(line) <= 50 for line in lines if LONG_URL not in line)
    assert f"      {LONG_URL}" in lines  # on a line of its own, not broken
    # A wrapped quote goes on under its first word, a source entry under its name.
    start = lines.index("Sought: “The lawsuit seeks $1,000 per person in")
    assert lines[start + 1].startswith(" " * len("Sought: ") + "statutory")
    entry = next(n for n, line in enumerate(lines) if line.startswith("  [1] "))
    assert re.match(r" {6}\S", lines[entry + 1])


def test_quotation_marks_never_double_up() -> None:
    assert quoted("Plain sentence.") == "“Plain sentence.”"
    # Already one whole quotation: as it is.
    assert quoted("“These are false claims with no merit.”") == (
        "“These are false claims with no merit.”"
    )
    assert quoted('"In Section 3.2."') == '"In Section 3.2."'
    # Quotes inside: single marks outside.
    assert quoted("“False claims,” LinkedIn said.") == "‘“False claims,” LinkedIn said.’"
    assert quoted('"A," he said, "B."') == '‘"A," he said, "B."’'
    assert quoted("LinkedIn’s suit") == "“LinkedIn’s suit”"


def test_timeline_dates_are_one_column() -> None:
    events = (
        Event(date(2016, 1, 1), "year", Quote("Microsoft bought LinkedIn.", UNNAMED, None)),
        Event(date(2024, 8, 1), "month", Quote("A setting came in.", REGISTER, None)),
        Event(date(2025, 1, 22), "day", Quote("“It was filed.”", TECHSPOT, None), reported=True),
    )
    lines = render_text(Answer(kind="timeline", text="Events.", events=events)).splitlines()
    rows = lines[2:5]
    assert [row.index("“") for row in rows] == [len("2025-01-22 (reported)  ")] * 3
    assert rows[2].endswith("  “It was filed.” — TechSpot [3]")


def test_console_help_and_hints_type_commands_as_the_console_does() -> None:
    help_text = render_text(for_console(help_answer()))
    assert "/case" not in help_text and "Slack" not in help_text and "@casebot" not in help_text
    assert "\nsources — " in help_text
    assert "/case sources — " in render_text(help_answer())  # unchanged elsewhere

    hint = Answer(kind="no_answer", text="Not covered.", notes=("See `/case sources` for more.",))
    assert for_console(hint).notes == ("See `sources` for more.",)
    assert for_console(hint, "casebot ").notes == ("See `casebot sources` for more.",)


def test_typed_mention_is_not_part_of_the_command() -> None:
    assert parse_command("@casebot sources").name == "sources"
    assert parse_command("@casebot: status").name == "status"
    asked = parse_command("@casebot who is suing LinkedIn?")
    assert (asked.name, asked.argument) == ("ask", "who is suing LinkedIn?")
    assert parse_command("@casebotx sources").name == "ask"


def _read_until(fd: int, pattern: str, timeout: float = 60.0) -> str:
    """What the terminal shows until `pattern` appears (or the time is up)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while re.search(pattern, seen.decode(errors="replace")) is None:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {pattern!r} in {seen.decode(errors='replace')!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
    return seen.decode(errors="replace")


def test_interactive_chat_has_line_editing_and_history(tmp_path: Path) -> None:
    # A real terminal: the up arrow brings back the last line, as readline does.
    controller, terminal = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"], cwd=tmp_path, env=env,
        stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    try:
        _read_until(controller, r"casebot> ")
        os.write(controller, b"sources\r")
        _read_until(controller, r"Corpus loaded[^\n]*\n(.|\n)*casebot> ")
        os.write(controller, b"\x1b[A\r")  # up arrow: "sources" again
        again = _read_until(controller, r"Corpus loaded[^\n]*\n(.|\n)*casebot> ")
        assert "casebot answers from" in again
        assert "^[[A" not in again and "don't cover" not in again
        os.write(controller, b"\x04")  # Ctrl-D ends the chat
        assert _exit_code(process, controller)[0] == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def _terminal(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """`python -m bot.cli ARGS` on a real terminal; returns the process and the terminal's
    controlling end.

    The terminal is the process's controlling terminal (a session of its own, then
    TIOCSCTTY), so a Ctrl-C typed there is a SIGINT to it, as in a shell.
    """
    controller, terminal = pty.openpty()
    full = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TERM": "xterm", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=full,
        stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True,
        start_new_session=True, preexec_fn=_take_terminal,
    )  # fmt: skip
    os.close(terminal)
    return process, controller


@contextlib.contextmanager
def _on_terminal(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`_terminal`, and the process killed (if still running) and the terminal closed after."""
    process, controller = _terminal(args, cwd, env)
    try:
        yield process, controller
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def _exit_code(process: subprocess.Popen[bytes], controller: int, timeout: float = 30.0) -> tuple[int, str]:
    """(exit code, what the terminal shows meanwhile): the output is read as the process
    ends, for a terminal whose output is not read keeps a closing process waiting."""
    shown = b""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, f"still running: {shown.decode(errors='replace')!r}"
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                shown += os.read(controller, 65536)
            except OSError:  # the terminal is closed: the process is ending
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    return process.returncode, shown.decode(errors="replace")


def _take_terminal() -> None:
    # In the child, after setsid and with the terminal on fd 0.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_ctrl_c_at_the_prompt_ends_the_chat_at_once(tmp_path: Path) -> None:
    with _on_terminal(["chat"], tmp_path) as (process, controller):
        _read_until(controller, r"casebot> ")
        # A typed letter echoed back: readline is reading the line.
        os.write(controller, b"x")
        _read_until(controller, r"x")
        os.write(controller, b"\x03")  # Ctrl-C
        try:
            code, shown = _exit_code(process, controller, timeout=5)
        except AssertionError:
            # CPython's readline misses a SIGINT that lands in the instant between its
            # redrawing the line and waiting for the next key (a test types that fast; a
            # person doesn't): the second press ends it. casebot before issue 21 needed
            # three, and showed a traceback at the third.
            os.write(controller, b"\x03")
            code, shown = _exit_code(process, controller)
        assert code == 130
    assert "Traceback" not in shown and "Exception ignored" not in shown
    assert "KeyboardInterrupt" not in shown


def test_add_it_is_its_own_prompt_in_the_chat(tmp_path: Path, small_corpus_dir: Path) -> None:
    from tests.support.intake_pages import news_page
    from tests.support.intake_server import Route, serve

    env = {"CASEBOT_FETCH_PRIVATE": "true", "CASEBOT_CORPUS_DIR": str(small_corpus_dir)}
    with serve({"/story": Route(body=news_page().encode())}) as site:
        with _on_terminal(["chat"], tmp_path, env) as (process, controller):
            _read_until(controller, r"casebot> ")
            os.write(controller, f"add {site.url('/story')}\r".encode())
            preview = _read_until(controller, r"add it\? \(yes/no\) ")
            # The question is the prompt: no "casebot> " after the preview to answer at.
            assert "casebot> " not in preview.split("File: ", 1)[1]
            os.write(controller, b"no\r")
            after = _read_until(controller, r"casebot> ")
            assert "Not added; nothing was written." in after
            os.write(controller, b"\x04")
            assert _exit_code(process, controller)[0] == 0


def test_ctrl_c_at_add_y_n_writes_nothing_and_shows_no_traceback(
    tmp_path: Path, small_corpus_dir: Path
) -> None:
    from tests.support.intake_pages import news_page

    corpus = small_corpus_dir
    page = tmp_path / "saved.html"
    page.write_text(news_page(), encoding="utf-8")
    before = sorted(corpus.iterdir())
    with _on_terminal(["add", str(page), "--corpus", str(corpus)], tmp_path) as (process, controller):
        _read_until(controller, r"\[y/N\] ")
        os.write(controller, b"\x03")
        code, shown = _exit_code(process, controller)
        assert code == 130
    assert "Not added; nothing was written." in shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
    assert sorted(corpus.iterdir()) == before
