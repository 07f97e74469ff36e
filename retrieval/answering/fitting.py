"""Fitting the scorer on labelled questions, and judging it case by case.

One deterministic procedure (`fit`) turns labelled question sets into the values in
model.json; `leave_one_case_out` fits on every case but one and scores the one left out,
each case in turn, which is the only honest figure for a case the values never saw.

Labels come from the question files (retrieval/evaluation.py): a candidate sentence
answers when it holds one of the item's expected strings; an unanswerable item has no
answering sentence. Within `fit`, every value that decides a tier is chosen on
out-of-fold predictions (each training case scored by models fitted without it), so the
thresholds are set for questions the models have not seen:
- the sentence model: L2-regularised logistic regression on SENTENCE_FEATURES;
- the question model: the same on QUESTION_FEATURES, labelled by whether the best
  sentence answers;
- each model's ridge penalty: of PENALTIES, the one whose models fitted without one
  training case best predict that case (log-loss), over the training cases in turn;
- `confident`: the lowest threshold whose out-of-fold misled share stays within
  MISLED_BUDGET (most confident answers for that risk);
- `also`: the least sentence probability at which a further quote holds an answer at
  least half the time;
- `off_topic_similarity`: the least best-similarity of any answerable development
  question (OFF_TOPIC_SHARE of them may fall below), so that only a question further in
  meaning from the sources than every answerable one is not covered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from retrieval.answering.candidates import Candidate, candidates
from retrieval.answering.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    question_features,
    sentence_features,
)
from retrieval.answering.scorer import Logistic, Model
from retrieval.answering.tiers import ask, by_rule, needs_no_words
from retrieval.corpus import load_corpus
from retrieval.evaluation import Item, Outcome, Summary, evaluate, holds, load_items, verbatim_checker
from retrieval.index import Index, build_index
from retrieval.answering.question import Question, read_question

# The ridge penalties tried on standardised weights (the bias is free); `_penalty` picks
# one for each model. Measured: with the 30-odd correlated features a light penalty (1)
# fits the development cases' quirks; the choice across the grid is 30 or 100 whichever
# case is left out.
PENALTIES = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
NEWTON_STEPS = 30
# The share of items a confident answer may get wrong, out of fold; the product's target
# is at most 10 % on a case never seen, so the fit aims below it.
MISLED_BUDGET = 0.06
ALSO_PRECISION = 0.6
OFF_TOPIC_SHARE = 0.0  # measured: at 0.01, 3 answerable questions lost what they found


@dataclass(frozen=True)
class Case:
    """A development case: its corpus and its question files."""

    name: str
    corpus: Path
    questions: tuple[Path, ...]


@dataclass(frozen=True)
class Example:
    """One question of a case, its candidates' features and which of them answer."""

    item: Item
    question: Question
    index: Index
    candidates: list[Candidate]
    rows: np.ndarray
    answers: np.ndarray  # bool per candidate: holds an expected string


@dataclass(frozen=True)
class Prepared:
    """A case read for fitting: its index, every item, and an Example per item that is
    scored (those about the sources themselves are answered from front matter)."""

    case: Case
    index: Index
    items: list[Item]
    examples: list[Example]


def prepare(case: Case) -> Prepared:
    index = build_index(load_corpus(case.corpus))
    items = [item for path in case.questions for item in load_items(path)]
    out = []
    for item in items:
        q = read_question(index, item.ask)
        if q.about_sources is not None:
            continue
        found = candidates(index, q) if (q.content or needs_no_words(q)) else []
        rows = sentence_features(index, q, found)
        answers = np.array([not item.abstain and holds(c.sentence.text, item.expect) for c in found], dtype=bool)
        out.append(Example(item, q, index, found, rows, answers))
    return Prepared(case, index, items, out)


def fit_logistic(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...], l2: float) -> Logistic:
    """L2-regularised logistic regression by Newton's method (deterministic)."""
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    x = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
    y = labels.astype(np.float64)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Logistic(names, mean, scale, w[:-1], float(w[-1]))


def _sentence_model(items: Sequence[Example], l2: float) -> Logistic:
    return fit_logistic(*_sentence_rows(items), SENTENCE_FEATURES, l2)


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / len(y))


def _penalty(by_case: Mapping[str, tuple[np.ndarray, np.ndarray]], names: tuple[str, ...]) -> float:
    """The ridge penalty, of PENALTIES, whose models, each fitted without one case, best
    predict the case left out (log-loss, summed over the cases): the strength that carries
    to a case the weights never saw, chosen the way the product is judged."""

    def loss(l2: float) -> float:
        total = 0.0
        for name, (rows, labels) in by_case.items():
            rest = [by_case[other] for other in by_case if other != name]
            model = fit_logistic(np.vstack([r for r, _ in rest]), np.concatenate([y for _, y in rest]), names, l2)
            total += _log_loss(model.probabilities(rows), labels)
        return total

    return min(PENALTIES, key=loss)


