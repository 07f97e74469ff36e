"""Each `add`'s work, `prepare`, in a child process of its own.

The serving process answers questions from one event loop and a few threads. A page or a
PDF chosen to hurt can cost any amount of time, CPU and memory to fetch and read (a server
dripping its headers, a compression bomb, a PDF whose one content stream is drawn on every
page), and a thread cannot be stopped. So `casebot add` and `/case add` run `prepare` in a
child process (`python -m bot.intake.worker`), which:

* **can be killed**: the whole job (fetch, extraction, checks) has a limit, `job_seconds`:
  the fetch's deadline, plus the extraction's, plus a few seconds to start. Past it, or when
  the request is cancelled (casebot stopping), the child is killed and nothing is left
  running; within it, the child's own limits stop it with a sentence that says which;
* **yields to answering**: it runs at a lower priority (nice 10), so on a busy machine the
  questions go first;
* **has a memory ceiling** (RLIMIT_AS): should a bomb get past the size limits, the child
  fails, not the server;
* holds none of the parent's secrets and dies with its parent (bot/children.py).

The request goes to the child's stdin as JSON; the draft, or the sentence refusing it, comes
back on its stdout as JSON.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.children import child_command, child_environment, die_with_parent, killed_at_the_end
from bot.intake import Draft, IntakeError, Options, prepare
from bot.intake.draft import Extracted

logger = logging.getLogger(__name__)

_CHILD_MODULE = "bot.intake.worker"
# Seconds a child is given, beyond its fetch and extraction limits, to start Python, load
# the extractors and check the result against the corpus.
START_SECONDS = 10.0
# The child's address space: the interpreter with lxml, trafilatura and pypdf loaded maps
# ~70 MB; the floor leaves room for a large document's parse trees, and the body with a few
# copies of it (decoded, extracted, checked) fits in the rest.
_MEMORY_FLOOR = 512 * 1024 * 1024
_MEMORY_PER_BODY_BYTE = 24
# Lower than the serving process, so answers get the CPU first.
_NICENESS = 10


def job_seconds(options: Options) -> float:
    """How long one job may take before its child is killed."""
    return options.timeout + options.extract_timeout + START_SECONDS


async def prepare_in_child(source: str, corpus_dir: Path, options: Options) -> Draft:
    """`prepare(source, corpus_dir, options)`, run in a child process; killed when the job
    passes `job_seconds(options)` or the caller is cancelled.

    Raises:
        IntakeError: the source's refusal, or the job's, in one sentence.
    """
    request = json.dumps(
        {"source": source, "corpus_dir": os.fspath(Path(corpus_dir).resolve()),
         "options": dataclasses.asdict(options)}
    ).encode()  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *child_command(_CHILD_MODULE, str(os.getpid())),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=child_environment(),
    )  # fmt: skip
    try:
        async with killed_at_the_end(process), asyncio.timeout(job_seconds(options)):
            out, err = await process.communicate(request)
    except TimeoutError:
        raise IntakeError(
            f"fetching and reading it took longer than {job_seconds(options):g} seconds, so "
            "casebot stopped it."
        ) from None
    return _reply(out, err, process.returncode)


def _reply(out: bytes, err: bytes, code: int | None) -> Draft:
    try:
        reply = json.loads(out)
    except ValueError:
        # A bug or a crash in the child, not a refusal: the operator gets its last words,
        # escaped (repr) so nothing the page held can forge a log line.
        logger.warning(
            "the intake worker stopped with exit code %s: %r", code, err[-2000:].decode(errors="replace")
        )
        raise IntakeError(
            f"casebot could not read it (the reader stopped with exit code {code})."
        ) from None
    if "refused" in reply:
        raise IntakeError(reply["refused"])
    return draft_from_json(reply["draft"])


def draft_to_json(draft: Draft) -> dict[str, Any]:
    extracted = {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in dataclasses.asdict(draft.extracted).items()
    }
    return {"extracted": extracted, "name": draft.name, "text": draft.text, "url": draft.url}


def draft_from_json(data: dict[str, Any]) -> Draft:
    fields = dict(data["extracted"])
    for key in ("published", "updated"):
        fields[key] = date.fromisoformat(fields[key]) if fields[key] else None
    for key in ("blocks", "notes"):
        fields[key] = tuple(fields[key])
    return Draft(
        extracted=Extracted(**fields), name=data["name"], text=data["text"], url=data["url"]
    )


def _limit_this_process(options: Options) -> None:
    import resource

    os.nice(_NICENESS)
    memory = _MEMORY_FLOOR + _MEMORY_PER_BODY_BYTE * options.max_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)  # never above what the operator already set
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def main() -> int:
    """The child: `python -m bot.intake.worker PARENT_PID`, the request on stdin."""
    die_with_parent(int(sys.argv[1]))
    request = json.loads(sys.stdin.buffer.read())
    options = Options(**request["options"])
    _limit_this_process(options)
    # The reply owns stdout: anything else that prints goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    try:
        draft = prepare(request["source"], Path(request["corpus_dir"]), options)
        reply: dict[str, Any] = {"draft": draft_to_json(draft)}
    except IntakeError as error:
        reply = {"refused": str(error)}
    except MemoryError:
        reply = {"refused": "reading it needed more memory than casebot gives one add."}
    with out:
        json.dump(reply, out, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
