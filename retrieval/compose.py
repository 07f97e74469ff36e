"""Answers a question by quoting the sources, in named stages.

1. question analysis (retrieval/question.py): what is asked, read as people type;
2. coverage by words (retrieval/coverage.py): can the sources answer at all?
3. candidate ranking (retrieval/ranking.py): the sentences that hold most of the question;
4. coverage by sentences: does the best of them answer?
5. selection (here): the answering sentence first, then only sentences that add something
   (another part of the question, the other side of a disagreement);
6. quoting (retrieval/quoting.py): verbatim, with source and date, "also reported by".

The composer never writes a claim of its own: its own words are only the lead line
("Here is what the sources say."), notes on how it read the question, and what the
sources' front matter says about the sources themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval import claims, coverage, developments, ranking
from retrieval.analyzer import fold
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Quote, Source, SourceSummary
from retrieval.question import Question, is_topic, read_question
from retrieval.quoting import MAX_QUOTE_CHARS, cut, make_quote  # noqa: F401 - re-exported
from retrieval.ranking import Scored
from retrieval.vocabulary import ABOUT_THE_CASE, SAYING

# A further quote must score at least this share of the best one: no padding with weak ones.
MIN_RELATIVE_SCORE = 0.7
# ... and hold question words the quotes before it don't, worth this share of the question.
MIN_ADDED_SHARE = 0.2

NOT_COVERED = "The sources don't cover that."
SOURCES_HINT = "See `/case sources` for what the sources are."


def ask(index: Index, question: str, *, max_quotes: int = 3) -> Answer:
    """Answers a question with verbatim quotes, or says the sources don't cover it."""
    q = read_question(index, question)
    if q.about_sources is not None:
        return about_sources(index, q)
    status = _asks_for_status(index, q)
    if not status:
        verdict = coverage.by_words(index, q)
        if not verdict.covered:
            return _no_answer(index, q, verdict.missing)
    ranked = ranking.rank(index, q) if q.groups else []
    if not status and not coverage.by_sentences(q, ranked).covered:
        return _no_answer(index, q, ())  # (no ranked sentence at all is not covered either)

    chosen: list[Scored] = []
    latest = index.latest_development if status else None
    if latest is not None:
        # "Is the case still going on?" is answered by the latest step, whatever its words.
        sentence = claims.sentence_at(index, latest.passage, latest.sentence)
        # It answers the whole question: further quotes must add something beyond it.
        asked = frozenset(g.word for g in q.groups)
        chosen.append(Scored(sentence, ranked[0].score if ranked else 1.0, 1.0, asked, True))
    chosen = select(index, q, ranked, max_quotes=max_quotes, chosen=chosen)
    if not chosen:
        return _no_answer(index, q, ())
    return _answer(index, q, chosen, max_quotes=max_quotes)


def select(
    index: Index, q: Question, ranked: Sequence[Scored], *, max_quotes: int, chosen: list[Scored] | None = None
) -> list[Scored]:
    """The sentences to quote: the best, then only those that add to it."""
    chosen = list(chosen or [])
    if q.parts and not chosen:
        chosen = _by_parts(index, q, max_quotes=max_quotes)
        if chosen:
            return chosen
    if ranked and not chosen:
        # Where only a sentence of the kind asked for answers, the best of that kind leads.
        first = coverage.answering(q, ranked) or (
            next((s for s in ranked if s.typed), ranked[0]) if coverage.is_strict(q) else ranked[0]
        )
        chosen.append(first)
        speaker = _attribution(index, q, first)
        if speaker is not None and len(chosen) < max_quotes:
            chosen.append(speaker)
        # A question of no particular kind answered by a lead-in gets the facts after it.
        follow_on = _follow_on(index, first) if q.answer_type is None and q.focus is None else None
        if follow_on is not None and len(chosen) < max_quotes:
            chosen.append(follow_on)
    if not ranked:
        return chosen
    weight, total = ranking.weights(index, q)
    held = set().union(*(c.held for c in chosen))
    for candidate in ranked:
        if any(candidate.sentence == c.sentence for c in chosen):
            continue
        if len(chosen) == max_quotes or candidate.score < MIN_RELATIVE_SCORE * ranked[0].score:
            break
        added = sum(weight.get(w, 0.0) for w in candidate.held - held)
        if total <= 0 or added / total < MIN_ADDED_SHARE:
            continue
        if any(_same_claim(index, candidate, c) for c in chosen):
            continue
        chosen.append(candidate)
        held |= candidate.held
    return chosen


def _by_parts(index: Index, q: Question, *, max_quotes: int) -> list[Scored]:
    """Each part of "who filed it, in which court, for how much" gets its own best
    sentence, in the order asked: a part with words of its own is read as a question of
    its own; one without ("for how much") asks its kind of answer about the case."""
    chosen: list[Scored] = []
    for part in q.parts:
        if len(chosen) == max_quotes:
            break
        own = read_question(index, part.text)
        if not own.content and part.answer_type in ABOUT_THE_CASE:
            own = read_question(index, ABOUT_THE_CASE[part.answer_type])
        found = ranking.rank(index, own)
        best = coverage.answering(own, found) or next((s for s in found if own.answer_type is None or s.typed), None)
        if best is not None and not any(_same_claim(index, best, c) for c in chosen):
            chosen.append(best)
    return chosen


def _attribution(index: Index, q: Question, best: Scored) -> Scored | None:
    """For "who said …" answered by a quotation that names no one, the sentence beside it
    that says who spoke ("… said Wight." before "We never did that.")."""
    if q.answer_type != "person" or best.typed:
        return None
    for sentence in claims.neighbours(index, best.sentence, before=3, after=1):
        if _SPEAKER.search(sentence.text) or (ranking.names_a_person(sentence.text) and SAYING.search(sentence.text)):
            return Scored(sentence, best.score, best.coverage, frozenset(), True)
    return None


