"""Answers a question by quoting the sources: best passages, then their best sentences.

The composer never writes a claim of its own. It picks sentences, quotes them verbatim
(whitespace folded, a cut marked with "…"), says whose and when they are, folds sources
that say the same thing into "also reported by", shows where sources disagree, and says
plainly when the sources do not cover the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval import claims, developments
from retrieval.analyzer import QueryGroup, fold
from retrieval.dates import find_dates
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Quote, Source, SourceSummary

MAX_QUOTE_CHARS = 300
# Sentences are taken from this many of the best passages: BM25 favours short passages,
# and the best sentence is often in a long one a little further down.
PASSAGES_CONSIDERED = 15
# Share of the question's weight (by idf) that the corpus must know, and that the best
# sentence must hold, for the question to count as covered.
MIN_CORPUS_COVERAGE = 0.6
MIN_SENTENCE_COVERAGE = 0.34
# A further quote must score at least this share of the best one: no padding with weak ones.
MIN_RELATIVE_SCORE = 0.5

# A sentence of the kind the question asks for (a name for "who", a date for "when", …)
# is preferred over one that merely shares more words.
ANSWER_TYPE_BOOST = 1.5
# Another case the sources mention in passing (an earlier settlement) is no answer about
# this one, unless the question asks about another case.
OTHER_CASE_PENALTY = 0.4

NOT_COVERED = "The sources don't cover that."
SOURCES_HINT = "See `/case sources` for what the sources are."


@dataclass(frozen=True, slots=True)
class _Scored:
    sentence: claims.Sentence
    score: float
    coverage: float


def ask(index: Index, question: str, *, max_quotes: int = 3) -> Answer:
    """Answers a question with verbatim quotes, or says the sources don't cover it."""
    question = " ".join(question.split())
    groups = index.analyzer.query(question)
    missing = _uncovered_words(index, question, groups)
    if missing is not None:
        return _no_answer(index, question, missing)

    ranked = rank_sentences(index, question, groups)
    if not ranked or ranked[0].coverage < MIN_SENTENCE_COVERAGE:
        return _no_answer(index, question, [])

    chosen: list[_Scored] = []
    latest = developments.latest(index.developments) if _asks_for_status(index, question, groups) else None
    if latest is not None:
        # "Is the case still going on?" is answered by the latest step, whatever its words.
        sentence = claims.sentence_at(index, latest.passage, latest.sentence)
        chosen.append(_Scored(sentence, ranked[0].score, 1.0))
    for candidate in ranked:
        if len(chosen) == max_quotes or candidate.score < MIN_RELATIVE_SCORE * ranked[0].score:
            break
        if any(_same_claim(index, candidate, c) for c in chosen):
            continue
        chosen.append(candidate)

    quotes: list[Quote] = []
    found_conflicts: list[Conflict] = []
    dissent: list[claims.Sentence] = []
    for item in chosen:
        others = claims.candidates(index, item.sentence)
        also = tuple(claims.corroborating(index, item.sentence, others))
        quotes.append(make_quote(index, item.sentence, groups, also_in=also))
        for conflict, sentences in claims.disagreements(index, item.sentence, others):
            claims.merge_conflicts(found_conflicts, [conflict])
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
        keep = max(1, max_quotes - len(other_side))
        extra = [make_quote(index, s, groups) for s in other_side.values()]
        quotes = quotes[:keep] + extra[: max(0, max_quotes - keep)]
    text = "Here is what the sources say."
    if found_conflicts:
        text += " They disagree on some details: see below."
    return Answer(
        kind="answer",
        text=text,
        question=question,
        quotes=tuple(quotes),
        conflicts=tuple(found_conflicts),
        loaded_at=index.corpus.loaded_at,
    )


def _no_answer(index: Index, question: str, missing: list[str]) -> Answer:
    text = NOT_COVERED
    if missing:
        listed = ", ".join(f"“{word}”" for word in missing)
        text = f"The sources don't cover that: they never mention {listed}."
    return Answer(
        kind="no_answer",
        text=text,
        question=question,
        notes=(SOURCES_HINT,),
        loaded_at=index.corpus.loaded_at,
    )


# --- coverage ------------------------------------------------------------------------------

