"""casebot's Prometheus metrics, in a registry of their own.

Each `Metrics` has its own `CollectorRegistry` (never prometheus-client's global one), so
every desk, and every test, counts from zero. `Desk.handle` is the one place that counts
requests; `Desk.reload` counts reloads; `/metrics` (bot/ops/server.py) shows them all.
"""

from __future__ import annotations

import platform as python_platform
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

from bot import __version__
from retrieval.model import Corpus

NAMESPACE = "casebot"
# No `_created` series beside every counter and histogram: they double what is stored and
# Prometheus has no use for them (a counter reset is seen from the value).
disable_created_metrics()
# Answers take about a millisecond on the seed corpus and tens of milliseconds on a
# 100,000-passage one; a reload is not an answer. The top buckets catch a stalled loop.
# A reload of the seed corpus takes milliseconds, one of 100,000 passages seconds, and
# CASEBOT_RELOAD_TIMEOUT (30 s by default) stops it.
RELOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# The kinds of reply each chat command gives (besides limited and error, which any can):
# the series `Metrics.expect` makes exist from the start.
COMMAND_KINDS: dict[str, tuple[str, ...]] = {
    "ask": ("answer", "no_answer"),
    "status": ("status",),
    "timeline": ("timeline",),
    "sources": ("sources",),
    "help": ("help",),
    "reload": ("reload", "refused"),
    "add": ("preview", "refused"),
    "remove": ("reload", "refused"),
    "follow": ("answer", "refused"),
    "unfollow": ("answer", "refused"),
    "following": ("answer", "refused"),
    "report": ("answer", "refused"),
}
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


