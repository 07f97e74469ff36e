"""The operations endpoint of `casebot serve`: `/livez`, `/readyz` (`/healthz`), `/metrics`.

Served on CASEBOT_HOST:CASEBOT_OPS_PORT (default 3001), apart from Slack's HTTP events
port, so that health checks and scrapes never share a listener with Slack's requests.
No path needs authentication or shows anything secret or private: keep the port
internal all the same.

`/livez` answers 200 whenever the process answers at all: the event loop is turning. It
is the liveness probe: a Slack outage must not get casebot restarted, which is what a
readiness check used as a liveness probe does. `/readyz` answers 200
`{"status": "ready", ...}` only while casebot is serving with its corpus loaded, every
chat adapter it started connected and (replicas) the database reachable; otherwise 503
with the status ("starting", "not_ready" or "stopping") and the problems. It names the
corpus version served (bot/replicas/version.py), the same on every replica. `/healthz` is the same as `/readyz`, for
the checks written before it. `/metrics` is the Prometheus text format (or OpenMetrics,
if the scraper asks for it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, Protocol

from aiohttp import web

from bot.desk import Desk
from bot.ops.metrics import Metrics
from bot.replicas.version import corpus_version
from bot.settings import Settings
from retrieval.errors import StartError

logger = logging.getLogger(__name__)

LIVE_PATH = "/livez"
READY_PATH = "/readyz"
# The readiness check under its older name.
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"

Phase = Literal["starting", "serving", "stopping"]


class OpsStartError(StartError):
    """The ops server could not listen where the settings say."""


class Connection(Protocol):
    """A chat adapter as readiness sees it (SlackAdapter, DiscordAdapter)."""

    platform: str

    async def is_connected(self) -> bool: ...


class Health:
    """What `casebot serve` is doing, for `/healthz`; serve updates it as it goes.

    Starts "starting", with no corpus and no adapters. `loaded(desk)` once the corpus is
    loaded, `serving(adapters)` once the adapters are started, `stopping()` as soon as a
    shutdown begins (so load balancers stop sending work while answers in flight finish).
    """

    def __init__(self) -> None:
        self._phase: Phase = "starting"
        self._desk: Desk | None = None
        self._adapters: tuple[Connection, ...] = ()
        # What else must answer for casebot to be ready (replicas: the database).
        self._dependencies: dict[str, Callable[[], Awaitable[bool]]] = {}

    @property
    def phase(self) -> Phase:
        return self._phase

    def loaded(self, desk: Desk) -> None:
        """Note the desk whose corpus is loaded."""
        self._desk = desk

    def serving(self, adapters: Sequence[Connection]) -> None:
        """Mark casebot as serving through `adapters` (ready while they are connected)."""
        self._adapters = tuple(adapters)
        self._phase = "serving"

    def depends_on(self, name: str, check: Callable[[], Awaitable[bool]]) -> None:
        """Be ready only while `check()` says `name` answers (replicas: the database,
        without which their previews, limits and alerts are not shared)."""
        self._dependencies[name] = check

    def stopping(self) -> None:
        """Mark casebot as shutting down: never ready again."""
        self._phase = "stopping"

    async def connections(self) -> dict[str, bool]:
        """Whether each started adapter is connected now, by platform."""
        return {adapter.platform: await adapter.is_connected() for adapter in self._adapters}

    async def check(self) -> tuple[bool, dict[str, object]]:
        """Whether casebot is ready, and the report `/healthz` shows.

        Ready means: serving (not starting or stopping), a corpus loaded, and every
        started adapter connected.
        """
        problems: list[str] = []
        report: dict[str, object] = {}
        if self._desk is None:
            problems.append("corpus: not loaded yet")
        else:
            cases = self._desk.docket.cases.values()
            report["corpus"] = {
                "cases": len(cases),
                "articles": sum(len(case.index.corpus.articles) for case in cases),
                # The index's tuple: Corpus.passages builds a new one on every call.
                "passages": sum(len(case.index.passages) for case in cases),
                "loaded_at": max(case.index.corpus.loaded_at for case in cases).isoformat(),
                # The same on every replica serving the same files (bot/replicas/).
                "version": corpus_version(self._desk.docket),
            }
            if self._desk.reloading:
                # Still ready: the old corpus answers until the new one is swapped in.
                report["reloading"] = True
        adapters: dict[str, str] = {}
        for adapter in self._adapters:
            connected = await adapter.is_connected()
            # A replica standing by for Discord's gateway says so (bot/replicas/gateway.py).
            state = getattr(adapter, "state", "connected")
            adapters[adapter.platform] = state if connected else "disconnected"
            if not connected:
                problems.append(f"{adapter.platform}: not connected")
        report["adapters"] = adapters
        for name, answers in self._dependencies.items():
            up = await answers()
            report[name] = "connected" if up else "disconnected"
            if not up:
                problems.append(f"{name}: not connected")
        if self._phase != "serving":
            problems.insert(0, self._phase)
        ready = not problems
        status = "ready" if ready else ("not_ready" if self._phase == "serving" else self._phase)
        return ready, {"status": status, **({"problems": problems} if problems else {}), **report}


class OpsServer:
    """`/livez`, `/readyz`, `/healthz` and `/metrics` over HTTP; `await start_ops_server(...)`.

    Attributes:
        port: the port listened on (useful with CASEBOT_OPS_PORT=0), once started.
    """

    def __init__(self, health: Health, metrics: Metrics) -> None:
        self.health = health
        self.metrics = metrics
        self.port: int | None = None
        app = web.Application()
        app.router.add_get(LIVE_PATH, self._livez)
        app.router.add_get(READY_PATH, self._readyz)
        app.router.add_get(HEALTH_PATH, self._readyz)
        app.router.add_get(METRICS_PATH, self._metrics)
        # No access log: a scrape every few seconds would drown everything else.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)

    async def start(self, host: str, port: int) -> None:
        """Listen on `host`:`port`.

        Raises:
            OpsStartError: the address is taken or not allowed.
        """
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as error:
            await self._runner.cleanup()
            raise OpsStartError(
                f"Could not listen on {host}:{port} for /livez, /readyz and /metrics "
                f"({error.strerror or error}): check CASEBOT_HOST and CASEBOT_OPS_PORT, or set "
                "CASEBOT_OPS_ENABLED=false."
            ) from None
        self.port = self._runner.addresses[0][1]
        logger.info("health and metrics on %s:%s (%s, %s, %s)", host, self.port, LIVE_PATH,
                    READY_PATH, METRICS_PATH)  # fmt: skip

    async def close(self) -> None:
        """Stop listening."""
        await self._runner.cleanup()

    async def _livez(self, request: web.Request) -> web.Response:
        # Answering at all is the proof: the loop ran this handler. Alive while stopping
        # too, so nothing kills casebot while it finishes the answers in flight.
        return web.json_response({"status": "alive", "phase": self.health.phase})

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, report = await self.health.check()
        return web.json_response(report, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        for platform, connected in (await self.health.connections()).items():
            self.metrics.set_connected(platform, connected)
        body, content_type = self.metrics.render(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})


async def start_ops_server(settings: Settings, health: Health, metrics: Metrics) -> OpsServer:
    """Serve `/livez`, `/readyz` and `/metrics` on CASEBOT_HOST:CASEBOT_OPS_PORT.

    Raises:
        OpsStartError: the port could not be listened on.
    """
    server = OpsServer(health, metrics)
    await server.start(settings.host, settings.ops_port)
    return server
