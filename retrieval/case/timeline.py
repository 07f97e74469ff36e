"""The case's dated events, in order, each quoted from the source that reports it.

An event is a sentence that gives a date ("in August 2024", "today") or that reports a
procedural step of the case in a dated passage ("was this week accused"). The same event
told by several sources appears once, with the others as "also reported by"; sources that
give different dates for the same claim are flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from retrieval.case import claims
from retrieval.answering.quoting import make_quote
from retrieval.language.dates import DateMention, find_dates
from retrieval.case.developments import step
from retrieval.language.vocabulary import BACKGROUND_WORDS, FIGURE_WORDS, MODAL_WORDS
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Event


_MODAL = re.compile(rf"\b(?:{MODAL_WORDS})\b", re.I)

# Two sentences that give the same date need less in common to be one event than two
# sentences in general need to make one claim: the shared date already ties them.
SAME_EVENT = 0.15


@dataclass(frozen=True, slots=True)
class _Candidate:
    sentence: claims.Sentence
    mention: DateMention | None  # None: dated by its passage ("this week")


def timeline(index: Index) -> Answer:
    """Dated events from the sources, oldest first (computed once per index snapshot)."""
    if index.cache.timeline is None:
        index.cache.timeline = _timeline(index)
    return index.cache.timeline


def _timeline(index: Index) -> Answer:
    candidates = _candidates(index)
    events: list[tuple[Event, claims.Sentence]] = []
    on_date: dict[tuple, list[int]] = {}  # (date, precision) -> positions in `events`
    conflicts: list[Conflict] = []
    for candidate in candidates:
        sentence, mention = candidate.sentence, candidate.mention
        if mention is None:
            when, precision, reported = sentence.passage.date, "day", True
        else:
            # "this week" dates the report, not the event; "today" and "last year" are exact
            # enough once resolved against the passage's date.
            when, precision = mention.date, mention.precision
            reported = mention.text.casefold().endswith("week")
        assert when is not None  # _candidates keeps only dated ones
        same_date = on_date.setdefault((when, precision), [])
        duplicate = next(
            (
                i
                for i in same_date
                if (other := events[i][1]).passage.source_id == sentence.passage.source_id
                and step(other.text) == step(sentence.text)
                or claims.similarity(index, sentence, other) >= SAME_EVENT
            ),
            None,
        )
        if duplicate is not None:
            event, other = events[duplicate]
            source = index.sources[sentence.passage.source_id]
            if source != event.quote.source and source not in event.quote.also_in:
                quote = replace(event.quote, also_in=event.quote.also_in + (source,))
                events[duplicate] = (replace(event, quote=quote), other)
            # Another telling of the event: where the sources disagree on what it gives
            # (a count, a sum), they disagree about this event.
            claims.merge_conflicts(conflicts, claims.conflicts(index, sentence, claims.candidates(index, sentence)))
            continue
        groups = index.analyzer.query(sentence.text)
        same_date.append(len(events))
        events.append(
            (
                Event(date=when, precision=precision, quote=make_quote(index, sentence, groups), reported=reported),
                sentence,
            )
        )
        claims.merge_conflicts(conflicts, claims.conflicts(index, sentence, claims.candidates(index, sentence)))

    # The case's other disagreements on a date, wherever the sources tell them: an event
    # the timeline dates one way may be dated otherwise by a source it does not quote.
    claims.merge_conflicts(conflicts, (c for c in claims.case_disagreements(index) if c.kind == "date"))

    ordered = sorted(events, key=lambda pair: (pair[0].date, pair[0].quote.passage_id or 0))
    count = len(ordered)
    text = (
        f"{count} dated event{'s' if count != 1 else ''} from the sources, oldest first."
        if count
        else "The sources give no dated events."
    )
    if conflicts:
        # Say what differs: an event's sentence may give a count or a sum that another
        # source gives differently, not a date.
        kinds = {c.kind for c in conflicts}
        text += (
            " Some dates differ between sources: see below."
            if kinds == {"date"}
            else " The sources differ on some details: see below."
        )
    return Answer(
        kind="timeline",
        text=text,
        events=tuple(event for event, _ in ordered),
        conflicts=tuple(conflicts),
        loaded_at=index.corpus.loaded_at,
    )


def _candidates(index: Index) -> list[_Candidate]:
    """Sentences that date an event, dated ones first by their order in the corpus."""
    found: list[_Candidate] = []
    steps = {(d.passage.id, d.sentence) for d in index.developments}
    for passage in index.passages:
        sentences = claims.sentences_of(index, passage)
        for i, sentence in enumerate(sentences):
            if sentence.other_case or (
                sentence.step is None
                and (BACKGROUND_WORDS.search(sentence.text) or (sentence.figures and FIGURE_WORDS.search(sentence.text)))
            ):
                continue
            # "last year" is too vague to date an event by; "today" is not. A date after
            # "would", "could", "will" is of something foretold or imagined, not an event.
            mentions = [
                m
                for m in find_dates(sentence.text, reported=passage.date)
                if not (m.relative and m.precision == "year") and not _MODAL.search(sentence.text, 0, m.start)
            ]
            if mentions:
                # The first date a sentence gives is the one its event happened on.
                found.append(_Candidate(sentence, mentions[0]))
            elif passage.date is not None and (passage.id, i) in steps:
                found.append(_Candidate(sentence, None))
    return found
