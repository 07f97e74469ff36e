"""Features: general measures of how a candidate sentence meets a question.

Every feature is a property of English questions and news sentences, never of one case:
how much of the question's weight a sentence holds (each word by its idf, synonyms and
other forms for less), whether it holds an answer of the kind asked for (a name for
"who", a date for "when", a sum for "how much", …) near the thing asked about, whether it
reports the procedural step asked about, comes from a source the question names, and so
on. The scorer (scorer.py) weighs them as fitted on the development questions; nothing
here is a threshold.

`SENTENCE_FEATURES` and `QUESTION_FEATURES` name the columns, in order; model.json stores
its weights by these names, so a renamed or added feature needs a refit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.case import claims, developments
from retrieval.language import vocabulary as vocab
from retrieval.language.analyzer import MONEY, fold, money_value
from retrieval.language.dates import find_dates
from retrieval.answering.candidates import Candidate, embeddings_of
from retrieval.language.embeddings import embedder
from retrieval.index import Index
from retrieval.answering.question import Question
from retrieval.answering.ranking import (
    _NAMES_SEVERAL,
    _STEP_WORD,
    _TESTS,
    _best_term,
    _describes,
    _holds,
    _names_someone_else,
    _near_focus,
    defendant,
    weights,
)

# The kinds of answer a question may ask for, each with a feature of its own: a name
# answers "who" more surely than a reason answers "why".
KINDS = ("person", "date", "money", "count", "place", "reason", "words", "name", "identity")

SENTENCE_FEATURES = (
    "bm25",  # the passage's BM25 score over the best passage's
    "bm25_first",  # the best BM25 passage
    "coverage",  # share of the question's weight held (synonyms and other forms for less)
    "exact",  # share held by the very words asked
    "coverage_gap",  # coverage less the best candidate's
    "kind_and_coverage",  # of the kind asked for, times its coverage
    "similarity",  # cosine of the sentence's and the question's embeddings
    "similarity_gap",  # ... less the best candidate's
    "all_held",  # every word the question needs is held
    "focus_missing",  # the thing asked about ("which *court*") is not in it
    "no_kind",  # the question asks for no particular kind of answer
    *(f"kind_{kind}" for kind in KINDS),  # it holds an answer of the kind asked for
    "near_focus",  # ... standing by the thing asked about
    "length",  # log of its length in characters
    "opens_article",
    "other_case",  # about another lawsuit than this one, unasked
    "reports_step",  # reports the procedural step asked about
    "step_not_taken",  # imagines or requests the step asked about ("if a judge approves")
    "quotation",  # quotes someone
    "key_name_missing",  # lacks a name the question turns on
    "named_source",  # from a source the question names
    "new_names",  # capitalised names the question doesn't say (answers to "who", "which")
    "latest_step",  # the case's latest step, when the question asks where it stands
    "newest",  # reported on the latest date of all, when the question asks where it stands
    "numbers",  # share of the question's numbers it says
    "each_as_asked",  # "how much would each owner get": a sum for each one ("$25 each")
    "each_unasked",  # only sums for each one, where the question does not ask for one
)

QUESTION_FEATURES = (
    "best",  # the best sentence's probability (log-odds)
    "margin",  # over the second best's
    "best_coverage",
    "best_all_held",
    "unknown_share",  # share of the question's weight in words no source uses
    "has_kind",
    "best_of_kind",
    "content_words",  # log of how many words it needs covered
    "best_similarity",
    "best_exact",
    "best_near_focus",
    "best_first_passage",  # the best sentence is in the best BM25 passage
    "message_words",  # log of the message's length in words
    "agreement",  # how closely another source's sentence among the next best retells the best
    "best_other_case",  # the best sentence is about another lawsuit, and that is not asked
)

_WORD_NUMBER = re.compile(r"\d[\d,.]*")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def asks_where_it_stands(q: Question) -> bool:
    """"Is it still going on?", "any updates?": the latest step answers."""
    return developments.asks_only_for_news(q.reading) or developments.asks_for_status(q.reading)


def sentence_features(index: Index, q: Question, found: Sequence[Candidate]) -> np.ndarray:
    """One row of SENTENCE_FEATURES per candidate."""
    if not found:
        return np.zeros((0, len(SENTENCE_FEATURES)), dtype=np.float64)
    weight, total = weights(index, q)
    total = total if total > 0 else float("inf")
    groups = q.groups
    content = [g.word for g in groups if not g.optional]
    procedural = frozenset(
        g.word for g in groups if q.steps and (developments.names_case_or_status(g.word) or _STEP_WORD.search(g.word))
    )
    parties = frozenset(g.word for g in groups if q.steps and defendant(index) in g.terms)
    stepped = procedural | parties
    focus = next((g for g in groups if q.focus is not None and q.focus in g.terms), None)
    asked_terms = {t for g in groups for t in g.terms}
    exact_terms = [(g.word, [t for t, w in g.terms.items() if w == 1.0]) for g in groups]
    kind = q.answer_type
    kind_at = KINDS.index(kind) if kind in KINDS else None
    status = asks_where_it_stands(q)
    numbers = {n.replace(",", "").rstrip(".") for n in _WORD_NUMBER.findall(q.reading)}
    key_names = set(q.key_names)
    newest = index.newest
    asked_values = _values_in(q.text, numbers)
    asks_each = bool(vocab.FOR_EACH.search(q.reading))
    rows = []
    for candidate in found:
        sentence = candidate.sentence
        marks = traits(index, sentence)
        said = sentence.all_terms | sentence.referents
        held_words = {g.word for g in groups if _holds(g, said)}
        reports_step = bool(q.steps) and sentence.step in q.steps
        if reports_step:
            held_words |= stepped
        held = sum(
            weight[g.word] * (1.0 if reports_step and g.word in stepped else _best_term(g, said))
            for g in groups
            if g.word in held_words
        )
        exact = sum(weight[word] for word, terms in exact_terms if any(t in said for t in terms))
        if kind == "person":
            of_kind = _names_someone_else(index, q, sentence)
        elif kind == "identity":
            of_kind = _describes(q, sentence)
        else:
            of_kind = kind is not None and marks.of_kind(kind, sentence) and _gives_a_new(kind, sentence, asked_values)
        if focus is not None and focus.word not in held_words and marks.names_several:
            # "which companies …" answered by naming them ("OpenAI, Microsoft and Meta").
            held += weight[focus.word] * vocab.SYNONYM_WEIGHT
            of_kind = of_kind or q.names_wanted
        kinds = [0.0] * len(KINDS)
        near = False
        if kind_at is not None and of_kind:
            kinds[kind_at] = 1.0
            near = _near_focus(index, q, kind, sentence)
        coverage = min(1.0, held / total)
        sums = [v for v in sentence.values if v.kind == "figure" and v.label not in asked_values.figures]
        each = kind == "money" and any(v.per_unit for v in sums)  # a sum for each one
        only_each = each and all(v.per_unit for v in sums)  # and no total beside it
        rows.append(
            [
                candidate.passage_score,
                candidate.passage_rank == 0,
                coverage,
                min(1.0, exact / total),
                0.0,  # coverage_gap, below
                0.0,  # kind_and_coverage, below
                0.0,  # similarity, below
                0.0,  # similarity_gap, below
                bool(content) and all(word in held_words for word in content),
                focus is not None and focus.word not in held_words,
                kind is None,
                *kinds,
                near,
                marks.length,
                marks.opens_article,
                sentence.other_case and not q.about_other_cases,
                reports_step,
                bool(q.steps) and not reports_step and marks.not_taken,
                marks.quotation,
                bool(key_names) and not key_names <= held_words,
                sentence.passage.source_id in q.named_sources,
                min(4, len(marks.names - asked_terms)) / 4,
                status and candidate.latest_step,
                status and newest is not None and sentence.passage.date == newest,
                len(numbers & marks.numbers) / len(numbers) if numbers else 0.0,
                asks_each and each,
                not asks_each and only_each,
            ]
        )
    matrix = np.array(rows, dtype=np.float64)
    coverage = matrix[:, _COLUMN["coverage"]]
    matrix[:, _COLUMN["coverage_gap"]] = coverage - coverage.max()
    matrix[:, _COLUMN["kind_and_coverage"]] = matrix[:, _KIND_COLUMNS].max(axis=1) * coverage
    similarity = _similarities(index, q, found)
    matrix[:, _COLUMN["similarity"]] = similarity
    matrix[:, _COLUMN["similarity_gap"]] = similarity - similarity.max()
    return matrix


_COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
_KIND_COLUMNS = [_COLUMN[f"kind_{k}"] for k in KINDS]


@dataclass(slots=True)
class Traits:
    """What a sentence is, whatever the question: worked out once per sentence and
    snapshot (index.cache.traits), so a question costs only what depends on it."""

    length: float  # log of its length in characters
    opens_article: bool
    quotation: bool
    not_taken: bool  # imagines or requests a step ("if a judge approves", "moved to dismiss")
    names_several: bool  # lists names ("OpenAI, Microsoft and Meta")
    names: frozenset[str]  # index terms of its capitalised words
    numbers: frozenset[str]  # the numbers it writes, without separators
    kinds: dict[str, bool]  # kind of answer -> whether it holds one (filled on demand)

    def of_kind(self, kind: str, sentence: claims.Sentence) -> bool:
        known = self.kinds.get(kind)
        if known is None:
            known = self.kinds[kind] = bool(_TESTS[kind](sentence))
        return known


def traits(index: Index, sentence: claims.Sentence) -> Traits:
    """A sentence's Traits (cached per snapshot)."""
    key = (sentence.passage.id, sentence.start)
    found = index.cache.traits.get(key)
    if found is None:
        text = sentence.text
        found = index.cache.traits[key] = Traits(
            length=math.log(max(len(text), 10)),
            opens_article=sentence.passage.position == 0 and sentence.start == 0,
            quotation=bool(_QUOTED.search(text)),
            not_taken=bool(vocab.HYPOTHETICAL.search(text) or vocab.REQUESTED.search(text)),
            names_several=bool(_NAMES_SEVERAL.search(text)),
            names=frozenset(index.analyzer.term(fold(m.group())) for m in _CAPITALISED.finditer(text)),
            numbers=frozenset(n.replace(",", "").rstrip(".") for n in _WORD_NUMBER.findall(text)),
            kinds={},
        )
    return found


