"""`casebot add SOURCE [--corpus DIR] [--yes] [--json]`: the command line's way in."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.intake import IntakeError, Options, commit
from bot.intake.worker import prepare_in_child

EXIT_OK = 0
EXIT_PROBLEM = 1


def run_add(
    source: str,
    corpus_dir: Path,
    options: Options,
    *,
    yes: bool,
    as_json: bool,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Preview `source`, ask (unless `yes`), write it; returns the exit code.

    The source is fetched and read in a child process, as in chat (bot/intake/worker.py).
    With `as_json` the preview goes to stderr, so stdout holds only the one JSON object.
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        draft = asyncio.run(prepare_in_child(source, corpus_dir, options))
    except IntakeError as error:
        print(f"casebot add: not added: {error}", file=stderr)
        return EXIT_PROBLEM
    shown = stderr if as_json else stdout
    print("\n".join(draft.preview()), file=shown, flush=True)
    if not yes:
        if not stdin.isatty():
            print(
                "casebot add: not added: standard input is not a terminal to ask on; "
                "run with --yes to add without asking.",
                file=stderr,
            )
            return EXIT_PROBLEM
        print(f"Add it to {corpus_dir}? [y/N] ", end="", file=shown, flush=True)
        answer = stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print("Not added; nothing was written.", file=shown)
            return EXIT_OK
    try:
        path = commit(draft, corpus_dir)
    except IntakeError as error:
        print(f"casebot add: not added: {error}", file=stderr)
        return EXIT_PROBLEM
    if as_json:
        front = {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in draft.front_matter.items()
        }
        print(json.dumps({"path": str(path), "front_matter": front}, ensure_ascii=False), file=stdout)
    else:
        print(f"Added {path}. Reload casebot (/case reload, or restart) to serve it.", file=stdout)
    return EXIT_OK
