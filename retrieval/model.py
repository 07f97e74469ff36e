"""The values that flow through casebot: sources, passages, corpora and answers.

Everything here is immutable (frozen dataclasses), because one corpus snapshot is read by
many concurrent requests while a reload builds the next one. The answer model is what
every front end renders: plain text in the console, Block Kit in Slack, embeds in Discord.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from retrieval.language.dates import date_label


@dataclass(frozen=True, slots=True)
class Source:
    """One article, as its front matter describes it.

    `id` is the file's name without its extension; it is stable across reloads and is what
    answers use to point at a source.
    """

    id: str
    outlet: str | None = None
    title: str | None = None
    url: str | None = None
    published: date | None = None
    updated: date | None = None
    author: str | None = None
    # "article" (news reporting) or "filing" (a court document), from the front matter.
    kind: str = "article"

    @property
    def name(self) -> str:
        """What to call the source in a citation: its outlet, else its title."""
        return self.outlet or self.title or self.id


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of one article's text that is indexed and quoted on its own.

    Args:
        id: position of the passage in the whole corpus (the index's document number).
        source_id: the `Source.id` of the article it comes from.
        position: 0-based position of the passage within its article.
        text: the passage's text, verbatim from the article body.
        date: the date the passage was reported: the article's update date for passages
            after an in-article update notice, else its published date, else None.
        sentences: (start, end) character offsets of each sentence within `text`.
        heading: the nearest section heading above the passage, if any.
    """

    id: int
    source_id: str
    position: int
    text: str
    date: date | None
    sentences: tuple[tuple[int, int], ...]
    heading: str | None = None

    def sentence_texts(self) -> list[str]:
        return [self.text[start:end] for start, end in self.sentences]


@dataclass(frozen=True, slots=True)
class Article:
    source: Source
    passages: tuple[Passage, ...]
    fingerprint: str  # sha256 of the file's bytes: tells a changed article on reload


@dataclass(frozen=True, slots=True)
class Corpus:
    articles: tuple[Article, ...]
    loaded_at: datetime
    directory: str

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(p for a in self.articles for p in a.passages)

    @property
    def fingerprint(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        for article in sorted(self.articles, key=lambda a: a.source.id):
            digest.update(article.source.id.encode() + b"\0" + article.fingerprint.encode())
        return digest.hexdigest()


# --- answers ---------------------------------------------------------------------------

# "limited": refused by a per-person limit (too often, too many at once, too long); see
# bot/limits.py. "preview": what `add` would write, waiting for the admin to confirm
# (bot/desk.py). "choose": which case a question is about, asked with the candidates
# (bot/routing.py).
AnswerKind = Literal[
    "answer", "no_answer", "status", "timeline", "sources", "help", "reload", "refused",
    "limited", "error", "preview", "choose",
]


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim quotation from one source.

    Args:
        text: the quoted words, exactly as in the source (whitespace may be folded; a cut
            inside a long sentence is marked with "…").
        source: where it comes from.
        date: the date of the passage it was taken from (None when the source is undated).
        also_in: other sources that report the same thing.
        label: what the quote stands for in a structured answer ("Latest", "Filed", ...).
        passage_id: the passage the quote was taken from.
    """

    text: str
    source: Source
    date: date | None
    also_in: tuple[Source, ...] = ()
    label: str | None = None
    passage_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConflictValue:
    value: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Sources disagree on a value (a date, a figure) for the same claim."""

    about: str
    values: tuple[ConflictValue, ...]
    kind: str = ""  # "date", "figure" (a sum) or "count"


@dataclass(frozen=True, slots=True)
class Event:
    """A dated event of the case, with the quote that reports it."""

    date: date
    precision: Literal["day", "month", "year"]
    quote: Quote
    # True when the source gives no date for the event itself and `date` is the date of the
    # reporting passage ("this week", "today"): front ends say "reported" for those.
    reported: bool = False

    @property
    def when(self) -> str:
        """The date at its precision: "2016", "August 2024", "2025-01-30"."""
        return date_label(self.date, self.precision)


@dataclass(frozen=True, slots=True)
class SourceSummary:
    source: Source
    passages: int


@dataclass(frozen=True, slots=True)
class Answer:
    """What casebot says, before any front end renders it.

    Args:
        kind: what sort of reply this is; front ends use it to choose the visibility.
        text: the lead sentence(s) in casebot's own words, e.g. "Here is what the sources
            say." or "The sources don't cover that." Never a claim about the case.
        question: the question asked, when there was one.
        quotes: the quotations, best first.
        conflicts: disagreements between sources about what is quoted.
        events: for a timeline, the dated events in order.
        sources: for a source listing, the articles.
        notes: further lines in casebot's own words (e.g. a reload's report, help lines).
        loaded_at: when the corpus that produced this answer was loaded.
        closest: for a "no_answer" with quotes, that the quotes are the closest the
            sources come, not an answer (retrieval/answering/tiers.py).
        case: the case it is about, by name, when the deployment serves several (set by
            bot/, never here: front ends show it in one short line).
    """

    kind: AnswerKind
    text: str
    question: str | None = None
    quotes: tuple[Quote, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    events: tuple[Event, ...] = ()
    sources: tuple[SourceSummary, ...] = ()
    notes: tuple[str, ...] = ()
    loaded_at: datetime | None = field(default=None)
    closest: bool = False
    case: str | None = None