@dataclass(frozen=True, slots=True)
class _Asked:
    """The values a question itself states: a sentence that gives only these does not
    answer it ("how much do the lawyers get out of the $48 million" is not answered by
    "a $48 million settlement")."""

    figures: frozenset[str]
    numbers: frozenset[str]
    dates: frozenset[str]


def _values_in(text: str, numbers: set[str]) -> _Asked:
    return _Asked(
        frozenset(money_value(m.group()) for m in MONEY.finditer(text)),
        frozenset(numbers),
        frozenset(m.label for m in find_dates(text) if not m.relative),
    )


def _gives_a_new(kind: str, sentence: claims.Sentence, asked: _Asked) -> bool:
    """Whether a sentence of the kind asked gives a value of that kind the question does not."""
    if kind == "money" and sentence.figures:
        return not set(sentence.figures) <= asked.figures
    if kind == "date" and sentence.dates:
        return not set(sentence.dates) <= asked.dates
    if kind == "count" and sentence.counts:
        return any(count.split()[0].replace(",", "") not in asked.numbers for count in sentence.counts)
    return True  # the kind shows in words ("millions", "last week"), not a value to compare


def _similarities(index: Index, q: Question, found: Sequence[Candidate]) -> np.ndarray:
    """Each candidate's cosine with the question, from static embeddings."""
    matrix = embeddings_of(index, [c.sentence for c in found])
    return matrix @ embedder().embed([q.text])[0]


