"""Following cases: channels that follow a case get each new development of it, once.

The rules, each here once:

* **What is news.** A development (retrieval/case/developments.py) is dated by `event_date`: the
  date its sentence gives for the event, else its passage's. The store keeps, for each
  case, the latest such date of every corpus of it served so far (`known_through`); a
  corpus served later (start, reload, an added article) brings news only in developments
  dated after it. So a new source re-reporting a known step, or the same corpus served
  again, brings none, and a case's first corpus after the store is made (or the first of
  a case that has just appeared) only sets its mark (its history is not news).
  Undated developments are never news: nothing says when they happened. Only a desk with
  a chat platform connected compares: `casebot chat`, perhaps on another corpus with the
  same database, moves nothing, and `casebot serve` compares its corpus when it connects.
* **Exactly once.** The news and the move of the mark are written in one transaction, as
  one queued alert per (following channel, development); a channel's queued alerts of a
  case are posted as one message, naming the case when the deployment serves several,
  and then marked done. A crash between posting and marking posts
  that one message again at the next start; nothing else can repeat. With several
  replicas on PostgreSQL, a replica claims a channel's alerts before posting them
  (`Store.claim_alerts`: row locks, and a lease as long as every try could take), so
  no two replicas post the same; one killed mid-post leaves them to another once the
  lease lapses (each replica looks again then), which posts that message again once.
* **Posting.** Each message is tried `CASEBOT_ALERT_ATTEMPTS` times, waiting
  `CASEBOT_ALERT_RETRY_SECONDS` and then twice as long each time. If every try says the
  channel is gone (the adapter's `PostFailed.gone`: Slack's not_in_channel, ... Discord's
  403/404), the channel stops following every case, and that is logged and audited;
  otherwise the alert stays queued for the next reload, start or reconnect.

The platforms post through `Poster`, which each adapter implements and attaches here when
it has connected.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from bot.ops.metrics import Metrics
from bot.render.format import format_time
from bot.settings import Settings
from bot.store import LEGACY_CASE, Store
from retrieval.case import claims
from retrieval.case.developments import Development
from retrieval.errors import CasebotError
from retrieval.index import Index
from retrieval.model import Answer, Source
from retrieval.answering.quoting import make_quote

logger = logging.getLogger(__name__)

# The commands this module answers (bot/commands.py declares them).
COMMANDS = frozenset({"follow", "unfollow"})
# Most developments quoted in one alert; a longer burst points to the timeline.
MAX_QUOTES = 8
# Channels posted to at once, so a large following can't flood a platform's rate limits.
CONCURRENT_POSTS = 4
# The longest one try at posting may take (the adapters' HTTP timeouts are shorter), for
# the lease on alerts being posted: see `Alerts._lease`.
POST_SECONDS = 30.0
# Added to that lease: the time to build the message and record it, with room to spare.
LEASE_MARGIN_SECONDS = 60.0
# How far replicas' clocks and the store's whole seconds may put two moments apart.
_CLOCKS_APART = timedelta(seconds=2)
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
    index: Index,
    developments: Sequence[Development],
    dated: Catalogue | None = None,
    *,
    case: Served | None = None,
) -> Answer:
    """The alert: each new development quoted with outlet, date and "also reported by";
    with `case` (a deployment of several), naming it.

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
    typed = f" {case.id}" if case is not None else ""
    notes = [STATUS_POINTER if case is None else f"Where it stands now: `/case status{typed}`"]
    if len(groups) > MAX_QUOTES:
        notes.insert(0, f"…and {len(groups) - MAX_QUOTES} more: `/case timeline{typed}`")
    where = "the case" if case is None else case.name
    lead_text = (
        f"A new development in {where}, as the sources report it:"
        if len(quotes) == 1
        else f"{len(groups)} new developments in {where}, as the sources report them:"
    )
    return Answer(
        kind="status", text=lead_text, quotes=tuple(quotes), notes=tuple(notes),
        case=case.name if case is not None else None,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Served:
    """A case whose news the alerts post: its id, and its name in a deployment of several."""

    id: str
    name: str


class Alerts:
    """The channels that follow each case, and the alerts owed to them.

    The desk calls `served` with every corpus of a case it starts serving, `withdrawn`
    when it stops serving a case, and `command` for the follow commands; adapters
    `attach` themselves once connected and `detach` on closing.

    Args:
        store: where follows, the marks and queued alerts live.
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
        # Each case served: its snapshot, and how alerts name it (None: the only case).
        self._served: dict[str, tuple[Index, Served | None]] = {}
        # For each case's latest snapshot only: its catalogue, and the alerts made from it
        # (channels owed the same news share one).
        self._made: dict[str, tuple[Index, Catalogue, dict[frozenset[str], Answer]]] = {}
        # Cases served whose news is not queued yet (see `_run`).
        self._unread: set[str] = set()
        self._posters: dict[str, Poster] = {}
        self._wake = asyncio.Event()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._runner: asyncio.Task[None] | None = None
        self._busy: dict[_Key, asyncio.Task[bool]] = {}
        # (platform, channel, case)s whose last message failed for a passing reason: left
        # until the next corpus or connection, so that an outage is not retried in a loop.
        self._resting: set[_Key] = set()
        self._posting = asyncio.Semaphore(CONCURRENT_POSTS)
        # Seconds a claim on a channel's alerts lasts: every try and every wait between
        # them, and a margin; a replica still posting when it lapsed could repeat one.
        waits = sum(self._retry_seconds * 2 ** (n - 1) for n in range(1, self._attempts))
        self._lease = waits + self._attempts * POST_SECONDS + LEASE_MARGIN_SECONDS
        # Wakes the runner when another replica's claim lapses (see `_run`).
        self._lapse: asyncio.TimerHandle | None = None

    # --- what the desk calls ---------------------------------------------------------

    async def served(self, case_id: str, index: Index, *, name: str | None = None) -> None:
        """Note a corpus of a case now being served: its news is queued for every channel
        following the case and posted (once a chat platform is connected; `idle` waits for
        it). `name`: how alerts name the case, in a deployment of several."""
        self._served[case_id] = (index, Served(case_id, name) if name is not None else None)
        self._unread.add(case_id)
        self._resting.clear()
        self._poke()

    def retry(self) -> None:
        """Try again what is owed (at a reload, even of nothing changed): channels left to
        rest after a passing failure are tried once more."""
        self._resting.clear()
        self._poke()

    def withdrawn(self, case_id: str) -> None:
        """Stop posting a case no longer served; its queued alerts wait for it to return."""
        self._served.pop(case_id, None)
        self._made.pop(case_id, None)
        self._unread.discard(case_id)

    async def _queue_news(self, case_id: str, index: Index) -> None:
        ready, known = await self._store.known_through(case_id)
        dated, _ = await self._snapshot(case_id, index)
        fresh = [key for key, (_, day) in dated.items() if ready and is_news(day, known)]
        dates = [day for day in (known, *(day for _, day in dated.values())) if day]
        queued = await self._store.queue_alerts(case_id, fresh, max(dates, default=None))
        if fresh:
            logger.info(
                "%d new development(s) in case %s: %d alert(s) queued", len(fresh), case_id,
                queued,
            )  # fmt: skip

    async def command(
        self, name: str, *, platform: str, channel_id: str | None, user_id: str,
        case_id: str, case_name: str | None = None,
    ) -> Answer:  # fmt: skip
        """Answer follow or unfollow of `case_id` (the desk has gated it and chosen the
        case); `case_name` names it in a deployment of several."""
        if channel_id is None:
            return Answer(
                kind="refused",
                text="Following works in a Slack or Discord channel or DM, where alerts can go.",
            )
        what = "the case" if case_name is None else case_name
        if name == "follow":
            followed = await self._store.follow(
                platform=platform, channel_id=channel_id, case_id=case_id, by_user=user_id
            )
            text = (
                f"This channel now follows {what}: each new development the sources "
                "report will be posted here, once."
                if followed
                else f"This channel already follows {what}."
            )
        elif await self._store.unfollow(platform=platform, channel_id=channel_id, case_id=case_id):
            text = f"This channel no longer follows {what}."
        else:
            text = f"This channel doesn't follow {what}."
        return Answer(kind="answer", text=text, case=case_name)

    async def following(self, names: Mapping[str, str] | None = None) -> Answer:
        """`following`: every channel that follows, since when and by whom; with `names`
        (case id -> name, a deployment of several), the case each follows."""
        follows = await self._store.follows()
        if not follows:
            what = "the case" if names is None else "any case"
            return Answer(kind="answer", text=f"No channel follows {what}.")
        lines = []
        for f in follows:
            line = f"{f.platform} {f.channel_id}: since {format_time(f.at)}, by {f.by_user}"
            if names is not None:
                case = names.get(f.case_id)
                line += f", {case} ({f.case_id})" if case else f", {_unserved(f.case_id)}"
            lines.append(line)
        if names is not None:
            return Answer(kind="answer", text=f"Channels following cases ({len(follows)}):",
                          notes=tuple(lines))  # fmt: skip
        count = "1 channel follows" if len(follows) == 1 else f"{len(follows)} channels follow"
        return Answer(kind="answer", text=f"{count} the case:", notes=tuple(lines))

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
        for key, task in list(self._busy.items()):
            if key[0] == poster.platform:
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
        if self._lapse is not None:
            self._lapse.cancel()

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
            # One case at a time, here only: its latest corpus is compared with its mark.
            while self._posters and self._unread:
                case_id = self._unread.pop()
                if case_id not in self._served:
                    continue
                try:
                    await self._queue_news(case_id, self._served[case_id][0])
                except Exception:
                    logger.exception("could not queue the alerts for case %s", case_id)
            try:
                pending = await self._store.pending_alerts()
            except Exception:
                logger.exception("could not read the queued alerts")
                pending = {}
            for key in pending:
                poster = self._posters.get(key[0])
                if poster is None or key in self._busy or key in self._resting:
                    continue
                if key[2] not in self._served:
                    continue  # a case not served (now): its alerts wait for it
                task = asyncio.create_task(self._deliver(poster, key[1], key[2]))
                self._busy[key] = task
                task.add_done_callback(lambda done, key=key: self._delivered(key, done))
            if self._posters:
                await self._look_again_at_lapse()
            self._settle()

    async def _look_again_at_lapse(self) -> None:
        """Wake when the earliest claim another replica holds lapses: if it died posting,
        its alerts are owed again (a claim of this replica's ends before then)."""
        try:
            end = await self._store.next_lease_end()
        except Exception:
            logger.exception("could not read when the claims on alerts lapse")
            return
        if self._lapse is not None:
            self._lapse.cancel()
            self._lapse = None
        if end is not None:
            delay = max(end - time.time(), 0.0) + 1.0
            self._lapse = asyncio.get_running_loop().call_later(delay, self._poke)

    def _delivered(self, key: _Key, task: asyncio.Task[bool]) -> None:
        self._busy.pop(key, None)
        if not task.cancelled() and task.exception() is None and task.result():
            # Alerts may have been queued for this channel while it was being posted to.
            self._wake.set()
        elif not task.cancelled():
            self._resting.add(key)
        self._settle()

    async def _deliver(self, poster: Poster, channel_id: str, case_id: str) -> bool:
        """Post one channel's queued alerts of a case as one message. Returns whether it
        is done."""
        async with self._posting:
            if case_id not in self._served:  # withdrawn while waiting its turn
                return False
            return await self._deliver_claimed(poster, channel_id, case_id)

    async def _deliver_claimed(self, poster: Poster, channel_id: str, case_id: str) -> bool:
        platform = poster.platform
        index, named = self._served[case_id]
        # Claimed here, not taken from the scan that started this: that read may be older
        # than the end of this channel's previous delivery (or another replica's), and
        # would post it again.
        where = {"platform": platform, "channel_id": channel_id, "case_id": case_id}
        keys = await self._store.claim_alerts(**where, lease=self._lease)
        known, answers = await self._snapshot(case_id, index)
        found = [known[key][0] for key in keys if key in known]
        # Queued, then gone from the corpus before it could be posted: nothing to quote.
        stale = [key for key in keys if key not in known]
        ahead: list[str] = []
        if stale and self._store.backend == "postgres":
            # Or queued by a replica that read a newer corpus than this one has yet: news
            # to this replica, not stale. Stale only if queued before this corpus was read.
            read = index.corpus.loaded_at - _CLOCKS_APART
            before = await self._store.queued_before(**where, developments=stale, moment=read)
            ahead = [key for key in stale if key not in before]
            stale = [key for key in stale if key in before]
        if found:
            wanted = frozenset(development_key(d) for d in found)
            if wanted not in answers:
                answers[wanted] = await asyncio.to_thread(
                    alert_answer, index, found, known, case=named
                )
            failure = await self._post(poster, channel_id, answers[wanted])
            if failure is not None:
                await self._store.release_alerts(**where)
                await self._give_up(platform, channel_id, failure)
                return False
        try:
            await self._store.finish_alerts(
                platform=platform,
                channel_id=channel_id,
                case_id=case_id,
                sent=[development_key(d) for d in found],
                stale=stale,
            )
        except Exception:
            # Not marked: trying again now would post it again. The next start does.
            logger.exception(
                "could not record the alert posted to %s channel %s", platform, channel_id
            )
            return False
        if ahead:
            # Left owed, for this replica's next corpus (or another replica) to post; this
            # channel rests meanwhile rather than claim them again and again, unless that
            # next corpus came while this was being decided.
            await self._store.release_alerts(**where)
            served = self._served.get(case_id)
            return served is not None and served[0] is not index
        return True

    async def _snapshot(
        self, case_id: str, index: Index
    ) -> tuple[Catalogue, dict[frozenset[str], Answer]]:
        """The catalogue of a case's snapshot `index` and its alerts made so far (off the
        event loop)."""
        made = self._made.get(case_id)
        if made is None or made[0] is not index:
            fresh = (index, await asyncio.to_thread(catalogue, index), {})
            made = self._made.get(case_id)
            if made is None or made[0] is not index:
                self._made[case_id] = made = fresh
        return made[1], made[2]

    async def _post(self, poster: Poster, channel_id: str, answer: Answer) -> PostFailed | None:
        """Try posting up to CASEBOT_ALERT_ATTEMPTS times; the last failure, or None. Runs
        as one of CONCURRENT_POSTS: `_deliver` holds `_posting`."""
        failures: list[PostFailed] = []
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
            # A channel casebot can't post in is gone for every case it followed.
            for follow in await self._store.follows(platform=platform, channel_id=channel_id):
                await self._store.unfollow(
                    platform=platform, channel_id=channel_id, case_id=follow.case_id
                )
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


# (platform, channel id, case id): one channel's alerts of one case, posted as one message.
_Key = tuple[str, str, str]


def _unserved(case_id: str) -> str:
    if case_id == LEGACY_CASE:
        return "a case from before casebot served several (follow again to choose one)"
    return f"{case_id} (not served now)"
