"""Candidate ranking: the sentences of the best passages, by how much of a question they hold.

A sentence's score is the share of the question's weight it holds (each query group by
its idf, an unknown word by how rare it is in English), nudged by its passage's BM25
score; a sentence of the kind the question asks for (a name for "who", a date for
"when", …) is preferred, and a sentence about another case than this one is set back
unless the question asks about another case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.case import claims, developments
from retrieval.language import vocabulary as vocab
from retrieval.language.analyzer import MONEY, QueryGroup
from retrieval.language.dates import MONTHS, find_dates
from retrieval.language.patterns import lazy
from retrieval.index import Index
from retrieval.answering.question import (
    AnswerType,
    Question,
    defendant,
    focus_terms,
    unknown_weight,
)

# Sentences are taken from this many of the best passages: BM25 favours short passages,
# and the best sentence is often in a long one a little further down.
PASSAGES_CONSIDERED = 15
ANSWER_TYPE_BOOST = 1.5
# Another case the sources mention in passing is no answer about this one.
OTHER_CASE_PENALTY = 0.4
# The thing a question asks for ("which *court*") weighs more than its other words.
FOCUS_WEIGHT = 1.5
# A sentence that reports the very step a question names ("did he back out?" and "the
# lawsuit has been withdrawn") answers it more directly than one that shares other words.
STEP_BOOST = 1.3
# A sentence without the very thing asked for ("who is the *attorney* for X") answers
# "who is X" at best.
FOCUS_MISSING_PENALTY = 0.6


@dataclass(frozen=True, slots=True)
class Scored:
    sentence: claims.Sentence
    score: float
    coverage: float  # share of the question's weight the sentence holds (0..1)
    held: frozenset[str]  # words (QueryGroup.word) of the groups it holds
    typed: bool  # whether it is of the kind of sentence the question asks for


def weights(index: Index, question: Question) -> tuple[dict[str, float], float]:
    """Each content group's weight, and the question's total (unknown words included)."""
    cache = index.cache.group_weights
    out: dict[str, float] = {}
    for group in question.groups:
        key = tuple(sorted(group.terms))
        weight = cache.get(key)
        if weight is None:
            weight = cache[key] = index.group_weight(group)
        if group.optional:
            weight *= 0.0  # optional groups tip the balance only through BM25
        elif question.focus is not None and question.focus in group.terms:
            weight *= FOCUS_WEIGHT
        elif question.steps and _STEP_WORD.search(group.word):
            weight *= FOCUS_WEIGHT  # the step a question names is what it asks about
        out[group.word] = weight
    known = {g.word for g in question.groups} - {u.word for u in question.unknown}
    total = sum(out[w] for w in known) + sum(unknown_weight(index, u.word) for u in question.unknown)
    return out, total


def rank(index: Index, question: Question) -> list[Scored]:
    """Sentences of the best passages for a question, best first."""
    groups = question.groups
    wanted_type = question.answer_type
    search_groups = [g for g in groups if any(index.knows(t) for t in g.terms)]
    passages = index.search(search_groups, limit=PASSAGES_CONSIDERED * (3 if question.named_sources else 1))
    if not passages:
        return []
    weight, total = weights(index, question)
    if total <= 0:
        return []
    procedural = frozenset(
        g.word for g in groups if question.steps and (developments.names_case_or_status(g.word) or _STEP_WORD.search(g.word))
    )
    if procedural:
        # Reports of the step asked about are candidates even when they share no word.
        passages = _with_steps(index, question, passages)
    best_passage = passages[0][1]
    focus_group = next(
        (g for g in groups if question.focus is not None and question.focus in g.terms and any(index.knows(t) for t in g.terms)),
        None,
    )
    wants = answer_test(wanted_type)
    # "which companies" (not "which judge"): a list of names answers.
    plural_focus = focus_group is not None and (focus_group.word.endswith("s") or focus_group.word in vocab.IRREGULAR_PLURALS)
    # The party the sources are about, which every report of a step speaks of.
    parties = frozenset(g.word for g in groups if question.steps and defendant(index) in g.terms)
    other_case_asked = question.about_other_cases
    # "has it been sued before?": this case's own steps are what the asker knows already.
    only_other_cases = bool(vocab.EARLIER_CASE_QUESTION.search(question.reading))
    scored: list[Scored] = []
    for passage, passage_score in passages:
        if question.named_sources and not question.about_sources and passage.source_id not in question.named_sources:
            continue  # the question asks what one source says
        analysed = claims.sentences_of(index, passage)
        for i, sentence in enumerate(analysed):
            # A sentence holds what it names and the party it refers back to ("the company").
            said = sentence.all_terms | sentence.referents
            held_words = frozenset(g.word for g in groups if _holds(g, said))
            reports_step = bool(question.steps) and sentence.step in question.steps
            if reports_step:
                # "when was it filed?": a sentence reporting the filing holds the words
                # that name it, whichever verb it uses ("was this week accused"), and
                # the parties the sources are about ("The suit, brought by couriers …"
                # is a suit against Parcelo).
                held_words |= procedural | parties
            held = sum(
                weight[g.word] * (1.0 if reports_step and g.word in procedural | parties else _best_term(g, said))
                for g in groups
                if g.word in held_words
            )
            if held <= 0:
                continue
            names_several = bool(_NAMES_SEVERAL.search(sentence.text))
            if (
                focus_group is not None
                and focus_group.word not in held_words
                and (not question.names_wanted or plural_focus)
                and names_several
            ):
                # "which countries …", "which other AI companies …" answered by naming them
                # ("Canada, the EU, UK", "OpenAI, Microsoft and Meta"): the names stand for
                # the class asked about, as a synonym would.
                held += weight[focus_group.word] * vocab.SYNONYM_WEIGHT
            coverage = min(1.0, held / total)
            score = coverage * (0.75 + 0.25 * passage_score / best_passage)
            if reports_step:
                score *= STEP_BOOST
            elif question.steps and (vocab.HYPOTHETICAL.search(sentence.text) or vocab.REQUESTED.search(sentence.text)):
                # "if a judge approves …", "denied the motion to dismiss": nothing of
                # whether the step was taken.
                score *= UNTYPED_PENALTY
            if (
                focus_group is not None
                and focus_group.word not in held_words
                and not question.names_wanted
                and not _TESTS["name"](sentence)
            ):
                # "which regions …" may be answered by naming them ("Canada, the EU"), not
                # otherwise by a sentence that never mentions what is asked about.
                score *= FOCUS_MISSING_PENALTY
            if wanted_type == "person":
                # "who sued", "who filed it": someone named where the step is reported,
                # not a spokesperson of the other side.
                typed = _names_someone_else(index, question, sentence) and (not question.steps or reports_step)
            elif wanted_type == "identity":
                typed = _describes(question, sentence)
            else:
                typed = bool(wants and wants(sentence))
            typed = (typed and _near_focus(index, question, wanted_type, sentence)) or (
                question.names_wanted and plural_focus and names_several
            )
            if typed:
                score *= ANSWER_TYPE_BOOST
            elif wanted_type in STRICT_TYPES or question.names_wanted:
                score *= UNTYPED_PENALTY
            if not other_case_asked and sentence.other_case:
                score *= OTHER_CASE_PENALTY
            elif only_other_cases and not sentence.other_case and sentence.step:
                score *= OTHER_CASE_PENALTY
            scored.append(Scored(sentence, score, coverage, held_words, typed))
    scored.sort(key=lambda s: (-s.score, s.sentence.passage.id, s.sentence.start))
    return scored


# A word of the question that names a step, in any form a question uses ("suing" as well
# as "sued", "settling" as well as "settled").
_STEP_WORD = lazy(
    rf"^(?:{'|'.join(pattern for _, pattern in vocab.STEPS)}|{'|'.join(vocab.STEP_QUESTION_FORMS.values())}"
    r"|file|sue|withdraw|dismiss|settl|drop)",
    re.I,
)


def _with_steps(index: Index, question: Question, passages: list) -> list:
    seen = {p.id for p, _ in passages}
    floor = passages[-1][1] if passages else 1.0
    by_step = index.developments_by_step
    extra: dict[int, tuple] = {}
    for name in question.steps:
        for d in by_step.get(name, ()):
            if len(extra) == PASSAGES_CONSIDERED:
                break
            if d.passage.id not in seen:
                extra.setdefault(d.passage.id, (d.passage, floor))
    return passages + list(extra.values())


def _holds(group: QueryGroup, words: frozenset[str]) -> bool:
    return any(term in words for term in group.terms)


def _best_term(group: QueryGroup, words: frozenset[str]) -> float:
    return max((w for term, w in group.terms.items() if term in words), default=0.0)


# --- answer types ----------------------------------------------------------------------------

# Runs of capitalised words: "Alessandro De La Torre", "Stored Communications Act".
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:De\s+La|de|van|von|[A-Z][a-z]+|[A-Z]\.))+\b")


def names_a_person(text: str, *, asked: Callable[[str], bool] = lambda word: False) -> bool:
    """Whether a sentence names a person: a run of two or more capitalised words, not at
    the start of the sentence, that doesn't end like the name of a law or an institution.

    Args:
        asked: whether a word is one of the question's own; a name ending in one
            ("Sunny Bakery" for "who is suing the bakery?") is who was asked about, not
            the answer.
    """
    # "CHICAGO (Metro Wire) - A federal judge …": a wire story's dateline names its
    # outlet, no one in the story.
    text = _DATELINE.sub(lambda m: " " * len(m.group()), text, count=1)
    first_word = len(text) - len(text.lstrip(" \"“‘'([—–-"))
    for m in _CAPITALISED_RUN.finditer(text):
        words = m.group().split()
        if m.start() <= first_word:
            words = words[1:]  # "But Judge Alsup": the sentence's own capital is no name
        if len(words) >= 2 and words[-1] not in vocab.NOT_A_PERSON_ENDINGS and not asked(words[-1]):
            return True
    return False


# "CHICAGO (Metro Wire) -", "KESSLING, Mich. (WKZN) —", "SAN FRANCISCO (AP) —".
_DATELINE = lazy(r"^[A-Z][A-Z .'’-]+(?:,\s*[A-Z][\w.]{1,12})?\s*\([^)]{1,40}\)\s*[-—–]+\s*")


def _dated(sentence: claims.Sentence) -> bool:
    # "this week" or "today" in a dated passage dates an event too; "recently" at least
    # says it was new when reported.
    return gives_a_date(sentence) or bool(
        _WHEN.search(sentence.text) or _LATELY.search(sentence.text) or _NO_DATE.search(sentence.text)
    )


def gives_a_date(sentence: claims.Sentence) -> bool:
    """Whether a reader can place when the sentence says something happened: a year, or a
    relative date ("this week", "on Friday", "in June") in a dated article."""
    passage = sentence.passage
    return bool(sentence.dates) or bool(
        passage.date and (find_dates(sentence.text, reported=passage.date) or _WHEN.search(sentence.text))
    )


# Time words that date an event in news copy even without a year: "in December", "on
# Thursday", "last month". (This, _NO_DATE and _DATELINE are compiled on first use: only
# questions about dates and some sentence kinds run them.)
_WHEN = lazy(
    rf"\b(?:(?:last|this|next|late|early)\s+(?:week|month|year)|monday|tuesday|wednesday|thursday|friday|"
    rf"saturday|sunday|{'|'.join(m for m in MONTHS if len(m) > 3)})\b",
    re.I,
)
_LATELY = re.compile(r"\b(?:recently|lately|newly)\b", re.I)
# "No trial date has been set": the answer to "when does the trial start" is that none is.
_NO_DATE = lazy(
    r"\bno\s+(?:\w+\s+){0,2}dates?\s+(?:has|have|had)\s+(?:yet\s+)?been\s+(?:set|scheduled|announced)"
    r"|\b(?:has|have)\s+not\s+(?:yet\s+)?been\s+(?:set|scheduled)\b",
    re.I,
)


# Two or more names in a list: "Canada, the EU, UK, and China".
_NAMES_SEVERAL = re.compile(r"\b[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*,\s+(?:the\s+|and\s+|or\s+)*[A-Z][\w.-]*")
_NAMED_THING = re.compile(r"[\"“][^\"”]{3,80}[\"”]|\b[A-Z][\w-]*(?:\s+(?:for|of|and|the|[A-Z][\w-]*))*\s+[A-Z][\w-]*")

def _counts_something(sentence: claims.Sentence) -> bool:
    """A number of things, or words of quantity ("millions of subscribers"): the digits of
    a date or a sum ("in September 2024", "$1,000") count nothing."""
    if sentence.counts:
        return True
    text = sentence.text
    spans = [(m.start, m.end) for m in find_dates(text)] + [(m.start(), m.end()) for m in MONEY.finditer(text)]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return bool(vocab.QUANTITY_WORDS.search(text))


_TESTS: dict[str, Callable[[claims.Sentence], bool]] = {
    "person": lambda s: names_a_person(s.text) or bool(vocab.ORGANISATION.search(s.text)),
    "words": lambda s: bool(vocab.SAYING.search(s.text)),
    "date": _dated,
    "money": lambda s: bool(s.figures) or bool(vocab.CURRENCY.search(s.text)),
    "count": _counts_something,
    "place": lambda s: bool(vocab.PLACE_MARKERS.search(s.text)),
    "reason": lambda s: bool(vocab.REASON_MARKERS.search(s.text)),
    "name": lambda s: bool(_NAMED_THING.search(s.text)),
    "identity": lambda s: True,  # "who is X": _describes, which needs the question
}
# Kinds of question only a sentence of that kind answers: "how many" needs a count, "why"
# a reason, "when" a date. Other sentences are set back, and coverage asks for one of the
# kind among the best few.
STRICT_TYPES = frozenset({"date", "money", "count", "reason", "words", "name"})
# "which judge", "how many authors": the name or the count must stand near the thing asked
# for (within this many words), not anywhere in the sentence.
NEAR_FOCUS = 4
# "which court": the place stands by it ("court in Chicago", "a California federal court").
NEAR_PLACE = 2
WORDS_NEAR = True


def _near_focus(index: Index, question: Question, answer_type: str | None, sentence: claims.Sentence) -> bool:
    """Whether the name, count or saying verb a sentence has stands near what is asked about.

    "which judge": a name within NEAR_FOCUS words of "judge"; "what book": a title near
    "book"; "how many authors": a count near "authors"; "what did Anthropic say": a saying
    verb near "Anthropic" (the speaker).
    """
    if answer_type == "words" and WORDS_NEAR:
        saying = {t for g in question.groups for t in g.terms if vocab.SAYING.fullmatch(g.word)}
        speaking = set(question.speakers)
        terms = {t for g in question.groups if not g.optional and (not speaking or g.word in speaking) for t in g.terms} - saying
    elif answer_type == "date" and question.steps:
        return _dated_near_step(question, sentence)
    elif answer_type in ("person", "count", "name", "place") and question.focus is not None:
        run = focus_terms(index, question)
        terms = {t for g in question.groups if run & set(g.terms) for t in g.terms}
    else:
        return True
    if not terms & (sentence.all_terms | sentence.referents):
        # Nothing asked about is in this sentence: nothing to be near. But a name that
        # isn't the attorney's can't answer "who is the attorney", nor a title that isn't
        # a book's "what book did she write", nor Ridgeway's silence "what did Parcelo say".
        return not (question.names_wanted or answer_type in ("name", "words"))
    if answer_type == "words":
        # "Johnson, author of “The Feather Thief” and other books, said …": the speaker
        # with the apposition read away.
        return spoken_by(index, terms, sentence.text)
    text = _DATELINE.sub("", sentence.text, count=1)  # "CHICAGO (Metro Wire) -" names no one
    words = _SENTENCE_WORD.findall(text)
    analyzer = index.analyzer
    at_focus = [
        i
        for i, w in enumerate(words)
        if analyzer.term(w.casefold().rstrip(".")) in terms
    ]
    if answer_type == "count":
        marks = [i for i, w in enumerate(words) if vocab.QUANTITY_WORDS.fullmatch(w) or w[0].isdigit() or w[0] == "$"]
    elif answer_type == "name":
        # A title or a name of several words, by where it begins and ends: one capitalised
        # word ("whose books Anthropic downloaded") is no title.
        marks = [len(_SENTENCE_WORD.findall(text[:at])) for m in _NAMED_THING.finditer(text) for at in (m.start(), m.end() - 1)]
    elif answer_type == "place":
        # "what court is it in": "filed … in federal court in Chicago", not "according to
        # court papers" in a sentence that names a place elsewhere.
        marks = [len(_SENTENCE_WORD.findall(text[:at])) for m in vocab.PLACE_MARKERS.finditer(text) for at in (m.start(), m.end() - 1)]
    else:
        # A name the question itself says ("InMail" in "which companies got the InMail
        # messages") is what is asked about, not the answer.
        asked = {t for g in question.groups for t in g.terms}
        marks = [i for i, w in enumerate(words) if w[0].isupper() and i > 0 and analyzer.term(w.casefold().rstrip(".")) not in asked]
    near = NEAR_PLACE if answer_type == "place" else NEAR_FOCUS
    return any(abs(i - j) <= near for i in at_focus for j in marks)


def spoken_by(index: Index, terms: set[str] | frozenset[str], text: str) -> bool:
    """Whether one of `terms` speaks in `text`: is the speaker of a saying verb, also
    across an apposition ("Johnson, author of “The Feather Thief”, said …")."""
    return _spoken_by(index, terms, text) or _spoken_by(index, terms, _APPOSITION.sub("", text))


def _spoken_by(index: Index, terms: set[str] | frozenset[str], text: str) -> bool:
    """Whether a saying verb in `text` has one of `terms` for its speaker: before the verb
    ("Anthropic said", "a spokesperson for Anthropic said") or just after it ("said
    Anthropic", "according to Anthropic"). After "alleged that" a name is what is said,
    not who says it; and in "Microsoft's lawyer insists" the possessor is not speaking."""
    words = _SENTENCE_WORD.findall(text)
    at_focus = [
        i for i, w in enumerate(words) if index.analyzer.term(w.casefold().rstrip(".")) in terms and not re.search(r"['’]s?$", w)
    ]
    marks = [i for i, w in enumerate(words) if _SAYING_VERB.fullmatch(w)]
    return any(
        0 <= j - i <= NEAR_FOCUS
        or (0 < i - j <= 2 and _SPEAKER_AFTER.fullmatch(words[j]) and "that" not in (w.casefold() for w in words[j:i]))
        for i in at_focus
        for j in marks
    )


# The verbs whose speaker may follow them ("said Wight", "according to OpenAI"); after the
# others a name is whom they concern ("alleges OpenAI …", "accused LinkedIn", "denied it").
_SPEAKER_AFTER = lazy(
    r"said|says|stated|states|added|noted|notes|insisted|insists|explained|explains|wrote|writes|commented|according",
    re.I,
)


# ", author of “The Feather Thief” and other books," between a speaker and the verb.
_APPOSITION = re.compile(r",[^,;]{1,80},")


# "given preliminary approval by a federal judge on Friday": the date of a step may follow
# its agent.
NEAR_STEP = 6


def _dated_near_step(question: Question, sentence: claims.Sentence) -> bool:
    """"When was it filed?": a date within NEAR_FOCUS words of the step's verb ("filed in
    June"), not one elsewhere in the sentence ("filed …, based on its disclosure last year")."""
    text = sentence.text
    # The step asked about, or the one the sentence reports ("dropped" asked, "withdrawn"
    # reported).
    named = question.steps | ({sentence.step} if sentence.step else set())
    steps = [m for name in named for m in _STEP_VERB[name].finditer(text)]
    if not steps:
        return False  # its dates are of something else ("the case comes a decade after … 2016")
    dates = [(m.start, m.end) for m in find_dates(text, reported=sentence.passage.date)]
    dates += [(m.start(), m.end()) for pattern in (_WHEN, _LATELY) for m in pattern.finditer(text)]
    return any(
        len(_SENTENCE_WORD.findall(text[min(a_end, b_end) : max(a_start, b_start)])) <= NEAR_STEP
        for a_start, a_end in dates
        for b_start, b_end in ((m.start(), m.end()) for m in steps)
    )


# Compiled on first use (retrieval/language/patterns.py): most questions need few of them.
_STEP_VERB = {name: lazy(rf"\b(?:{pattern})\b", re.I) for name, pattern in vocab.STEPS}
_SENTENCE_WORD = re.compile(r"[^\W_][\w'’.-]*|\$?\d[\d,.]*")
_SAYING_VERB = lazy(
    r"said|says|say|stated|states|state|stating|reads|told|tells|commented|declined|respond|responded|denied|denies|"
    r"insisted|insists|added|noted|argued|called|spokesperson|spokesman|spokeswoman|statement|"
    r"alleges?|alleged|claims?|claimed|accuses?|accused|contends?|according|notes|explains|explained|"
    r"wrote|writes|ruled|found|finding|concluded",
    re.I,
)
UNTYPED_PENALTY = 0.6


def _names_someone_else(index: Index, question: Question, sentence: claims.Sentence) -> bool:
    asked = {t for g in question.groups for t in g.terms}
    own = lambda word: index.analyzer.term(word.casefold()) in asked  # noqa: E731
    return names_a_person(sentence.text, asked=own) or bool(
        (m := vocab.ORGANISATION.search(sentence.text)) and not own(m.group().split()[0].rstrip(","))
    )


def _describes(question: Question, sentence: claims.Sentence) -> bool:
    """Whether a sentence says who someone asked about is: "Lindqvist, a part-time
    courier", "Wight is LinkedIn's legal VP", "courier Denise Okafor"."""
    for group in question.groups:
        last = re.escape(group.word.split()[-1])
        if re.search(rf"\b{last}\b(?:,\s+|\s+(?:is|was)\s+)(?:a|an|the|\w+['’]s)\s", sentence.text, re.I) or re.search(
            rf"\b[a-z][\w-]+\s+(?:[A-Z][\w’'-]+\s+)?{last}\b", sentence.text
        ) and not re.search(rf"\b(?:and|or|by|with|to|from|for|of|against|said|says|told)\s+(?:[A-Z][\w’'-]+\s+)?{last}\b", sentence.text):
            return True
    return False


def answer_test(answer_type: AnswerType | None) -> Callable[[claims.Sentence], bool] | None:
    """The test a sentence of the wanted kind passes, if the question wants a kind."""
    if answer_type is None:
        return None
    return _TESTS[answer_type]
