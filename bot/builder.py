"""Where a reload's index is built: a thread for a small corpus, a child process otherwise.

Building in a thread keeps the event loop free only in part: the thread still needs the
GIL, and each time an answer on the loop lets go of it (numpy does, for every sort) the
builder holds it for up to the switch interval (5 ms). Measured on 10,000 passages, answers
during the build took ~200 ms instead of ~2 ms. In a child process the build shares nothing
with the loop; its result comes back in small frames (`retrieval.handover`) read in
between other work, so the loop's worst stall during such a reload stays in the tens of
milliseconds.

A child costs ~0.15 s to start and the handover some more, more than a small corpus takes
to build, so corpora whose article files total under `CHILD_PROCESS_BYTES` are still built
in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import retrieval.handover
from retrieval.handover import HEADER, Assembler, HandoverError, read_frame
from retrieval.index import Index

# Articles totalling more than this are indexed in a child process. The seed corpus is
# ~30 KB (58 passages, built in ~20 ms); 256 KB is about 800 passages, ~0.15 s in a thread.
CHILD_PROCESS_BYTES = 256 * 1024
# What the child runs, and the directory holding `retrieval` (the repository, or
# site-packages), put first on its path so it runs the same code as this process.
_CHILD_MODULE = "retrieval.handover"
_CODE_ROOT = Path(retrieval.handover.__file__).resolve().parents[1]


class BuildFailed(RuntimeError):
    """The child process failed to build the index (its message says why)."""


def wants_child_process(directory: str | os.PathLike[str]) -> bool:
    """Whether the corpus in `directory` is big enough to index in a child process."""
    total = 0
    with contextlib.suppress(OSError):
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and entry.is_file():
                    total += entry.stat().st_size
    return total > CHILD_PROCESS_BYTES


async def build_in_child(directory: str | os.PathLike[str]) -> Index:
    """Load and index the corpus in `directory` in a child process; return the index.

    Cancelling the call kills the child.

    Raises:
        CorpusError: the corpus is invalid (every problem, as from `load_corpus`).
        BuildFailed: the build raised, or the child died or broke off.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(_CODE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", _CHILD_MODULE, os.fspath(directory),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    assembler = Assembler()
    try:
        while not assembler.done:
            try:
                header = await process.stdout.readexactly(HEADER.size)
                data = await process.stdout.readexactly(HEADER.unpack(header)[0])
            except asyncio.IncompleteReadError:
                code = await process.wait()
                raise BuildFailed(
                    f"the index builder stopped with exit code {code} before it was done"
                ) from None
            try:
                assembler.add(*read_frame(data))
            except HandoverError as error:
                raise BuildFailed(str(error)) from None
        await process.wait()
        try:
            return assembler.index()
        except HandoverError as error:
            raise BuildFailed(str(error)) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
