"""Where the case stands: the latest procedural development, then the basics, all quoted.

Each basic (filed, plaintiff, claims, sought, response) is a question asked through the
same stages as any other (retrieval/answering/question.py, retrieval/answering/ranking.py), with a test the
sentence must pass to fill the slot: "Filed" must report the filing of this case,
"Plaintiff" must name someone, and so on. A slot no sentence passes is left out rather
than filled badly.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, replace

from retrieval.case import claims
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Quote
from retrieval.answering.question import defendant, read_question
from retrieval.answering.quoting import make_quote
from retrieval.answering.ranking import answer_test, rank, spoken_by
from retrieval.language.vocabulary import LAW_FIRM

# A slot's sentence must hold at least this share of its question.
MIN_SLOT_COVERAGE = 0.15
# The most disagreements status lists: those about its quotes, then the case's most
# central ones (a chat message has room for a few; the timeline lists every date's).
MAX_DISAGREEMENTS = 6


@dataclass(frozen=True, slots=True)
class Slot:
    label: str
    question: str  # asked through the usual stages
    answer_type: str | None
    accepts: Callable[[Index, claims.Sentence], bool]


def _reports(step_name: str) -> Callable[[Index, claims.Sentence], bool]:
    return lambda index, s: s.step == step_name


def _defendant_responds(index: Index, s: claims.Sentence) -> bool:
    """The defendant's words, not anyone's: "LinkedIn said in a statement", not "Alsup
    called the settlement fair"."""
    return bool(_RESPONDS.search(s.text)) and _words(s) and spoken_by(index, {defendant(index)}, s.text)


def _defendant_word(index: Index) -> str:
    """The defendant as the sources write it most often (the question words are read
    through the analyzer again)."""
    term = defendant(index)
    # A word stems to its term only if it starts with the term's first letters: only the
    # words that do are read (the vocabulary is sorted: they are one run of it), so the
    # stemmer sees a few words, not the whole vocabulary.
    if not term:
        return "defendant"
    start = term[:3]
    table = index.words
    names = table.terms.names
    words = []
    for row in range(bisect_left(names, start), len(names)):
        word = names[row]
        if not word.startswith(start):
            break
        if index.analyzer.term(word) == term:
            words.append((table.at(row), word))
    return max(words)[1] if words else "defendant"


_ALLEGES = re.compile(r"\b(?:alleg\w*|accus\w*|claim\w*|violat\w*|breach\w*|infring\w*)\b", re.I)
_SEEKS = re.compile(r"\b(?:seek\w*|sought|damages|compensation|relief|asking\s+for|demand\w*|award\w*)\b", re.I)
_RESPONDS = re.compile(r"\b(?:said|says|stated|denied|denies|responded|spokesperson|statement|called)\b", re.I)
_person = answer_test("person")
_words = answer_test("words")

# The basics of any lawsuit. The questions are search terms, not answers: what is quoted
# is whatever the sources say.
SLOTS: tuple[Slot, ...] = (
    Slot("Filed", "where was the lawsuit filed in court", "place", _reports("filed")),
    Slot(
        "Plaintiff",
        "who filed the lawsuit plaintiff on behalf of",
        "person",
        lambda index, s: _person(s) and s.step == "filed" and not LAW_FIRM.search(s.text),
    ),
    Slot("Claims", "what does the lawsuit allege violated law", None, lambda index, s: bool(_ALLEGES.search(s.text))),
    Slot("Sought", "how much damages does the lawsuit seek", "money", lambda index, s: bool(_SEEKS.search(s.text))),
    Slot(
        "Response",
        "how did {defendant} respond to the lawsuit statement spokesperson",
        "words",
        _defendant_responds,
    ),
)


def status(index: Index) -> Answer:
    """Where the case stands, from the most recent dated reporting, then the basics (once
    per snapshot: it depends on nothing else)."""
    if index.cache.status is None:
        index.cache.status = _status(index)
    return index.cache.status


def _status(index: Index) -> Answer:
    quotes: list[Quote] = []
    conflicts: list[Conflict] = []
    chosen: list[claims.Sentence] = []

    def add(sentence: claims.Sentence, label: str, groups) -> None:
        others = claims.candidates(index, sentence)
        also = tuple(claims.corroborating(index, sentence, others))
        quotes.append(make_quote(index, sentence, groups, also_in=also, label=label))
        chosen.append(sentence)
        claims.merge_conflicts(conflicts, claims.conflicts(index, sentence, others))

    newest = index.latest_development
    if newest is not None:
        sentence = claims.sentence_at(index, newest.passage, newest.sentence)
        add(sentence, "Latest", index.analyzer.query(sentence.text))
    defendant_word = _defendant_word(index)  # a pass over the whole vocabulary: once
    for slot in SLOTS:
        asked = read_question(index, slot.question.format(defendant=defendant_word))
        # A slot's search words that this corpus never uses ("plaintiff" where the sources
        # say "filed by") are no part of what a sentence must hold.
        # (and the search words are all wanted, however a question would weigh them).
        known = tuple(replace(g, optional=False) for g in asked.groups if any(index.knows(t) for t in g.terms))
        question = replace(asked, groups=known, unknown=(), answer_type=slot.answer_type, focus=None)
        for item in rank(index, question):
            if item.coverage < MIN_SLOT_COVERAGE:
                continue
            sentence = item.sentence
            if sentence.other_case or not slot.accepts(index, sentence):
                continue
            if any(sentence == other or claims.similarity(index, sentence, other) >= claims.SAME_CLAIM for other in chosen):
                continue
            add(sentence, slot.label, question.groups)
            break

    # Then the case's other disagreements, wherever the sources tell them (not only in the
    # sentences quoted above), most central first: a reader asking where the case stands
    # should know where its sources differ on a date, a sum or a count.
    claims.merge_conflicts(conflicts, claims.case_disagreements(index))
    del conflicts[MAX_DISAGREEMENTS:]

    if newest is None:
        text = "The sources report no procedural step of the case yet."
    elif newest.date is None:
        text = "Where the case stands, from the sources (none of them is dated):"
    else:
        text = f"Where the case stands, from the most recent dated reporting ({newest.date.isoformat()}):"
    if conflicts:
        text += " The sources disagree on some details: see below."
    return Answer(
        kind="status",
        text=text,
        quotes=tuple(quotes),
        conflicts=tuple(conflicts),
        loaded_at=index.corpus.loaded_at,
    )