_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][\w’'-]*)")


def _uncovered_words(index: Index, question: str, groups: list[QueryGroup]) -> list[str] | None:
    """The question's words the corpus doesn't know, if they leave it uncovered, else None.

    A question is uncovered when it names something (a capitalised word mid-sentence, e.g.
    a company or a person) that no source mentions, or when most of its weight (by idf)
    lies in words no source uses.
    """
    groups = [g for g in groups if not g.optional]
    if not groups:
        return []
    unknown = [g for g in groups if not any(index.knows(t) for t in g.terms)]
    surface = {fold(w): w for w in re.findall(r"[^\W_][\w'’-]*", question)}
    names = {fold(m.group(1)) for m in _NAME.finditer(question)}
    unknown_names = [surface.get(g.word, g.word) for g in unknown if g.word in names]
    if unknown_names:
        return unknown_names
    total = sum(index.group_weight(g) for g in groups)
    known = total - sum(index.group_weight(g) for g in unknown)
    if known / total < MIN_CORPUS_COVERAGE:
        return [surface.get(g.word, g.word) for g in unknown]
    return None


# A word in at least this share of passages is one of the corpus's own topics (the case's
# parties, "InMail"): it doesn't make a status question about something else.
COMMON_WORD_SHARE = 0.1


def _asks_for_status(index: Index, question: str, groups: list[QueryGroup]) -> bool:
    """Whether the question asks where this case stands, and about nothing more specific.

    "Is the lawsuit against LinkedIn still going on?" does; "What happened to the video ad
    metrics case?" names something rarer than the case itself, so it is a question of its
    own.
    """
    if not developments.asks_for_status(question):
        return False
    n = max(1, len(index))
    for group in groups:
        if group.optional or developments.names_case_or_status(group.word):
            continue
        held = max((index.document_frequency.get(t, 0) for t in group.terms), default=0)
        if held < COMMON_WORD_SHARE * n:
            return False
    return True


# --- ranking sentences ---------------------------------------------------------------------


def rank_sentences(index: Index, question: str, groups: list[QueryGroup]) -> list[_Scored]:
    """Sentences of the best passages, ranked by the question's weight they hold."""
    passages = index.search(groups, limit=PASSAGES_CONSIDERED)
    if not passages:
        return []
    best_passage = passages[0][1]
    wants = _answer_type(question)
    weights = {g.word: index.group_weight(g) for g in groups}
    total = sum(weights[g.word] for g in groups if not g.optional)
    other_case_asked = bool(developments.OTHER_CASE_QUESTION.search(question))
    scored: list[_Scored] = []
    for passage, passage_score in passages:
        analysed = claims.sentences_of(index, passage)
        other_case = {
            s
            for i, s in enumerate(analysed)
            if developments.about_other_case(s.text, analysed[i + 1].text if i + 1 < len(analysed) else "")
        }
        for sentence in analysed:
            held = sum(_group_hit(g, weights[g.word], sentence.all_terms) for g in groups)
            if held == 0:
                continue
            coverage = min(1.0, held / total)
            score = (held / total) * (0.75 + 0.25 * passage_score / best_passage)
            if wants and wants(sentence):
                score *= ANSWER_TYPE_BOOST
            if not other_case_asked and sentence in other_case:
                score *= OTHER_CASE_PENALTY
            scored.append(_Scored(sentence, score, coverage))
    scored.sort(key=lambda s: (-s.score, s.sentence.passage.id, s.sentence.start))
    return scored


def _group_hit(group: QueryGroup, weight: float, words: frozenset[str]) -> float:
    """The group's weight if the sentence holds it, scaled by the term that matched."""
    return weight * max((w for term, w in group.terms.items() if term in words), default=0.0)


# Runs of capitalised words: "Alessandro De La Torre", "Stored Communications Act".
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:De\s+La|de|van|von|[A-Z][a-z]+))+\b")
# Last words that make a run a law, a body or a place rather than a person.
_NOT_A_PERSON = frozenset(
    "Act Law Agreement Court Office Area Commission Union Policy News District Kingdom "
    "States China Kong Europe Economic Business Career Navigator Lite Improvement".split()
)


