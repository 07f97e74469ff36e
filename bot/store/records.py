"""The records the store hands back: one frozen dataclass per kind of row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# The case id of records made before a deployment could serve several cases (SQLite
# migration 4): `Store.adopt_legacy` gives them to the deployment's one case.
LEGACY_CASE = ""

LoadResult = Literal["ok", "failed"]
Vote = Literal["up", "down"]
Reason = Literal["wrong_quote", "outdated", "missing"]


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """One row of `corpus_loads`: an attempt to load a case's articles."""

    id: int
    at: datetime
    by_platform: str
    by_user: str
    fingerprint: str | None
    articles: int
    passages: int
    result: LoadResult
    errors: tuple[str, ...]
    case_id: str = LEGACY_CASE


@dataclass(frozen=True, slots=True)
class Follow:
    """One row of `follows`: a channel that gets a case's new developments."""

    platform: str
    channel_id: str
    at: datetime
    by_user: str
    case_id: str = LEGACY_CASE


@dataclass(frozen=True, slots=True)
class ChannelCase:
    """One row of `channel_cases`: the case a channel chose with `/case use`."""

    platform: str
    channel_id: str
    case_id: str
    at: datetime
    by_user: str


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One row of `answers`: an ask or status answer that carries feedback buttons."""

    id: str
    at: datetime
    platform: str
    command: str
    kind: str
    passages: tuple[str, ...]
    question: str | None
    case_id: str = LEGACY_CASE


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of `audit`: an attempt to run an admin command."""

    id: int
    at: datetime
    platform: str
    user_id: str
    command: str
    allowed: bool
    result: str
    case_id: str | None = None
