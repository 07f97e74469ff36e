"""Tiers: what casebot says to a question, and how sure it says it.

- *confident* (kind "answer"): the question model's probability that the best sentence
  answers clears the fitted threshold. The best sentence leads; others join only when
  they are likely answers too and say something else.
- *closest* (kind "no_answer", closest=True): the sources may not answer directly. casebot
  says so and quotes the best two or three sentences, ranked, labelled as the closest.
- *not covered* (kind "no_answer", no quotes): only when a name the question turns on is
  nowhere in the sources, or nothing of the question is near any sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from retrieval.language import vocabulary as vocab
from retrieval.language.analyzer import fold
from retrieval.answering.candidates import Candidate, candidates
from retrieval.answering.features import (
    KINDS,
    SENTENCE_FEATURES,
    VALUES_GIVEN,
    asks_where_it_stands,
    question_features,
    sentence_features,
)
from retrieval.answering.question import Question, asks_something, is_topic, read_question, with_context
from retrieval.answering.quoting import make_quote
from retrieval.answering.ranking import gives_a_date
from retrieval.answering.scorer import Model, shipped
from retrieval.case import claims, developments
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Quote, Source, SourceSummary

ANSWERED = "Here is what the sources say."
CLOSEST = "The sources don't say that directly. The closest they come:"
NOT_COVERED = "The sources don't cover that."
SOURCES_HINT = "See `/case sources` for what the sources are."
DISAGREE = " They disagree on some details: see below."  # after a confident answer's lead
# The closest tier's lead when the quoted sources disagree: said before the colon that
# introduces the quotes, not after it.
CLOSEST_DISAGREEING = "The sources don't say that directly, and they disagree on some details (see below). The closest they come:"
# Quotes shown in the closest tier, at least (more when more are asked for): two, so a
# reader sees the sources come near it in more than one place.
CLOSEST_QUOTES = 2
CLOSEST_LABEL = "Closest"


@dataclass(frozen=True)
class Scored:
    """A question's candidates with the model's view of them."""

    question: Question
    candidates: list[Candidate]
    rows: np.ndarray  # SENTENCE_FEATURES per candidate
    probabilities: np.ndarray  # that each candidate answers
    confidence: float  # that the best one does
    order: np.ndarray  # candidate positions, most probable first

    @property
    def best_similarity(self) -> float:
        return float(self.rows[:, _SIMILARITY].max()) if len(self.rows) else 0.0


def score(index: Index, q: Question, model: Model) -> Scored:
    """Scores every candidate sentence of a question, and the question itself."""
    found = candidates(index, q) if (q.content or needs_no_words(q)) else []
    rows = sentence_features(index, q, found)
    probabilities = model.sentence.probabilities(rows)
    order = np.argsort(-probabilities, kind="stable")
    confidence = float(model.question.probabilities(question_features(q, index, rows, probabilities, found)[None, :])[0])
    return Scored(q, found, rows, probabilities, confidence, order)


def ask(index: Index, question: str, *, max_quotes: int = 3, model: Model | None = None) -> Answer:
    """Answers a question with verbatim quotes, in one of three tiers."""
    q = read_question(index, question)
    if q.about_sources is not None:
        return about_sources(index, q)
    model = model or shipped()
    if names_nothing(q):
        # "when did this happen?", "who?": asked with no thread before it (bot/threads.py
        # gives a follow-up its previous question), it asks about the case its sources
        # are about.
        about_case = read_question(index, with_context(question, vocab.CASE_WORD))
        answer = compose(index, score(index, about_case, model), model, max_quotes=max_quotes)
        return replace(answer, question=q.text)
    return compose(index, score(index, q, model), model, max_quotes=max_quotes)


def names_nothing(q: Question) -> bool:
    """A question ("when did this happen?") with no word of its own to look for, that is
    neither about where the case stands nor about a named source."""
    return not q.content and not needs_no_words(q) and asks_something(q.reading)


def tier(scored: Scored, model: Model) -> str:
    """"confident", "closest" or "not covered"."""
    best = scored.rows[scored.order[0]] if scored.candidates else None
    ruled = by_rule(scored.question, best, scored.best_similarity, model)
    if ruled is not None:
        return ruled
    return "confident" if scored.confidence >= model.confident else "closest"


def by_rule(q: Question, best: np.ndarray | None, similarity: float, model: Model) -> str | None:
    """The tier the rules outside the fit decide ("not covered" or "closest"), or None to
    leave it to the fitted confidence. `best` is the best candidate's feature row (None
    when there is no candidate). The fit sets its thresholds on the questions these rules
    leave to it (retrieval/answering/fitting.py), so there is one place for each rule."""
    if best is None or missing_names(q) or off_topic(q, similarity, model):
        return "not covered"
    if misses_the_kind(q, best):
        return "closest"
    if best[_OTHER_CASE]:
        # Another lawsuit's sentence leads, unasked: whatever it says, it is no confident
        # answer about this one ("how much did Ardent pay to settle", answered by what it
        # paid to settle an earlier suit).
        return "closest"
    return None


# Kinds of answer only a value of that kind gives: a sentence without one is a near miss.
VALUE_KINDS = frozenset({"date", "money", "count", "name"})


def misses_the_kind(q: Question, best: np.ndarray) -> bool:
    """A question that asks for a value (a date, a sum, a count, a name) whose best
    sentence (its feature row) gives none ("how much is the second check", answered by
    "another check is coming in March"): a near miss, never a confident answer."""
    # ("who was the mediator?", "which judge": a role asked about wants a name; "who is
    # suing?" may be answered by "a Premium customer".)
    wants = q.answer_type in VALUE_KINDS or (q.answer_type == "person" and (q.names_wanted or q.focus is not None))
    return wants and not best[_KINDS].any()


def off_topic(q: Question, similarity: float, model: Model) -> bool:
    """Nothing of the question is near any sentence: none means anything like it ("whats
    the best way to cook rice"), by the cosine of their embeddings. Words alone do not
    decide it: "cook rice" may share "best" with the sources, and "how much is that per
    member" none of its words with sources that say "users", yet the first is off the topic
    and the second is not; a word no source uses lowers a match in the fitted scorer
    instead. A question of where the case stands, or of what a named
    source says, needs no words of its own."""
    if needs_no_words(q):
        return False
    return similarity < model.off_topic_similarity


def needs_no_words(q: Question) -> bool:
    """Where the case stands, or what a named source says: answered without words of the
    question's own ("any updates?", "what did dow jones report")."""
    return asks_where_it_stands(q) or bool(q.named_sources)


_OTHER_CASE = SENTENCE_FEATURES.index("other_case")
_KINDS = [SENTENCE_FEATURES.index(f"kind_{k}") for k in KINDS]
_SIMILARITY = SENTENCE_FEATURES.index("similarity")


def compose(index: Index, scored: Scored, model: Model, *, max_quotes: int = 3) -> Answer:
    q = scored.question
    latest = next((c for c in scored.candidates if c.latest_step), None)
    if latest is not None and asks_for_status(index, q):
        # "Is the case still going on?" is answered by the latest step, whatever its words.
        rest = [c for c in _distinct(index, scored, limit=max_quotes, floor=model.also) if c is not latest]
        return _answer(index, q, [latest, *rest][:max_quotes], max_quotes=max_quotes)
    kind = tier(scored, model)
    if kind == "not covered":
        return _not_covered(index, q, missing_names(q) or tuple(u.word for u in q.unknown if u.name))
    if kind == "confident":
        chosen = _distinct(index, scored, limit=max_quotes, floor=model.also)
        return _answer(index, q, _with_rivals(index, scored, chosen, model, limit=max_quotes), max_quotes=max_quotes)
    limit = max(CLOSEST_QUOTES, max_quotes)
    chosen = _with_rivals(index, scored, _distinct(index, scored, limit=limit, floor=0.0), model, limit=limit)
    # The closest sentences are near the question, not its answer: beside the values of the
    # kind asked that they give, only a disagreement on a value the question states itself
    # ("so it started in 2023 right", "2010 or 2011?") is the reader's business; others
    # (the checks each claimant got, beside "how much did they agree to pay") are noise
    # beside a "doesn't say".
    quotes, conflicts = _quotes_and_other_sides(
        index, q, chosen, max_quotes=limit, label=CLOSEST_LABEL, relevant=lambda c: _states_a_value_of(q, c)
    )
    text = CLOSEST_DISAGREEING if conflicts else CLOSEST
    return Answer(
        kind="no_answer",
        text=text,
        question=q.text,
        quotes=quotes,
        conflicts=conflicts,
        notes=(*_unused_words(q), *_reading_notes(q)),
        loaded_at=index.corpus.loaded_at,
        closest=True,
    )


# Where the question asks for a sum, a date or a count, the likely answers among this many
# of the best are read for the values they give: another source's different value is a
# disagreement the reader must see.
RIVALS = 5


def _with_rivals(index: Index, scored: Scored, chosen: list[Candidate], model: Model, *, limit: int) -> list[Candidate]:
    """`chosen`, with another source's likely answer that gives a different value of the
    kind asked for ("$345 each" beside "$397 checks") in place of the weakest other quote:
    each side of a disagreement in its own words."""
    read = VALUES_GIVEN.get(scored.question.answer_type or "")
    if read is None or not chosen:
        return chosen
    given = {v for c in chosen for v in read(c.sentence)}
    sources = {c.sentence.passage.source_id for c in chosen}
    for position in scored.order[:RIVALS]:
        rival = scored.candidates[position]
        values = set(read(rival.sentence))
        if (
            scored.probabilities[position] >= model.also
            and rival.sentence.passage.source_id not in sources
            and values
            and not values & given
            and not values <= given
        ):
            kept = chosen if len(chosen) < limit else chosen[: limit - 1]
            return [*kept, rival]
    return chosen


def _unused_words(q: Question) -> tuple[str, ...]:
    """"(The sources never use “msft”.)": what of the question the closest passages can't
    hold."""
    rare = [u.word for u in q.unknown if u.name]
    if not rare:
        return ()
    surface = {fold(w): w for w in re.findall(r"[^\W_][\w'’-]*", q.text)}
    return ("(The sources never use " + ", ".join(f"“{surface.get(w, w)}”" for w in rare) + ".)",)


def asks_for_status(index: Index, q: Question) -> bool:
    """Whether the question asks where this case stands, and about nothing more specific.

    "Is the lawsuit still going on?" does; "What happened to the video ad metrics case?"
    names something rarer than the case itself, so it is a question of its own.
    """
    if not q.content:
        return developments.asks_only_for_news(q.reading)  # "what's the status?", "any updates?"
    if not developments.asks_for_status(q.reading):
        return False
    return all(developments.names_case_or_status(g.word) or is_topic(index, g) for g in q.content)


def _distinct(index: Index, scored: Scored, *, limit: int, floor: float) -> list[Candidate]:
    """The best candidates, each a claim of its own: the best always, then those from
    `floor` up that don't retell one already chosen."""
    chosen: list[Candidate] = []
    for position in scored.order:
        if len(chosen) == limit:
            break
        candidate = scored.candidates[position]
        if chosen and scored.probabilities[position] < floor:
            break
        if any(_same_claim(index, candidate.sentence, c.sentence) for c in chosen):
            continue
        chosen.append(candidate)
    return chosen


def _same_claim(index: Index, a: claims.Sentence, b: claims.Sentence) -> bool:
    if a.passage.id == b.passage.id and a.start == b.start:
        return True
    return claims.similarity(index, a, b) >= claims.SAME_CLAIM


def missing_names(q: Question) -> tuple[str, ...]:
    """The names the question turns on that no source uses: a person, a company, a court,
    a law, a product or a place, as the asker wrote it (capitalised) or a place name. Any
    other word the sources don't use (a rare word, a number, a lowercase name) only lowers
    a match, and the closest answer says the sources never use it."""
    return tuple(u.word for u in q.unknown if u.proper)


def _answer(index: Index, q: Question, chosen: Sequence[Candidate], *, max_quotes: int) -> Answer:
    quotes, conflicts = _quotes_and_other_sides(index, q, chosen, max_quotes=max_quotes)
    text = ANSWERED
    if q.answer_type == "date" and not any(gives_a_date(item.sentence) for item in chosen):
        # "recently filed", "on Friday" in an undated article: an answer, but no date.
        text = "The sources give no exact date. Here is what they say."
    if conflicts:
        text += DISAGREE
    return Answer(
        kind="answer",
        text=text,
        question=q.text,
        quotes=quotes,
        conflicts=conflicts,
        notes=_reading_notes(q),
        loaded_at=index.corpus.loaded_at,
    )


def _quotes_and_other_sides(
    index: Index,
    q: Question,
    chosen: Sequence[Candidate],
    *,
    max_quotes: int,
    label: str | None = None,
    relevant: Callable[[Conflict], bool] = lambda conflict: True,
) -> tuple[tuple[Quote, ...], tuple[Conflict, ...]]:
    """The chosen sentences as quotes, each with the other sources that tell it too, and
    the disagreements among the sources: on the values of the kind asked that the quotes
    give, and the `relevant` ones on anything else they say (confident or closest alike:
    a reader must see that the sources differ whatever the tier)."""
    quotes: list[Quote] = []
    found_conflicts: list[Conflict] = []
    dissent: list[claims.Sentence] = []
    for item in chosen:
        others = claims.candidates(index, item.sentence)
        also = tuple(claims.corroborating(index, item.sentence, others))
        quotes.append(make_quote(index, item.sentence, q.groups, also_in=also, label=label))
        for conflict, sentences in claims.disagreements(index, item.sentence, others):
            if not relevant(conflict):
                continue
            claims.merge_conflicts(found_conflicts, [conflict])
            if _asks_about(q, conflict.kind):
                dissent.extend(sentences)
    claims.merge_conflicts(found_conflicts, _value_conflicts(index, q, chosen))
    # Where sources disagree on what was asked, quote the other side too, in place of the
    # weakest quotes, so the reader sees each source's own words.
    quoted = {(item.sentence.passage.id, item.sentence.start) for item in chosen}
    other_side: dict[tuple[int, int], claims.Sentence] = {}
    for sentence in dissent:
        key = (sentence.passage.id, sentence.start)
        if key not in quoted:
            other_side.setdefault(key, sentence)
    if other_side:
        keep = max(1, min(len(quotes), max_quotes - len(other_side)))
        extra = [make_quote(index, s, q.groups, label=label) for s in other_side.values()]
        quotes = quotes[:keep] + extra[: max(0, max_quotes - keep)]
    return tuple(quotes), tuple(found_conflicts)


_DIGITS = re.compile(r"\d+")


def _states_a_value_of(q: Question, conflict: Conflict) -> bool:
    """Whether the question states one of the values a disagreement sets apart."""
    stated = set(_DIGITS.findall(q.text))
    return any(stated & set(_DIGITS.findall(v.value.replace(",", ""))) for v in conflict.values)


# The disagreements whose other side is quoted in full: on what the question asks for,
# and on dates and sums for any question.
_KIND_ASKED = {"count": {"count", "date", "figure"}, "person": set(), "place": set(), "words": set()}


def _asks_about(q: Question, kind: str) -> bool:
    return kind in _KIND_ASKED.get(q.answer_type or "", {"date", "figure"})


_VALUE_NAMES = {"money": ("sum", "figure"), "date": ("date", "date"), "count": ("count", "count")}


def _value_conflicts(index: Index, q: Question, chosen: Sequence[Candidate]) -> tuple[Conflict, ...]:
    """Where the quoted sentences of different sources give different values of the kind
    asked for (a sum for "how much", a date for "when", a count for "how many"): who says
    what."""
    if q.answer_type not in _VALUE_NAMES:
        return ()
    return claims.asked_conflicts(index, [c.sentence for c in chosen], _VALUE_NAMES[q.answer_type][1])


def _reading_notes(q: Question) -> tuple[str, ...]:
    if not q.corrections:
        return ()
    read = ", ".join(f"“{typed}” as “{meant}”" for typed, meant in q.corrections)
    return (f"(Read {read}.)",)


def _not_covered(index: Index, q: Question, missing: Sequence[str]) -> Answer:
    text = NOT_COVERED
    if missing:
        surface = {fold(w): w for w in re.findall(r"[^\W_][\w'’-]*", q.text)}
        listed = ", ".join(f"“{surface.get(word, word)}”" for word in missing)
        text = f"The sources don't cover that: they never mention {listed}."
    return Answer(kind="no_answer", text=text, question=q.text, notes=(SOURCES_HINT,), loaded_at=index.corpus.loaded_at)


# --- the sources themselves ------------------------------------------------------------------


def about_sources(index: Index, q: Question) -> Answer:
    """Answers a question about the sources (which, their links, who wrote one) from their
    front matter, never from article text."""
    named = [index.sources[i] for i in q.named_sources]
    if q.about_sources == "list" or (q.about_sources == "link" and not named):
        return sources(index)
    if q.about_sources == "link":
        listed = ", ".join(f"{s.name}: {s.url}" if s.url else f"{s.name}: no link known" for s in named)
        return _source_answer(index, named, f"From the sources' details: {listed}.")
    if len(named) != 1:
        return sources(index)  # whose article? show them all, with their authors
    source = named[0]
    if not source.author:
        return Answer(
            kind="no_answer",
            text=f"The sources don't say who wrote {source.name}'s article.",
            question=q.text,
            notes=(SOURCES_HINT,),
            loaded_at=index.corpus.loaded_at,
        )
    return _source_answer(index, named, f"From the source's details: {source.name}'s article is by {source.author}.")


def _source_answer(index: Index, named: list[Source], text: str) -> Answer:
    summaries = tuple(SourceSummary(source=a.source, passages=len(a.passages)) for a in index.corpus.articles if a.source in named)
    return Answer(kind="sources", text=text, sources=summaries, loaded_at=index.corpus.loaded_at)


def sources(index: Index) -> Answer:
    """The articles the bot answers from, with their dates and passage counts."""
    summaries = tuple(SourceSummary(source=a.source, passages=len(a.passages)) for a in index.corpus.articles)
    count = len(summaries)
    return Answer(
        kind="sources",
        text=f"casebot answers from {count} article{'s' if count != 1 else ''}.",
        sources=summaries,
        loaded_at=index.corpus.loaded_at,
    )