_QUOTED = re.compile(r"[\"“][^\"”]{12,}")


def question_features(
    q: Question, index: Index, rows: np.ndarray, probabilities: np.ndarray, found: Sequence[Candidate] = ()
) -> np.ndarray:
    """QUESTION_FEATURES for a question whose candidates scored `probabilities`."""
    out = np.zeros(len(QUESTION_FEATURES), dtype=np.float64)
    column = {name: i for i, name in enumerate(QUESTION_FEATURES)}
    weight, total = weights(index, q) if q.groups else ({}, 0.0)
    unknown = {u.word for u in q.unknown}
    from retrieval.answering.question import unknown_weight

    unknown_mass = sum(unknown_weight(index, w) for w in unknown)
    out[column["unknown_share"]] = unknown_mass / total if total > 0 else 1.0
    out[column["has_kind"]] = q.answer_type is not None
    out[column["content_words"]] = math.log(1 + len(q.content))
    if len(probabilities):
        order = np.argsort(-probabilities, kind="stable")
        best = probabilities[order[0]]
        second = _rival(q, index, probabilities, order, found)
        out[column["best"]] = _logit(best)
        out[column["margin"]] = best - second
        top = rows[order[0]]
        out[column["best_coverage"]] = top[SENTENCE_FEATURES.index("coverage")]
        out[column["best_all_held"]] = top[SENTENCE_FEATURES.index("all_held")]
        kind_columns = [SENTENCE_FEATURES.index(f"kind_{k}") for k in KINDS]
        out[column["best_of_kind"]] = top[kind_columns].max()
        out[column["best_other_case"]] = top[SENTENCE_FEATURES.index("other_case")]
        for name, feature in _FROM_THE_BEST:
            out[column[name]] = top[SENTENCE_FEATURES.index(feature)]
        if found:
            best_sentence = found[order[0]].sentence
            others = [found[i].sentence for i in order[1:AGREEING]]
            out[column["agreement"]] = max(
                (claims.similarity(index, best_sentence, o) for o in others if o.passage.source_id != best_sentence.passage.source_id),
                default=0.0,
            )
    else:
        out[column["best"]] = _logit(0.0)
    out[column["message_words"]] = math.log(1 + len(q.text.split()))
    return out


