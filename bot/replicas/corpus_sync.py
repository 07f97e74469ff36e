"""One corpus version everywhere: a reload on any replica reloads every replica.

The corpus stays files on a volume every replica mounts. After a reload that changed the
version it serves (bot/replicas/version.py), a replica sends a NOTIFY on `CHANNEL` with
the new version; every other replica LISTENs on a connection of its own and, hearing a
version it does not serve, reloads (reading the same files, it comes to the same version;
a reload that changes nothing is cheap: the files are hashed, nothing is rebuilt). A
replica that reloads because it heard of it sends nothing, so a notice never echoes.

A notice is heard only by the replicas connected when it is sent. So a replica whose
listening connection was lost (the database restarted, a network cut) reloads once it is
back, and one that could not send its notice sends it then; a replica that starts late
reads the files as they are. The listening connection also tells `/readyz` whether the
database is reachable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from bot.caller import Caller
from bot.replicas.connect import CHECK_SECONDS, alive, close_quietly, connect, why
from bot.replicas.version import corpus_version

if TYPE_CHECKING:
    from bot.desk import Desk
    from bot.docket import Docket

logger = logging.getLogger(__name__)

CHANNEL = "casebot_corpus"
# Who the audit log names for a reload another replica's notice made.
REPLICA = Caller(platform="replica", user_id="system", is_admin=True)
# Seconds between tries to reach the database while it is away.
RETRY_SECONDS = 1.0


class CorpusSync:
    """Hears and sends the replicas' reloads. `await start()`, `await close()`.

    Args:
        desk: the desk whose corpus is kept in step.
        dsn: the database's URL (a secret: never logged).
    """

    def __init__(self, desk: Desk, dsn: str) -> None:
        self._desk = desk
        self._dsn = dsn
        # Who sent a notice: a replica ignores its own.
        self.replica = secrets.token_hex(6)
        self._served = corpus_version(desk.docket)
        self._unsent: str | None = None
        self._connection: Any = None
        self._using = asyncio.Lock()  # one statement at a time on the connection
        self._runner: asyncio.Task[None] | None = None
        self._reloading: asyncio.Task[None] | None = None
        self._again = False
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Start listening (in the background: a database away now is tried again)."""
        self._desk.reload_listeners.append(self._reloaded)
        self._runner = asyncio.create_task(self._run(), name="casebot-corpus-sync")

    async def close(self) -> None:
        if self._reloaded in self._desk.reload_listeners:
            self._desk.reload_listeners.remove(self._reloaded)
        for task in (self._runner, self._reloading):
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in (self._runner, self._reloading) if t is not None), return_exceptions=True
        )
        await close_quietly(self._connection)
        self._connection = None

    async def is_connected(self) -> bool:
        """Whether the database answers now (for `/readyz`)."""
        return await alive(self._connection, self._using)

    # --- the connection ----------------------------------------------------------------

    async def _run(self) -> None:
        first = True
        while True:
            try:
                connection = await connect(self._dsn)
            except Exception as error:
                if first:
                    logger.warning("could not reach the database to hear other replicas' "
                                   "reloads (%s); trying again", why(error))  # fmt: skip
                first = False
                await asyncio.sleep(RETRY_SECONDS)
                continue
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            try:
                await connection.add_listener(CHANNEL, self._heard)
            except Exception as error:
                logger.warning("could not listen for other replicas' reloads (%s)", why(error))
                await close_quietly(connection)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._connection = connection
            self.connected.set()
            if not first:
                logger.info("the database is back: catching up with other replicas' reloads")
                if self._unsent is not None:
                    await self._send(self._unsent)
                self._reload()
            first = False
            await self._watch(connection, lost)
            self.connected.clear()
            self._connection = None
            await close_quietly(connection)
            logger.warning("lost the database connection that hears other replicas' reloads; "
                           "reconnecting")  # fmt: skip

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Until `connection` is lost (closed by the server, or no longer answering)."""
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), CHECK_SECONDS)
            except TimeoutError:
                if not await alive(connection, self._using):
                    return

    # --- notices -----------------------------------------------------------------------

    def _reloaded(self, docket: Docket) -> None:
        """After each reload here (`Desk.reload_listeners`): tell the others of a new version."""
        version = corpus_version(docket)
        if version == self._served:
            return  # nothing new, or the version another replica told of
        self._served = version
        asyncio.get_running_loop().create_task(self._send(version))

    async def _send(self, version: str) -> None:
        payload = json.dumps({"version": version, "replica": self.replica})
        connection = self._connection
        try:
            if connection is None:
                raise ConnectionError("not connected")
            async with self._using:
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception as error:
            # Sent once the connection is back (`_run`).
            logger.warning("could not tell the other replicas of the reload (%s); will once "
                           "the database is back", why(error))  # fmt: skip
            self._unsent = version
            return
        if self._unsent == version:
            self._unsent = None
        logger.info("told the other replicas of corpus version %s", version)

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
            version, sender = str(notice["version"]), str(notice["replica"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed notice on %s", CHANNEL)
            return
        if sender == self.replica:
            return
        if version == corpus_version(self._desk.docket):
            self._served = version
            return
        logger.info("another replica serves corpus version %s: reloading", version)
        # What this replica will serve after reloading: not news to send on.
        self._served = version
        self._reload()

    def _reload(self) -> None:
        """Reload now, or once more after the reload in progress (notices coalesce)."""
        if self._reloading is not None and not self._reloading.done():
            self._again = True
            return
        self._reloading = asyncio.get_running_loop().create_task(self._reload_until_still())

    async def _reload_until_still(self) -> None:
        while True:
            self._again = False
            try:
                await self._desk.reload(REPLICA)
            except Exception:
                logger.exception("a reload another replica asked for failed")
            if not self._again:
                return