def _follow_on(index: Index, best: Scored) -> Scored | None:
    """The sentence after a lead-in that gives no fact of its own ("It is not the first
    time the company has drawn regulators' attention." before "In 2017, Calloway paid a
    $2.3 million civil penalty …"): the facts it announces."""
    if ranking.gives_facts(best.sentence):
        return None
    after = [s for s in claims.neighbours(index, best.sentence, before=0, after=1) if s.passage.id == best.sentence.passage.id]
    if after and ranking.gives_facts(after[0]):
        return Scored(after[0], best.score, best.coverage, frozenset(), best.typed)
    return None


# "… said Wight", "Wight said": a speaker named at a saying verb.
_SPEAKER = re.compile(r"\b(?:said|says|told|added|wrote)\s+[A-Z][\w’'-]+|\b[A-Z][\w’'-]+\s+(?:said|says|told|added|wrote)\b")


def _answer(index: Index, q: Question, chosen: list[Scored], *, max_quotes: int) -> Answer:
    quotes: list[Quote] = []
    found_conflicts: list[Conflict] = []
    dissent: list[claims.Sentence] = []
    for item in chosen:
        others = claims.candidates(index, item.sentence)
        also = tuple(claims.corroborating(index, item.sentence, others))
        quotes.append(make_quote(index, item.sentence, q.groups, also_in=also))
        for conflict, sentences in claims.disagreements(index, item.sentence, others):
            claims.merge_conflicts(found_conflicts, [conflict])
            if _asks_about(q, conflict.kind):
                dissent.extend(sentences)
    # Where sources disagree, quote the other side too, in place of the weakest quotes, so
    # the reader sees each source's own words, not only a list of values.
    quoted = {(item.sentence.passage.id, item.sentence.start) for item in chosen}
    other_side: dict[tuple[int, int], claims.Sentence] = {}
    for sentence in dissent:
        key = (sentence.passage.id, sentence.start)
        if key not in quoted:
            other_side.setdefault(key, sentence)
    if other_side:
        keep = max(1, min(len(quotes), max_quotes - len(other_side)))
        extra = [make_quote(index, s, q.groups) for s in other_side.values()]
        quotes = quotes[:keep] + extra[: max(0, max_quotes - keep)]
    text = "Here is what the sources say."
    if q.answer_type == "date" and not any(ranking.gives_a_date(item.sentence) for item in chosen):
        # "recently filed", "on Friday" in an undated article: an answer, but no date.
        text = "The sources give no exact date. Here is what they say."
    if found_conflicts:
        text += " They disagree on some details: see below."
    return Answer(
        kind="answer",
        text=text,
        question=q.text,
        quotes=tuple(quotes),
        conflicts=tuple(found_conflicts),
        notes=_reading_notes(q),
        loaded_at=index.corpus.loaded_at,
    )


# The disagreements whose other side is quoted in full: on what the question asks for,
# and on dates and sums for any question. (Others are listed, with who says what, but
# add no quotes: a count in passing is not what "who is suing" asks.)
_KIND_ASKED = {"count": {"count", "date", "figure"}, "person": set(), "place": set(), "words": set()}


def _asks_about(q: Question, kind: str) -> bool:
    return kind in _KIND_ASKED.get(q.answer_type or "", {"date", "figure"})


def _reading_notes(q: Question) -> tuple[str, ...]:
    if not q.corrections:
        return ()
    read = ", ".join(f"“{typed}” as “{meant}”" for typed, meant in q.corrections)
    return (f"(Read {read}.)",)


def _no_answer(index: Index, q: Question, missing: Sequence[str]) -> Answer:
    text = NOT_COVERED
    if missing:
        surface = {fold(w): w for w in re.findall(r"[^\W_][\w'’-]*", q.text)}
        listed = ", ".join(f"“{surface.get(word, word)}”" for word in missing)
        text = f"The sources don't cover that: they never mention {listed}."
    return Answer(
        kind="no_answer",
        text=text,
        question=q.text,
        notes=(SOURCES_HINT,),
        loaded_at=index.corpus.loaded_at,
    )


def _asks_for_status(index: Index, q: Question) -> bool:
    """Whether the question asks where this case stands, and about nothing more specific.

    "Is the lawsuit still going on?" does; "What happened to the video ad metrics case?"
    names something rarer than the case itself, so it is a question of its own.
    """
    if not q.content:
        # "what's the status?", "any updates?": nothing but the asking.
        return developments.asks_only_for_news(q.reading)
    if not developments.asks_for_status(q.reading):
        return False
    for group in q.content:
        if developments.names_case_or_status(group.word):
            continue
        if not is_topic(index, group):
            return False
    return True


def _same_claim(index: Index, a: Scored, b: Scored) -> bool:
    if a.sentence.passage.id == b.sentence.passage.id and a.sentence.start == b.sentence.start:
        return True
    return claims.similarity(index, a.sentence, b.sentence) >= claims.SAME_CLAIM


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
    summaries = tuple(
        SourceSummary(source=a.source, passages=len(a.passages))
        for a in index.corpus.articles
        if a.source in named
    )
    return Answer(kind="sources", text=text, sources=summaries, loaded_at=index.corpus.loaded_at)


def sources(index: Index) -> Answer:
    """The articles the bot answers from, with their dates and passage counts."""
    summaries = tuple(
        SourceSummary(source=a.source, passages=len(a.passages)) for a in index.corpus.articles
    )
    count = len(summaries)
    return Answer(
        kind="sources",
        text=f"casebot answers from {count} article{'s' if count != 1 else ''}.",
        sources=summaries,
        loaded_at=index.corpus.loaded_at,
    )