def _rival(q: Question, index: Index, probabilities: np.ndarray, order: np.ndarray, found: Sequence[Candidate]) -> float:
    """The probability of the best candidate that does not say what the best one says:
    two sources giving the same sum are no doubt about it ("agreed to pay up to $500
    million" twice), a different sum or a different claim is."""
    if not found:
        return probabilities[order[1]] if len(order) > 1 else 0.0
    best = found[order[0]].sentence
    read = VALUES_GIVEN.get(q.answer_type or "")
    given = set(read(best)) if read else set()
    names = traits(index, best).names if q.answer_type == "person" else frozenset()
    for i in order[1:]:
        other = found[i].sentence
        if given and given & set(read(other)):
            continue
        if names and names & traits(index, other).names:
            continue
        if claims.similarity(index, best, other) >= claims.SAME_CLAIM:
            continue
        return float(probabilities[i])
    return 0.0


# The values a sentence gives of a kind of answer a question asks for: sums, dates, counts.
VALUES_GIVEN = {
    "money": lambda s: s.figures,
    "date": lambda s: s.dates,
    "count": lambda s: tuple(c.partition("|")[0] for c in s.counts),
}


# The best sentence is compared with the next ones, up to this place, for agreement.
AGREEING = 5

_FROM_THE_BEST = (
    ("best_similarity", "similarity"),
    ("best_exact", "exact"),
    ("best_near_focus", "near_focus"),
    ("best_first_passage", "bm25_first"),
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