def _names_a_person(text: str) -> bool:
    """Whether a sentence names a person: a run of two or more capitalised words, not at
    the start of the sentence, that doesn't end like the name of a law or an institution."""
    first_word = len(text) - len(text.lstrip(" \"“‘'([—–-"))
    return any(
        m.start() > first_word and m.group().split()[-1] not in _NOT_A_PERSON
        for m in _CAPITALISED_RUN.finditer(text)
    )


_ORGANISATION = re.compile(r"\b[A-Z]\w+,? (?:PC|LLP|LLC|Inc\.|Corp\.|Ltd\.)(?!\w)")
_QUANTITY = re.compile(r"\d|\b(?:hundreds|thousands|millions|billions|dozens)\b", re.I)


def _answer_type(question: str):
    """What kind of words an answer holds, from the question's first words, if it tells."""
    q = question.casefold()
    if q.startswith(("who ", "whom ", "who's ")) or re.search(r"\bnames?\b", q):
        return lambda s: _names_a_person(s.text) or bool(_ORGANISATION.search(s.text))
    if re.search(r"\b(?:respond|responded|react|reacted|reply|replied|say|said|comment|commented|statement)\b", q):
        # Asking for someone's words: prefer sentences that quote them.
        return lambda s: bool(re.search(r"[\"“”]", s.text))
    if q.startswith(("when ", "what year", "what date", "since when")):
        # "this week" or "today" in a dated passage dates an event too.
        return lambda s: bool(s.dates) or bool(
            s.passage.date and find_dates(s.text, reported=s.passage.date)
        )
    if q.startswith(("how much", "how many", "what amount")):
        return lambda s: bool(s.figures) or bool(_QUANTITY.search(s.text))
    if q.startswith("where "):
        return lambda s: bool(re.search(r"\b(?:court|in [A-Z][a-z]+)", s.text))
    return None


def _same_claim(index: Index, a: _Scored, b: _Scored) -> bool:
    if a.sentence.passage.id == b.sentence.passage.id and a.sentence.start == b.sentence.start:
        return True
    return claims.similarity(index, a.sentence, b.sentence) >= claims.SAME_CLAIM


# --- quoting -------------------------------------------------------------------------------


def make_quote(
    index: Index,
    sentence: claims.Sentence,
    groups: list[QueryGroup],
    *,
    also_in: tuple[Source, ...] = (),
    label: str | None = None,
) -> Quote:
    """A verbatim quote of a sentence, cut around the question's words if it is long."""
    passage = sentence.passage
    return Quote(
        text=cut(sentence.text, index, groups),
        source=index.sources[passage.source_id],
        date=passage.date,
        also_in=also_in,
        label=label,
        passage_id=passage.id,
    )


def cut(text: str, index: Index, groups: list[QueryGroup], limit: int = MAX_QUOTE_CHARS) -> str:
    """The text with whitespace folded; if too long, the window richest in the question's
    words, cut at word boundaries and marked with "…" where it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = list(re.finditer(r"\S+", text))
    wanted = {t for g in groups for t in g.terms}
    hits = [bool(wanted & set(index.analyzer.terms(w.group()))) for w in words]
    best_start, best_key = 0, (-1, 0.0)
    for i in range(len(words)):
        j = i
        while j + 1 < len(words) and words[j + 1].end() - words[i].start() <= limit - 2:
            j += 1
        inside = [k for k in range(i, j + 1) if hits[k]]
        # Most question words first; among equals, the window that centres them.
        centre = (sum(inside) / len(inside)) if inside else i
        key = (len(inside), -abs(centre - (i + j) / 2))
        if key > best_key:
            best_start, best_key = i, key
        if j == len(words) - 1:
            break  # later windows are only shorter versions of this one
    j = best_start
    while j + 1 < len(words) and words[j + 1].end() - words[best_start].start() <= limit - 2:
        j += 1
    piece = text[words[best_start].start() : words[j].end()]
    if len(piece) > limit - 2:  # one "word" longer than a quote (junk, a URL): clip it
        piece = piece[: limit - 2]
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if j < len(words) - 1 else ""
    return prefix + piece + suffix


# --- the source listing --------------------------------------------------------------------


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
