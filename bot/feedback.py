"""Feedback on answers: 👍/👎 on every ask and status answer, and "Wrong source?" on a 👎.

The desk records each such answer in the store under a random id (its kind, the passages it
quoted, the question only with CASEBOT_STORE_QUESTIONS) and hands the id to the adapters,
which put it in their buttons' values. A click carries only that value back, so buttons
keep working after a restart: everything else is in the store, nothing in memory. People are
recorded as a salted hash (`Store.user_hash`), one vote per person per answer; a later
click replaces the earlier one.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.model import Answer, Corpus

# Only for annotations: the renderers import the button values from here, without the
# store and the settings (aiosqlite, pydantic).
if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Reason, Store, Vote

# The commands whose answers carry the buttons, and the answer kinds among their replies
# (refusals, limits and apologies carry none).
FEEDBACK_COMMANDS = frozenset({"ask", "status"})
FEEDBACK_KINDS = frozenset({"answer", "no_answer", "status"})

VOTES: tuple[Vote, ...] = ("up", "down")
# The "Wrong source?" choices offered after a 👎, as people read them.
REASONS: dict[Reason, str] = {
    "wrong_quote": "Wrong quote",
    "outdated": "Outdated",
    "missing": "Missing",
}
VOTE_LABELS: dict[Vote, str] = {"up": "👍", "down": "👎"}
WRONG_SOURCE = "Wrong source?"

# A button's value: "cbfb:<answer id>:<vote>[:<reason>]". Short enough for Discord's
# 100-character custom_id; the prefix tells casebot's buttons from anything else.
PREFIX = "cbfb"
_VALUE = re.compile(
    rf"{PREFIX}:(?P<id>[0-9a-f]{{16}}):(?P<vote>up|down)(?::(?P<reason>{'|'.join(REASONS)}))?"
)
# Stored question text older than the retention is deleted at start and at most this often.
_FORGET_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Click:
    """What a feedback button says: the answer, the vote, and a reason for a 👎."""

    answer_id: str
    vote: Vote
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class Thanks:
    """The private reply to a click; after a 👎 without a reason, the answer id whose
    "Wrong source?" choices the adapters show with it."""

    answer: Answer
    ask_reason_for: str | None = None
    # Whether the click cast a vote or changed one (not a repeat, nor a reason after a 👎).
    cast: bool = False


def button_value(answer_id: str, vote: Vote, reason: Reason | None = None) -> str:
    """The value (Slack) or custom_id (Discord) of one feedback button."""
    value = f"{PREFIX}:{answer_id}:{vote}"
    return f"{value}:{reason}" if reason is not None else value


def parse_click(value: object) -> Click | None:
    """The click a button value stands for, or None if it is not one of casebot's."""
    if not isinstance(value, str) or (match := _VALUE.fullmatch(value)) is None:
        return None
    return Click(match["id"], match["vote"], match["reason"])  # type: ignore[arg-type]


def is_feedback_value(value: object) -> bool:
    """Whether a button value or custom_id is meant for `Feedback.vote` (valid or not)."""
    return isinstance(value, str) and value.startswith(f"{PREFIX}:")


class Feedback:
    """Records answers that carry buttons, and the votes on them.

    Args:
        store: the open store.
        settings: for CASEBOT_QUESTION_RETENTION_DAYS.
        clock: seconds, monotonic; how often old question text is deleted.
    """

    def __init__(
        self, store: Store, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._retention_days = settings.question_retention_days
        self._clock = clock
        self._forgot_at: float | None = None

    async def forget_old_questions(self) -> int:
        """Delete question text past the retention (none when it is 0); returns how many."""
        self._forgot_at = self._clock()
        if self._retention_days <= 0:
            return 0
        return await self._store.forget_questions(self._retention_days)

    async def answered(
        self, *, case_id: str, platform: str, command: str, answer: Answer,
        question: str | None, corpus: Corpus,
    ) -> str | None:  # fmt: skip
        """Record an answer about `case_id` if it carries buttons; returns the id for them,
        else None."""
        if command not in FEEDBACK_COMMANDS or answer.kind not in FEEDBACK_KINDS:
            return None
        if self._forgot_at is None or self._clock() - self._forgot_at >= _FORGET_EVERY_SECONDS:
            await self.forget_old_questions()
        answer_id = secrets.token_hex(8)
        await self._store.record_answer(
            answer_id=answer_id,
            case_id=case_id,
            platform=platform,
            command=command,
            kind=answer.kind,
            passages=passage_keys(corpus, answer),
            question=question if command == "ask" else None,
        )
        return answer_id

    async def vote(self, *, platform: str, user_id: str, click: Click) -> Thanks:
        """Record `click` by `user_id`; the private thanks to show them."""
        record = await self._store.answer(click.answer_id)
        if record is None:
            text = "Sorry, I no longer have that answer, so I can't record that."
            return Thanks(Answer(kind="refused", text=text))
        before = await self._store.record_vote(
            record, platform=platform, user_id=user_id, vote=click.vote, reason=click.reason
        )
        ask = click.vote == "down" and click.reason is None
        return Thanks(
            Answer(kind="answer", text=_thanks(click, before)),
            ask_reason_for=record.id if ask else None,
            cast=before != click.vote,
        )


def passage_keys(corpus: Corpus, answer: Answer) -> tuple[str, ...]:
    """The passages an answer quotes, each once, in order, as "source id#position".

    A passage's id is its number in the whole corpus, which changes when an article is
    added before it; its article and position there survive reloads.
    """
    # Through the quoted article: `corpus.passages` builds a tuple of all of them.
    articles = {article.source.id: article for article in corpus.articles}
    keys = []
    for quote in answer.quotes:
        article = articles.get(quote.source.id)
        if quote.passage_id is None or article is None:
            continue
        for passage in article.passages:
            if passage.id == quote.passage_id:
                keys.append(passage_key(passage.source_id, passage.position))
                break
    return tuple(dict.fromkeys(keys))


def passage_key(source_id: str, position: int) -> str:
    return f"{source_id}#{position}"


def _thanks(click: Click, before: Vote | None) -> str:
    if click.reason is not None:
        return f"Thanks, noted: {REASONS[click.reason].lower()}."
    mark = VOTE_LABELS[click.vote]
    if before is None:
        said = f"Thanks for the {mark}."
    elif before == click.vote:
        said = f"You had already given this answer a {mark}."
    else:
        said = f"Thanks, changed your vote to {mark}."
    if click.vote == "down":
        said += f" {WRONG_SOURCE} Tell me what was wrong:"
    return said