def _sentence_rows(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    scored = [e for e in examples if not e.item.abstain and len(e.rows)]
    return np.vstack([e.rows for e in scored]), np.concatenate([e.answers for e in scored])


@dataclass(frozen=True)
class _Judged:
    """An example as scored out of fold."""

    example: Example
    probabilities: np.ndarray
    features: np.ndarray  # QUESTION_FEATURES
    best_answers: bool  # the best candidate holds an expected string
    best_similarity: float
    confidence: float = 0.0


def _question_rows(judged: Sequence[_Judged]) -> tuple[np.ndarray, np.ndarray]:
    """QUESTION_FEATURES of each judged question, and whether its best sentence answers."""
    return np.vstack([j.features for j in judged]), np.array([j.best_answers for j in judged])


def _judge(example: Example, sentence: Logistic) -> _Judged:
    p = sentence.probabilities(example.rows)
    features = question_features(example.question, example.index, example.rows, p, example.candidates)
    best = int(np.argmax(p)) if len(p) else -1
    similarity = float(example.rows[:, SENTENCE_FEATURES.index("similarity")].max()) if len(p) else 0.0
    return _Judged(example, p, features, best >= 0 and bool(example.answers[best]), similarity)


def fit(prepared: Mapping[str, Prepared]) -> Model:
    """The model for questions of cases like these (see the module docstring)."""
    cases = {name: p.examples for name, p in prepared.items()}
    names = sorted(cases)
    l2 = _penalty({name: _sentence_rows(cases[name]) for name in names}, SENTENCE_FEATURES)
    sentence = _sentence_model([e for name in names for e in cases[name]], l2)
    # Out of fold: each case's questions scored by a sentence model fitted without it.
    judged = {}
    for name in names:
        without = _sentence_model([x for other in names if other != name for x in cases[other]], l2)
        judged[name] = [_judge(e, without) for e in cases[name]]

    def question_model(among: Sequence[str], l2: float) -> Logistic:
        return fit_logistic(*_question_rows([j for name in among for j in judged[name]]), QUESTION_FEATURES, l2)

    ql2 = _penalty({name: _question_rows(judged[name]) for name in names}, QUESTION_FEATURES)
    question = question_model(names, ql2)
    out_of_fold = []
    for name in names:
        held_out = question_model([other for other in names if other != name], ql2)
        for j in judged[name]:
            confidence = float(held_out.probabilities(j.features[None, :])[0])
            out_of_fold.append(replace(j, confidence=confidence))
    bounds = Model(sentence, question, 1.0, 1.0, _floor(out_of_fold, "best_similarity"))
    confident = _confident(out_of_fold, bounds)
    also = _also([j for j in out_of_fold if j.confidence >= confident])
    return replace(bounds, confident=confident, also=also)


def _floor(judged: Sequence[_Judged], measure: str) -> float:
    """The value of `measure` below which only OFF_TOPIC_SHARE of the answerable questions
    fall (those the off-topic rule judges: not status questions, not named sources)."""
    values = sorted(
        getattr(j, measure)
        for j in judged
        if not j.example.item.abstain and j.example.candidates and not needs_no_words(j.example.question)
    )
    if not values:
        return 0.0
    return values[int(OFF_TOPIC_SHARE * len(values))]  # that many fall below it


def _covered(j: _Judged, model: Model) -> bool:
    """Whether the rules leave the question to the fitted confidence (tiers.by_rule)."""
    rows = j.example.rows
    best = rows[int(np.argmax(j.probabilities))] if len(rows) else None
    return by_rule(j.example.question, best, j.best_similarity, model) is None


def _confident(judged: Sequence[_Judged], model: Model) -> float:
    """The lowest confidence threshold whose misled share is within MISLED_BUDGET."""
    eligible = sorted((j for j in judged if _covered(j, model)), key=lambda j: -j.confidence)
    misled = 0
    threshold = 1.0
    for j in eligible:
        misled += j.example.item.abstain or not j.best_answers
        if misled > MISLED_BUDGET * len(judged):
            break
        threshold = j.confidence
    return threshold


def _also(judged: Sequence[_Judged]) -> float:
    """The least probability at which a second or third sentence holds an answer at least
    ALSO_PRECISION of the time (1.0: no further quotes)."""
    pairs = []
    for j in judged:
        order = np.argsort(-j.probabilities, kind="stable")[1:3]
        pairs += [(float(j.probabilities[i]), bool(j.example.answers[i])) for i in order]
    pairs.sort(key=lambda pair: -pair[0])
    best, hits = 1.0, 0
    for n, (p, answers) in enumerate(pairs, start=1):
        hits += answers
        if hits / n >= ALSO_PRECISION:
            best = p
    return best


def leave_one_case_out(
    prepared: Mapping[str, Prepared], *, progress: Callable[[str, Summary], None] = lambda name, summary: None
) -> dict[str, tuple[Model, list[Outcome], Summary]]:
    """Each case scored through `ask` by a model fitted on all the others."""
    figures = {}
    for name in sorted(prepared):
        model = fit({other: p for other, p in prepared.items() if other != name})
        index = prepared[name].index
        check = verbatim_checker({p.id: p.text for p in index.passages})
        outcomes, summary = evaluate(
            prepared[name].items, lambda text, index=index, model=model: ask(index, text, model=model), check
        )
        figures[name] = (model, outcomes, summary)
        progress(name, summary)
    return figures