class Metrics:
    """Every metric casebot exports, registered in `self.registry`.

    Attributes:
        registry: the registry `/metrics` renders.
        commands: casebot_commands_total{platform, command, kind}: every chat command
            handled, by command (ask, status, timeline, sources, help, reload) and kind of
            reply (answer, no_answer, status, ..., refused, limited, error).
        questions: casebot_questions_total{platform, kind}: the `ask` commands only, by
            kind of reply (answer, no_answer, limited, error); no_answer is a question the
            sources don't cover.
        latency: casebot_answer_latency_seconds{platform}: time from a command arriving at
            the desk to its reply.
        reloads: casebot_reloads_total{result}: corpus reloads, "ok" or "failed".
        reload_duration: casebot_reload_duration_seconds{result}: how long each reload
            took to read and index the corpus (histogram).
        corpus_articles: casebot_corpus_articles: articles being served, of every case.
        votes: casebot_votes_total{platform, vote}: 👍 ("up") and 👎 ("down") votes cast
            or changed on answers (a repeated click, or a reason after a 👎, is no vote).
        errors: casebot_errors_total{platform}: commands that failed unexpectedly and got
            the "something went wrong" apology.
        cases: casebot_cases: cases being served.
        corpus_passages: casebot_corpus_passages: passages being served, of every case.
        corpus_loaded: casebot_corpus_loaded_timestamp_seconds: when a case was last loaded
            (Unix).
        loop_stall: casebot_event_loop_worst_stall_seconds: the worst event-loop stall the
            loop monitor saw in its latest window (set through `set_loop_stall`).
        connected: casebot_platform_connected{platform}: 1 while a chat platform is
            connected, else 0 (set through `set_connected` as /metrics is scraped).
        alerts_sent: casebot_alerts_sent_total{platform}: alert messages posted to
            channels that follow the case (bot/alerts.py).
        alerts_failed: casebot_alerts_failed_total{platform}: alert messages given up on
            after every try (kept to try again later, or their channel dropped).
        follows_dropped: casebot_follows_dropped_total{platform}: following channels
            dropped because casebot can no longer post there.
        casebot_build_info{version, python}, and the standard process_* and python_*
            collectors, in this registry too.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        common = {"namespace": NAMESPACE, "registry": self.registry}
        self.commands = Counter(
            "commands", "Chat commands handled, by platform, command and kind of reply.",
            ["platform", "command", "kind"], **common,
        )  # fmt: skip
        self.questions = Counter(
            "questions", "Questions (ask commands) handled, by platform and kind of reply.",
            ["platform", "kind"], **common,
        )  # fmt: skip
        self.latency = Histogram(
            "answer_latency_seconds", "Seconds from a command reaching the desk to its reply.",
            ["platform"], buckets=LATENCY_BUCKETS, **common,
        )  # fmt: skip
        self.reloads = Counter("reloads", "Corpus reloads, by result.", ["result"], **common)
        self.reload_duration = Histogram(
            "reload_duration_seconds", "Seconds a reload took to read and index the corpus.",
            ["result"], buckets=RELOAD_BUCKETS, **common,
        )  # fmt: skip
        self.votes = Counter(
            "votes", "Votes on answers (👍 up, 👎 down), cast or changed.",
            ["platform", "vote"], **common,
        )  # fmt: skip
        self.errors = Counter(
            "errors", "Commands that failed unexpectedly (the apology with a request id).",
            ["platform"], **common,
        )  # fmt: skip
        self.corpus_articles = Gauge(
            "corpus_articles", "Articles in the corpora being served, of every case.", **common
        )
        self.cases = Gauge("cases", "Cases being served.", **common)
        self.corpus_passages = Gauge(
            "corpus_passages", "Passages in the corpora being served, of every case.", **common
        )
        self.corpus_loaded = Gauge(
            "corpus_loaded_timestamp_seconds",
            "When a case's corpus was last loaded, in Unix seconds (the latest of any case).",
            **common,
        )
        self.loop_stall = Gauge(
            "event_loop_worst_stall_seconds",
            "The worst event-loop stall the loop monitor saw in its latest window.",
            **common,
        )
        self.connected = Gauge(
            "platform_connected", "1 while the chat platform is connected, else 0.",
            ["platform"], **common,
        )  # fmt: skip
        self.alerts_sent = Counter(
            "alerts_sent", "Alert messages posted to channels that follow the case.",
            ["platform"], **common,
        )  # fmt: skip
        self.alerts_failed = Counter(
            "alerts_failed", "Alert messages that could not be posted after every try.",
            ["platform"], **common,
        )  # fmt: skip
        self.follows_dropped = Counter(
            "follows_dropped",
            "Following channels dropped because casebot can no longer post there.",
            ["platform"], **common,
        )  # fmt: skip
        Info("build", "The casebot version and the Python running it.", **common).info(
            {"version": __version__, "python": python_platform.python_version()}
        )
        # A registry of our own leaves out the default collectors: add them back.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        # Known results start at zero, so a rate() over them works before the first reload.
        for result in ("ok", "failed"):
            self.reloads.labels(result=result)
            self.reload_duration.labels(result=result)

    def expect(self, platforms: Iterable[str]) -> None:
        """Make every series of `platforms` exist from the start, at 0.

        A counter with labels has no series until its first event, so `rate()` and
        `increase()` miss that event and an alert on "no errors yet" sees no data. The
        known label values are set up here: each command with the kinds of reply it can
        give (`COMMAND_KINDS`, and limited or error for any), the questions' kinds, the
        votes, the alerts and the connection gauge.
        """
        for platform in platforms:
            for command, kinds in COMMAND_KINDS.items():
                for kind in (*kinds, "limited", "error"):
                    self.commands.labels(platform=platform, command=command, kind=kind)
            for kind in (*COMMAND_KINDS["ask"], "limited", "error"):
                self.questions.labels(platform=platform, kind=kind)
            for vote in ("up", "down"):
                self.votes.labels(platform=platform, vote=vote)
            self.latency.labels(platform=platform)
            for counter in (self.errors, self.alerts_sent, self.alerts_failed, self.follows_dropped):
                counter.labels(platform=platform)
            self.connected.labels(platform=platform)

    def answered(self, platform: str, command: str, kind: str, seconds: float) -> None:
        """Count one reply of `kind` to `command` from `platform` that took `seconds`."""
        self.commands.labels(platform=platform, command=command, kind=kind).inc()
        if command == "ask":
            self.questions.labels(platform=platform, kind=kind).inc()
        self.latency.labels(platform=platform).observe(seconds)

    def failed(self, platform: str) -> None:
        """Count one command from `platform` that failed unexpectedly."""
        self.errors.labels(platform=platform).inc()

    def reloaded(self, *, ok: bool, seconds: float) -> None:
        """Count one reload attempt that took `seconds`."""
        result = "ok" if ok else "failed"
        self.reloads.labels(result=result).inc()
        self.reload_duration.labels(result=result).observe(seconds)

    def voted(self, platform: str, vote: str) -> None:
        """Count one vote cast or changed on `platform` ("up" or "down")."""
        self.votes.labels(platform=platform, vote=vote).inc()

    def serving(self, corpora: Sequence[Corpus]) -> None:
        """Record the corpora now being served, one per case."""
        self.cases.set(len(corpora))
        self.corpus_articles.set(sum(len(corpus.articles) for corpus in corpora))
        self.corpus_passages.set(sum(len(corpus.passages) for corpus in corpora))
        if corpora:
            self.corpus_loaded.set(max(corpus.loaded_at for corpus in corpora).timestamp())

    def set_connected(self, platform: str, connected: bool) -> None:
        """Record whether `platform` is connected now."""
        self.connected.labels(platform=platform).set(1 if connected else 0)

    def set_loop_stall(self, seconds: float) -> None:
        """Set the worst event-loop stall (seconds) seen in the loop monitor's latest window."""
        self.loop_stall.set(seconds)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The metrics in the exposition format the Accept header asks for.

        Returns:
            (body, content type): Prometheus text unless OpenMetrics is asked for.
        """
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
