"""JSON rendering of an answer, for scripts: `casebot ask --json` and friends.

The keys are a stable interface: add new ones only, never rename or drop one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.render.text import render_text
from retrieval.model import Answer, Conflict, Event, Quote, Source, SourceSummary


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """Turn an answer into a JSON-ready dict with the stable keys.

    Always: kind, case (its name in a deployment of several cases, else null), question,
    text (the full plain-text rendering), quotes, conflicts. Timelines add "events"; source
    listings add "sources" and "loaded_at"; the closest passages (a "no_answer" that quotes
    what comes nearest) add "closest": true.
    """
    result: dict[str, Any] = {
        "kind": answer.kind,
        "case": answer.case,
        "question": answer.question,
        "text": render_text(answer),
        "quotes": [_quote(q) for q in answer.quotes],
        "conflicts": [_conflict(c) for c in answer.conflicts],
    }
    if answer.closest:
        # Not an answer: the closest the sources come (retrieval/answering/tiers.py).
        result["closest"] = True
    if answer.kind == "timeline":
        result["events"] = [_event(e) for e in answer.events]
    if answer.kind == "sources":
        result["sources"] = [_summary(s) for s in answer.sources]
        result["loaded_at"] = answer.loaded_at.isoformat() if answer.loaded_at else None
    return result


def error_to_json(text: str, problems: Sequence[str] = ()) -> dict[str, Any]:
    """What `--json` prints when a command cannot do what was asked (it exits non-zero):
    `{"kind": "error", "text": the sentence on stderr, "problems": one string each}`."""
    return {"kind": "error", "text": text, "problems": list(problems)}


def _source(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "outlet": source.outlet,
        "title": source.title,
        "url": source.url,
        "published": source.published.isoformat() if source.published else None,
    }


def _quote(quote: Quote) -> dict[str, Any]:
    result: dict[str, Any] = {
        "text": quote.text,
        "date": quote.date.isoformat() if quote.date else None,
        "also_in": [s.id for s in quote.also_in],
        "source": _source(quote.source),
    }
    if quote.label is not None:
        result["label"] = quote.label
    return result


def _conflict(conflict: Conflict) -> dict[str, Any]:
    return {
        "about": conflict.about,
        "values": [
            {"value": v.value, "sources": [s.id for s in v.sources]} for v in conflict.values
        ],
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "date": event.date.isoformat(),
        "precision": event.precision,
        # The date is only that of the report ("this week"), as the text says "reported".
        "reported": event.reported,
        "quote": _quote(event.quote),
    }


def _summary(summary: SourceSummary) -> dict[str, Any]:
    source = summary.source
    return {
        **_source(source),
        "updated": source.updated.isoformat() if source.updated else None,
        "author": source.author,
        "passages": summary.passages,
    }
