"""Where a reload's index is built: a thread for a small corpus, a child process otherwise.

Building in a thread keeps the event loop free only in part: the thread still needs the
GIL, and each time an answer on the loop lets go of it (numpy does, for every sort) the
builder holds it for up to the switch interval (5 ms). Measured on 10,000 passages, answers
during the build took ~200 ms instead of ~2 ms. In a child process the build shares nothing
with the loop; its result comes back in small frames (`retrieval.handover`) read in
between other work, so the loop's worst stall during such a reload stays in the tens of
milliseconds.

This module only starts the child, limits its time, kills it and turns its failures into
`BuildFailed`; what goes over the pipe (framing, writing an index, reading it back) is all
in `retrieval.handover`.

A child costs ~0.15 s to start and the handover some more, more than a small corpus takes
to build, so corpora whose article files total under `CHILD_PROCESS_BYTES` are still built
in a thread.

A reload of many cases builds them through one `Builder`: one child builds every large case
in turn, asked for each over its stdin, rather than a child started per case.

Either way a build has a time limit (CASEBOT_RELOAD_TIMEOUT): the loader stops when it has
passed and names the file it was reading (`retrieval.corpus`); a child that does not stop
is killed soon after. The child runs `python -m bot.builder`, with none of the parent's
environment but what Python needs (so no tokens), and dies with its parent (bot/children.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable

from bot.children import child_command, child_environment, die_with_parent
from retrieval import handover
from retrieval.corpus import CorpusError, is_article_file, load_corpus
from retrieval.errors import CasebotError
from retrieval.handover import HandoverError, StreamEnded
from retrieval.index import Index, build_index
from retrieval.model import Corpus

# Articles totalling more than this are indexed in a child process. The seed corpus is
# ~30 KB (58 passages, built in ~20 ms); 256 KB is about 800 passages, ~0.15 s in a thread.
CHILD_PROCESS_BYTES = 256 * 1024
# So is a corpus with one article file larger than this. A news article is a few KB; a
# big file may hold one huge paragraph, which the loader and the index read in single
# calls that keep the GIL throughout: one of 240 KB stalled the loop ~100 ms, 64 KB < 30.
CHILD_PROCESS_FILE_BYTES = 64 * 1024
# What the child runs.
_CHILD_MODULE = "bot.builder"
# How much longer than the time limit a child is given to stop by itself (it starts its
# clock only once Python is up) before it is killed.
_KILL_GRACE = 5.0


class BuildFailed(CasebotError, RuntimeError):
    """The child process failed to build the index (its message says why)."""


def wants_child_process(directory: str | os.PathLike[str]) -> bool:
    """Whether the corpus in `directory` is big enough to index in a child process."""
    total = largest = 0
    with contextlib.suppress(OSError):
        with os.scandir(directory) as entries:
            for entry in entries:
                if is_article_file(entry.name) and entry.is_file():
                    size = entry.stat().st_size
                    total, largest = total + size, max(largest, size)
    return total > CHILD_PROCESS_BYTES or largest > CHILD_PROCESS_FILE_BYTES


def load_and_index(
    directory: str | os.PathLike[str],
    *,
    time_limit: float | None = None,
    index_with: Callable[[Corpus], Index] = build_index,
) -> Index:
    """Load and index the corpus in `directory`, here (blocking; raises CorpusError)."""
    return index_with(load_corpus(directory, time_limit=time_limit))


async def build(
    directory: str | os.PathLike[str],
    *,
    time_limit: float,
    index_with: Callable[[Corpus], Index] = build_index,
) -> Index:
    """Load and index `directory` off the event loop, in a thread or a child process of
    its own (`Builder` for several: one child builds them all)."""
    async with Builder() as builder:
        return await builder.build(directory, time_limit=time_limit, index_with=index_with)


async def build_in_child(
    directory: str | os.PathLike[str], *, time_limit: float | None = None
) -> Index:
    """Load and index the corpus in `directory` in a child process of its own."""
    async with Builder() as builder:
        return await builder.build_in_child(directory, time_limit=time_limit)


class Builder:
    """Builds corpora off the event loop: small ones in a thread, large ones in a child
    process, one child for every large corpus built through this builder, in turn.

    A reload of many cases rebuilds them one after another; a child per case paid the
    interpreter's start and imports (~0.25 s) each time, 12 s of a 31 s reload of fifty
    cases. The child stays until `close` (or the end of an `async with`); one that fails,
    times out or is cancelled is killed, and the next build starts a new one.
    """

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Builder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the child, if there is one: it ends at the end of its input."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            async with asyncio.timeout(_KILL_GRACE):
                await process.wait()
        except TimeoutError:
            pass
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    async def build(
        self,
        directory: str | os.PathLike[str],
        *,
        time_limit: float,
        index_with: Callable[[Corpus], Index] = build_index,
    ) -> Index:
        """Load and index `directory` off the event loop, in a thread or the child.

        A build in a thread indexes with `index_with` (the desk's, from `bot.queries`); the
        child runs this module's code in an interpreter of its own, so the real `build_index`.

        Raises:
            CorpusError: the corpus is invalid, or loading it took longer than `time_limit`
                seconds (the problem names the file it was reading).
            BuildFailed: the child failed, or did not stop by itself and was killed.
        """
        if await asyncio.to_thread(wants_child_process, directory):
            return await self.build_in_child(directory, time_limit=time_limit)
        return await asyncio.to_thread(
            load_and_index, directory, time_limit=time_limit, index_with=index_with
        )

    async def build_in_child(
        self, directory: str | os.PathLike[str], *, time_limit: float | None = None
    ) -> Index:
        """Load and index the corpus in `directory` in the child process; return the index.

        Cancelling the call kills the child, and so does passing `time_limit` seconds (plus
        a grace period for the child to stop by itself and say where it was); None: no limit.

        Raises:
            CorpusError: the corpus is invalid (every problem, as from `load_corpus`).
            BuildFailed: the build raised, or the child died, broke off or was killed.
        """
        process = self._process
        if process is None or process.returncode is not None:
            process = self._process = await asyncio.create_subprocess_exec(
                *child_command(_CHILD_MODULE, str(os.getpid())),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                env=child_environment(),
            )  # fmt: skip
        limit = None if time_limit is None else time_limit + _KILL_GRACE
        done = False
        try:
            async with asyncio.timeout(limit):
                index = await _receive(process, os.fspath(directory), time_limit)
            done = True
            return index
        except CorpusError:
            done = True  # the child said so and waits for the next corpus
            raise
        except TimeoutError:
            raise BuildFailed(
                f"the index build took longer than its time limit of {time_limit:g} s and "
                "was stopped"
            ) from None
        finally:
            if not done:  # failed, timed out or cancelled: the child may be anywhere
                self._process = None
                if process.returncode is None:
                    process.kill()
                await process.wait()


async def _receive(process: asyncio.subprocess.Process, directory: str, time_limit: float | None) -> Index:
    """Ask the child for `directory`'s index, and read it (`retrieval.handover.read_index`)."""
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps([directory, time_limit]).encode() + b"\n")
        await process.stdin.drain()
        return await handover.read_index(process.stdout)
    except (StreamEnded, ConnectionError):
        code = await process.wait()
        raise BuildFailed(
            f"the index builder stopped with exit code {code} before it was done"
        ) from None
    except HandoverError as error:
        raise BuildFailed(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """The child: `python -m bot.builder PARENT_PID`. Each line of stdin asks for one
    corpus, as JSON [directory, seconds or null]; its frames go to stdout. It ends at the
    end of its input, or after a build that failed (the parent starts another)."""
    (parent,) = sys.argv[1:] if argv is None else argv
    die_with_parent(int(parent))
    # The frames own stdout: anything else that prints goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    with out:
        for line in sys.stdin.buffer:
            directory, limit = json.loads(line)
            try:
                index = load_and_index(directory, time_limit=limit)
            except CorpusError as error:
                handover.write_problems(out, error)
                out.flush()
                continue
            except Exception as error:  # noqa: BLE001 - reported to the parent, which logs it
                handover.write_failure(out, f"{type(error).__name__}: {error}")
                return 1
            handover.write_index(out, index)
            out.flush()
            del index  # before the next corpus is read: one index at a time
    return 0


if __name__ == "__main__":
    sys.exit(main())
