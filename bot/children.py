"""What every child process casebot starts has in common: the same code, an environment
without secrets, and no life of its own once the serving process is gone.

Two kinds of work run in children: a large corpus's reload (bot/builder.py) and each
`add` (bot/intake/worker.py). Both run `python -m <module>` from the code this process
runs, with none of the parent's environment but what Python needs (so no chat tokens).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

# The directory holding `bot` and `retrieval` (the repository, or site-packages), put first
# on a child's path so it runs the same code as this process.
CODE_ROOT = Path(__file__).resolve().parents[1]
# The only environment variables a child gets: enough to run Python, no secrets.
_CHILD_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ",
                      "SYSTEMROOT")  # fmt: skip
# Linux's prctl(2) option that signals a process when its parent dies.
_PR_SET_PDEATHSIG = 1


def child_command(module: str, *args: str) -> list[str]:
    """The command line that runs `python -m module args…` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def child_environment() -> dict[str, str]:
    """A child's environment: Python's own variables, and this code first on its path."""
    env = {name: os.environ[name] for name in _CHILD_ENVIRONMENT if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join([str(CODE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


@asynccontextmanager
async def killed_at_the_end(process: asyncio.subprocess.Process) -> AsyncIterator[None]:
    """However the block ends (done, timed out, cancelled), the child is gone after it."""
    try:
        yield
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def die_with_parent(parent: int) -> None:
    """End this process as soon as `parent` (the serving process) is gone.

    Work left running after its parent was killed would go on using a CPU and memory for
    nobody. Linux kills the child itself (PR_SET_PDEATHSIG); elsewhere a thread watches for
    the parent to go.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # it died before prctl took effect
            os._exit(1)
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
