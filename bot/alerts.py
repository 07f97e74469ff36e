"""Following the case: channels that follow get each new development of the case, once.

The rules, each here once:

* **What is news.** A development (retrieval/case/developments.py) is dated by `event_date`: the
  date its sentence gives for the event, else its passage's. The store keeps the latest
  such date of every corpus served so far (`known_through`); a corpus served later (start,
  reload, an added article) brings news only in developments dated after it. So a new
  source re-reporting a known step, or the same corpus served again, brings none, and
  the first corpus after the store is made only sets the mark (its history is not news).
  Undated developments are never news: nothing says when they happened. Only a desk with
  a chat platform connected compares: `casebot chat`, perhaps on another corpus with the
  same database, moves nothing, and `casebot serve` compares its corpus when it connects.
* **Exactly once.** The news and the move of the mark are written in one transaction, as
  one queued alert per (following channel, development); a channel's queued alerts are
  posted as one message and then marked done. A crash between posting and marking posts
  that one message again at the next start; nothing else can repeat.
* **Posting.** Each message is tried `CASEBOT_ALERT_ATTEMPTS` times, waiting
  `CASEBOT_ALERT_RETRY_SECONDS` and then twice as long each time. If every try says the
  channel is gone (the adapter's `PostFailed.gone`: Slack's not_in_channel, ... Discord's
  403/404), the channel stops following, and that is logged and audited; otherwise the
  alert stays queued for the next reload, start or reconnect.

The platforms post through `Poster`, which each adapter implements and attaches here when
it has connected.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Protocol

from bot.ops.metrics import Metrics
from bot.render.format import format_time
from bot.settings import Settings
from bot.store import Store
from retrieval.case import claims
from retrieval.case.developments import Development
from retrieval.errors import CasebotError
from retrieval.index import Index
from retrieval.model import Answer, Source
from retrieval.answering.quoting import make_quote

logger = logging.getLogger(__name__)

# The commands this module answers (bot/commands.py declares them).
COMMANDS = frozenset({"follow", "unfollow", "following"})
# Most developments quoted in one alert; a longer burst points to the timeline.
MAX_QUOTES = 8
# Channels posted to at once, so a large following can't flood a platform's rate limits.
CONCURRENT_POSTS = 4
STATUS_POINTER = "Where the case stands now: `/case status`"
LABEL = "New development"
# Who the audit log names for a change casebot made by itself.
_SYSTEM = "system"


class PostFailed(CasebotError):
    """An alert could not be posted.

    Args:
        reason: what the platform said (an error code), for the log and the audit.
        gone: the platform says casebot can no longer post in that channel at all.
        retry_after: seconds the platform asks to wait before the next try, if it said.
    """

    def __init__(self, reason: str, *, gone: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gone = gone
        self.retry_after = retry_after


class Poster(Protocol):
    """How a chat adapter posts an alert: one message to one channel, with no pings."""

    platform: str

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        """Post `answer` to `channel_id`. Raises PostFailed if the platform refused it."""
        ...


def development_key(development: Development) -> str:
    """What identifies a development across reloads and restarts: its source and words."""
    words = " ".join(development.text.split())
    return hashlib.sha256(f"{development.passage.source_id}\0{words}".encode()).hexdigest()[:32]


def is_news(day: date | None, known_through: date | None) -> bool:
    """Whether a development dated `day` (its event_date) is news after `known_through`."""
    return day is not None and (known_through is None or day > known_through)


Catalogue = dict[str, tuple[Development, date | None]]


def catalogue(index: Index) -> Catalogue:
    """Every development of a snapshot by its key, with its event date, in corpus order.

    Blocking (event dates are read from every development's sentence: half a second on a
    10,000-passage corpus), so the alerts make it once per snapshot in a worker thread.
    """
    return {development_key(d): (d, d.event_date) for d in index.developments}


def alert_answer(
    index: Index, developments: Sequence[Development], dated: Catalogue | None = None
) -> Answer:
    """The alert: each new development quoted with outlet, date and "also reported by".

    Developments of the same step on the same day are one event told more than once: its
    earliest report is quoted, the other sources are "also reported by".
    """
    groups: dict[tuple[str, date | None], list[Development]] = {}
    dated = dated if dated is not None else catalogue(index)
    order = {key: n for n, key in enumerate(dated)}  # corpus order

    def event_date(development: Development) -> date | None:
        return dated[development_key(development)][1]

    for development in sorted(
        developments,
        key=lambda d: (
            event_date(d) or date.min, d.date or date.min, order.get(development_key(d), 0)
        ),
    ):
        groups.setdefault((development.step, event_date(development)), []).append(development)
    quotes = []
    for members in list(groups.values())[:MAX_QUOTES]:
        lead = members[0]
        sentence = claims.sentence_at(index, lead.passage, lead.sentence)
        also: dict[str, Source] = {}
        for source in claims.corroborating(index, sentence, claims.candidates(index, sentence)):
            also.setdefault(source.id, source)
        for other in members[1:]:
            source = index.sources[other.passage.source_id]
            if source.id != lead.passage.source_id:
                also.setdefault(source.id, source)
        groups_of_words = index.analyzer.query(sentence.text)
        quotes.append(
            make_quote(index, sentence, groups_of_words, also_in=tuple(also.values()), label=LABEL)
        )
    notes = [STATUS_POINTER]
    if len(groups) > MAX_QUOTES:
        notes.insert(0, f"…and {len(groups) - MAX_QUOTES} more: `/case timeline`")
    lead_text = (
        "A new development in the case, as the sources report it:"
        if len(quotes) == 1
        else f"{len(groups)} new developments in the case, as the sources report them:"
    )
    return Answer(kind="status", text=lead_text, quotes=tuple(quotes), notes=tuple(notes))


class Alerts:
    """The channels that follow the case, and the alerts owed to them.

    The desk calls `served` with every corpus it starts serving and `command` for the
    follow commands; adapters `attach` themselves once connected and `detach` on closing.

    Args:
        store: where follows, the mark and queued alerts live.
        settings: CASEBOT_ALERT_ATTEMPTS and CASEBOT_ALERT_RETRY_SECONDS.
        metrics: alerts sent and failed, channels dropped.
        sleep: how to wait between tries (tests record the waits instead).
    """

    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        metrics: Metrics,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._attempts = settings.alert_attempts
        self._retry_seconds = settings.alert_retry_seconds
        self._metrics = metrics
        self._sleep = sleep
        self._index: Index | None = None
        # For the latest snapshot only: its catalogue, and the alerts made from it (channels
        # owed the same news share one).
        self._made: tuple[Index, Catalogue, dict[frozenset[str], Answer]] | None = None
        # A corpus served whose news is not queued yet (see `_run`).
        self._unread = False
        self._posters: dict[str, Poster] = {}
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._runner: asyncio.Task[None] | None = None
        self._busy: dict[tuple[str, str], asyncio.Task[bool]] = {}
        # Channels whose last message failed for a passing reason: left until the next
        # corpus or connection, so that an outage is not retried in a tight loop.
        self._resting: set[tuple[str, str]] = set()
        self._posting = asyncio.Semaphore(CONCURRENT_POSTS)

    # --- what the desk calls ---------------------------------------------------------

    async def served(self, index: Index) -> None:
        """Note a corpus now being served: its news is queued for every follower and posted
        (once a chat platform is connected; `idle` waits for it)."""
        self._index = index
        self._unread = True
        self._resting.clear()
        self._poke()

    async def _queue_news(self, index: Index) -> None:
        ready, known = await self._store.known_through()
        dated, _ = await self._snapshot(index)
        fresh = [key for key, (_, day) in dated.items() if ready and is_news(day, known)]
        dates = [day for day in (known, *(day for _, day in dated.values())) if day]
        queued = await self._store.queue_alerts(fresh, max(dates, default=None))
        if fresh:
            logger.info(
                "%d new development(s) in the corpus: %d alert(s) queued", len(fresh), queued
            )

    async def command(
        self, name: str, *, platform: str, channel_id: str | None, user_id: str
    ) -> Answer:
        """Answer follow, unfollow or following (the desk has gated it already)."""
        if name == "following":
            return await self._following()
        if channel_id is None:
            return Answer(
                kind="refused",
                text="Following works in a Slack or Discord channel or DM, where alerts can go.",
            )
        if name == "follow":
            if await self._store.follow(platform=platform, channel_id=channel_id, by_user=user_id):
                text = (
                    "This channel now follows the case: each new development the sources "
                    "report will be posted here, once."
                )
            else:
                text = "This channel already follows the case."
        else:
            if await self._store.unfollow(platform=platform, channel_id=channel_id):
                text = "This channel no longer follows the case."
            else:
                text = "This channel doesn't follow the case."
        return Answer(kind="answer", text=text)

    async def _following(self) -> Answer:
        follows = await self._store.follows()
        if not follows:
            return Answer(kind="answer", text="No channel follows the case.")
        lines = tuple(
            f"{f.platform} {f.channel_id}: since {format_time(f.at)}, by {f.by_user}"
            for f in follows
        )
        count = "1 channel follows" if len(follows) == 1 else f"{len(follows)} channels follow"
        return Answer(kind="answer", text=f"{count} the case:", notes=lines)

    # --- what the adapters call ------------------------------------------------------

    def attach(self, poster: Poster) -> None:
        """Post alerts for `poster.platform` through `poster`, starting with any owed."""
        self._posters[poster.platform] = poster
        self._resting = {key for key in self._resting if key[0] != poster.platform}
        self._poke()

    def detach(self, poster: Poster) -> None:
        """Stop posting through `poster`; alerts it was posting stay queued."""
        if self._posters.get(poster.platform) is poster:
            del self._posters[poster.platform]
        for (platform, _), task in list(self._busy.items()):
            if platform == poster.platform:
                task.cancel()

    async def idle(self) -> None:
        """Wait until every alert that can be posted now has been tried (for tests)."""
        await self._quiet.wait()

    async def close(self) -> None:
        """Stop posting. Queued alerts stay in the store for the next start."""
        tasks = [*self._busy.values(), *([self._runner] if self._runner else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = None

    # --- posting ---------------------------------------------------------------------

    def _poke(self) -> None:
        self._quiet.clear()
        self._wake.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="casebot-alerts")

    def _settle(self) -> None:
        if not self._wake.is_set() and not self._busy:
            self._quiet.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # One corpus at a time, here only: the latest served is compared with the mark.
            if self._unread and self._posters and self._index is not None:
                self._unread = False
                try:
                    await self._queue_news(self._index)
                except Exception:
                    logger.exception("could not queue the alerts for the corpus")
            try:
                pending = await self._store.pending_alerts()
            except Exception:
                logger.exception("could not read the queued alerts")
                pending = {}
            for key in pending:
                poster = self._posters.get(key[0])
                if poster is None or key in self._busy or key in self._resting:
                    continue
                task = asyncio.create_task(self._deliver(poster, key[1]))
                self._busy[key] = task
                task.add_done_callback(lambda done, key=key: self._delivered(key, done))
            self._settle()

    def _delivered(self, key: tuple[str, str], task: asyncio.Task[bool]) -> None:
        self._busy.pop(key, None)
        if not task.cancelled() and task.exception() is None and task.result():
            # Alerts may have been queued for this channel while it was being posted to.
            self._wake.set()
        elif not task.cancelled():
            self._resting.add(key)
        self._settle()

    async def _deliver(self, poster: Poster, channel_id: str) -> bool:
        """Post one channel's queued alerts as one message. Returns whether it is done."""
        platform = poster.platform
        index = self._index
        if index is None:
            return False
        # Read again here, not taken from the scan that started this: that read may be
        # older than the end of this channel's previous delivery, and would post it again.
        pending = await self._store.pending_alerts(platform)
        keys = pending.get((platform, channel_id), [])
        known, answers = await self._snapshot(index)
        found = [known[key][0] for key in keys if key in known]
        # Queued, then gone from the corpus before it could be posted: nothing to quote.
        stale = [key for key in keys if key not in known]
        if found:
            wanted = frozenset(development_key(d) for d in found)
            if wanted not in answers:
                answers[wanted] = await asyncio.to_thread(alert_answer, index, found, known)
            failure = await self._post(poster, channel_id, answers[wanted])
            if failure is not None:
                await self._give_up(platform, channel_id, failure)
                return False
        try:
            await self._store.finish_alerts(
                platform=platform,
                channel_id=channel_id,
                sent=[development_key(d) for d in found],
                stale=stale,
            )
        except Exception:
            # Not marked: trying again now would post it again. The next start does.
            logger.exception(
                "could not record the alert posted to %s channel %s", platform, channel_id
            )
            return False
        return True

    async def _snapshot(self, index: Index) -> tuple[Catalogue, dict[frozenset[str], Answer]]:
        """The catalogue of `index` and its alerts made so far (off the event loop)."""
        if self._made is None or self._made[0] is not index:
            made = (index, await asyncio.to_thread(catalogue, index), {})
            if self._made is None or self._made[0] is not index:
                self._made = made
        return self._made[1], self._made[2]

    async def _post(self, poster: Poster, channel_id: str, answer: Answer) -> PostFailed | None:
        """Try posting up to CASEBOT_ALERT_ATTEMPTS times; the last failure, or None."""
        failures: list[PostFailed] = []
        async with self._posting:
            for attempt in range(self._attempts):
                if attempt:
                    wait = self._retry_seconds * 2 ** (attempt - 1)
                    await self._sleep(max(wait, failures[-1].retry_after or 0.0))
                try:
                    await poster.post_alert(channel_id, answer)
                except PostFailed as failure:
                    failures.append(failure)
                except Exception as error:  # a bug or an unexpected library error
                    logger.exception(
                        "posting an alert to %s channel %s failed", poster.platform, channel_id
                    )
                    failures.append(PostFailed(type(error).__name__, gone=False))
                else:
                    self._metrics.alerts_sent.labels(platform=poster.platform).inc()
                    logger.info("posted an alert to %s channel %s", poster.platform, channel_id)
                    return None
                logger.warning(
                    "posting an alert to %s channel %s failed (try %d of %d): %s",
                    poster.platform, channel_id, attempt + 1, self._attempts, failures[-1].reason,
                )  # fmt: skip
        last = failures[-1]
        # Dropped only when every try said so: one odd answer doesn't lose a follower.
        last.gone = all(failure.gone for failure in failures)
        return last

    async def _give_up(self, platform: str, channel_id: str, failure: PostFailed) -> None:
        self._metrics.alerts_failed.labels(platform=platform).inc()
        if not failure.gone:
            logger.error(
                "could not post an alert to %s channel %s (%s); it stays queued",
                platform, channel_id, failure.reason,
            )  # fmt: skip
            return
        result = (
            f"dropped {platform} channel {channel_id}: casebot can no longer post there "
            f"({failure.reason})"
        )
        try:
            await self._store.unfollow(platform=platform, channel_id=channel_id)
        except Exception:
            logger.exception("could not drop %s channel %s", platform, channel_id)
            return
        self._metrics.follows_dropped.labels(platform=platform).inc()
        logger.warning("%s", result)
        try:
            await self._store.record_admin(
                platform=platform, user_id=_SYSTEM, command="unfollow", allowed=True, result=result
            )
        except Exception:
            logger.exception("could not audit dropping %s channel %s", platform, channel_id)
