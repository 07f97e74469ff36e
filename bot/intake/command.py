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
from bot.render.json import error_to_json

EXIT_OK = 0
EXIT_PROBLEM = 1
# As `casebot` exits after Ctrl-C anywhere (bot/cli.py).
EXIT_INTERRUPTED = 130


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
    With `as_json` the preview goes to stderr, so stdout holds only the one JSON object
    (`{"kind": "error", …}` when it is not added).
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr

    def refuse(reason: str) -> int:
        message = f"casebot add: not added: {reason}"
        print(message, file=stderr)
        if as_json:
            print(json.dumps(error_to_json(message), ensure_ascii=False), file=stdout)
        return EXIT_PROBLEM

    try:
        draft = asyncio.run(prepare_in_child(source, corpus_dir, options))
    except IntakeError as error:
        return refuse(str(error))
    shown = stderr if as_json else stdout
    print("\n".join(draft.preview()), file=shown, flush=True)
    if not yes:
        if not stdin.isatty():
            return refuse(
                "standard input is not a terminal to ask on; run with --yes to add without "
                "asking."
            )
        try:
            print(f"Add it to {corpus_dir}? [y/N] ", end="", file=shown, flush=True)
            answer = stdin.readline().strip().lower()
        except KeyboardInterrupt:
            # Ctrl-C at the question is a no, said at once.
            print("\nNot added; nothing was written.", file=shown)
            return EXIT_INTERRUPTED
        if answer not in ("y", "yes"):
            print("Not added; nothing was written.", file=shown)
            return EXIT_OK
    try:
        path = commit(draft, corpus_dir)
    except IntakeError as error:
        return refuse(str(error))
    if as_json:
        front = {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in draft.front_matter.items()
        }
        print(json.dumps({"path": str(path), "front_matter": front}, ensure_ascii=False), file=stdout)
    else:
        print(f"Added {path}. Reload casebot (/case reload, or restart) to serve it.", file=stdout)
    return EXIT_OK
