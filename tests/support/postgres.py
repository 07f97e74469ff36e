"""A real PostgreSQL server for the tests, started from the machine's binaries.

`PostgresServer` makes a cluster in a temporary directory (initdb), serves it on 127.0.0.1
at a free port with no Unix socket, and stops it and deletes the directory at the end.
PostgreSQL refuses to run as root, so as root every server command runs as the `postgres`
user (which the Debian packages create), in a directory that user owns. The cluster is
made for tests: password authentication (so the URL carries a secret, as in a
deployment), and no fsync.

The fixtures, imported into tests/conftest.py:

* `postgres_server`: one server for the whole session, started only when a test asks.
* `postgres_url`: a fresh, empty database on it for one test (dropped afterwards), as the
  `postgresql://` URL that `CASEBOT_DATABASE_URL` takes.
* `database_target`: parametrised over both backends, what `Store.open` takes: a SQLite
  file's path in the test's tmp_path, or a fresh PostgreSQL database's URL.

`restart()`, `stop()` and `start()` keep the port, the password and every database, so a
test can take the server away from a running casebot and bring it back.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "casebot"
# Seconds a server command may take before the test fails; generous, the machine is shared.
_COMMAND_TIMEOUT = 120


def bin_dir() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl), newest version first."""
    candidates = []
    try:
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        candidates.append(out)
    except (OSError, subprocess.SubprocessError):
        pass
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found by `pg_config --bindir` "
        "nor in /usr/lib/postgresql/*/bin: install PostgreSQL (Debian: postgresql-15)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, served on 127.0.0.1."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.host = "127.0.0.1"
        self.port = 0
        self.user = USER
        self.password = secrets.token_hex(16)
        self._as_root = os.geteuid() == 0
        self._base = Path(tempfile.mkdtemp(prefix="casebot-pg-"))
        self.data = self._base / "data"
        self.log = self._base / "server.log"
        self._names = itertools.count(1)
        self.running = False
        if self._as_root:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, and there is no `postgres` user to run PostgreSQL as"
                ) from None
            os.chown(self._base, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb", "--pgdata", str(self.data), "--username", self.user, "--auth", "scram-sha-256",
            "--pwfile", self._password_file(), "--encoding", "UTF8", "--locale", "C.UTF-8",
            "--no-sync",
        )  # fmt: skip

    # --- the server ------------------------------------------------------------------

    def start(self) -> None:
        """Start serving (on the same port as before, if it has been started before)."""
        for attempt in range(5):
            port = self.port or _free_port()
            options = (
                f"-c listen_addresses={self.host} -p {port} -c unix_socket_directories='' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=300"
            )
            try:
                self._run("pg_ctl", "start", "--wait", "--pgdata", str(self.data),
                          "--log", str(self.log), "--options", options)  # fmt: skip
            except RuntimeError:
                if self.port or attempt == 4:
                    raise
                continue  # another process took the port between probe and start
            self.port = port
            self.running = True
            return

    def stop(self) -> None:
        """Stop serving now (open connections are cut, as when a database host goes away)."""
        if self.running:
            self._run("pg_ctl", "stop", "--wait", "--mode", "fast", "--pgdata", str(self.data))
            self.running = False

    def restart(self) -> None:
        """Stop and start again on the same port, keeping every database."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self._base, ignore_errors=True)

    # --- databases -------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """The `postgresql://` URL of `database`, password included."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """Make a new, empty database; returns its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._sql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test that failed may have left casebot's connections open.
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _sql(self, statement: str) -> None:
        psql = self.bin / "psql"
        subprocess.run(
            [str(psql), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--command", statement,
             self.url()],
            check=True, capture_output=True, timeout=_COMMAND_TIMEOUT,
        )  # fmt: skip

    # --- running the programs --------------------------------------------------------

    def _password_file(self) -> str:
        path = self._base / "password"
        path.write_text(self.password + "\n", encoding="utf-8")
        if self._as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(path, owner.pw_uid, owner.pw_gid)
        path.chmod(0o600)
        return str(path)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, cwd=self._base
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{program} {args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{log}"
            )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (started at the first test that asks)."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(params=["sqlite", "postgres"])
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A new database of each backend in turn: a SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "casebot.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test, as a `postgresql://` URL with its password."""
    if not postgres_server.running:
        postgres_server.start()  # an earlier test stopped it
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    if not postgres_server.running:
        postgres_server.start()
    postgres_server.drop_database(name)
