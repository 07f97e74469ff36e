"""Coverage: whether the sources answer a question at all, judged twice.

Before ranking, by the question's words: a name, a rare word or a lawsuit's procedure
word that no source uses ("Google", "LibGen", "judge", "docket") means the sources can't
answer, whatever else they share with the question.
After ranking, by the best sentence: it must hold enough of the question's weight, where
an unknown ordinary word weighs by its rarity in English, so a casual "stuff" or "guy"
barely counts and a telling "fined" or "prejudice" does; and a name the question asks
about that is neither one of the sources' topics nor a party to the case ("OpenAI" in
reporting on Anthropic's) must be in that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval import vocabulary as vocab
from retrieval.index import Index
from retrieval.question import Question
from retrieval.ranking import STRICT_TYPES, Scored, weights

# Share of the question's weight the corpus must know at all.
MIN_CORPUS_COVERAGE = 0.5
# Share of the question's weight the best sentence must hold.
MIN_SENTENCE_COVERAGE = 0.45
# A question that wants a reason, a date, a count or a sum is answered only by a sentence
# of that kind among the best few.
TYPED_AMONG = 3


@dataclass(frozen=True, slots=True)
class Verdict:
    covered: bool
    missing: tuple[str, ...] = ()  # words to name in "they never mention …"


COVERED = Verdict(True)


def by_words(index: Index, question: Question) -> Verdict:
    """Whether the question's own words leave any hope of an answer."""
    content = question.content
    if not content:
        return Verdict(False)
    names = tuple(u.word for u in question.unknown if u.name)
    if names:
        return Verdict(False, names)
    unknown = {u.word for u in question.unknown}
    weight, total = weights(index, question)
    known = sum(weight[g.word] for g in content if g.word not in unknown)
    if total <= 0 or known / total < MIN_CORPUS_COVERAGE:
        return Verdict(False, tuple(u.word for u in question.unknown))
    return COVERED


def by_sentences(question: Question, ranked: Sequence[Scored]) -> Verdict:
    """Whether the best sentences answer: enough of the question held, of the wanted kind."""
    return COVERED if answering(question, ranked) is not None else Verdict(False)


def answering(question: Question, ranked: Sequence[Scored]) -> Scored | None:
    """The sentence that answers, if one among the best does: it holds enough of the
    question, is of the kind asked for where only that kind answers, and says every name
    the answer must say (question.key_names)."""
    if not ranked or ranked[0].coverage < MIN_SENTENCE_COVERAGE:
        return None
    best = ranked[0]
    if best.sentence.other_case and not question.about_other_cases and not _names_only_there(question, best, ranked):
        # Set back as it was, another case's sentence still leads: this case has none.
        # (Unless the question names what only that case has: "that 6.6 million
        # settlement", "did Reddit sue too".)
        return None
    pool = [s for s in ranked[:TYPED_AMONG] if s.coverage >= MIN_SENTENCE_COVERAGE]
    if is_strict(question):
        pool = [s for s in pool if s.typed][:1]
    else:
        # Another of the best may lead for a name the first lacks ("who started Parcelo":
        # not "It started with a conversation", said Okafor), if it holds the thing asked
        # for too.
        focus = [g.word for g in question.groups if question.focus is not None and question.focus in g.terms]
        pool = [best, *(s for s in pool[1:] if set(focus) <= s.held)]
    # "how much did OpenAI pay authors", answered best by what Anthropic pays: the sources
    # name OpenAI, but not for this.
    return next((s for s in pool if set(question.key_names) <= s.held), None)


def _names_only_there(question: Question, best: Scored, ranked: Sequence[Scored]) -> bool:
    """Whether the question says something that only other cases' sentences hold, in
    words of its own rather than the vocabulary of any lawsuit ("settle", "pay"): "the
    video ad metrics case", "did Reddit sue". A figure may be rounded: "that 6.6 million
    settlement" is LinkedIn's "$6.625 million" one."""
    this_case = set().union(*(s.held for s in ranked if not s.sentence.other_case))
    own = {w for w in best.held - this_case if not vocab.is_lawsuit_word(w)}
    if own:
        return True
    figures = [g.word for g in question.content if _NUMBER.fullmatch(g.word)]
    return any(_rounds_to(figure, best.sentence.text) for figure in figures)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _rounds_to(figure: str, text: str) -> bool:
    places = len(figure.partition(".")[2])
    wanted = float(figure)
    return any(round(float(n.replace(",", "")), places) == wanted for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text))


def is_strict(question: Question) -> bool:
    """Whether only a sentence of the kind asked for can answer (a date for "when", …)."""
    return question.answer_type in STRICT_TYPES or question.names_wanted
