"""Procedural developments of the case: a sentence that reports it was filed, withdrawn, …

The rule for what counts, and for telling this case's developments from other cases the
sources mention in passing (an earlier settlement, a previous lawsuit), lives here once;
status and timeline both use it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from retrieval.language.dates import find_dates
from retrieval.language.patterns import lazy
from retrieval.model import Passage
from retrieval.language.vocabulary import (
    CASE_WORDS,
    MODAL_WORDS,
    OTHER_CASE_WORDS,
    REPORTING_VERBS,
    STATUS_WORDS,
    STEP_QUESTION_FORMS,
    STEPS,
)

STRENGTH = {name: rank for rank, (name, _) in enumerate(STEPS)}

_CASE = CASE_WORDS
# A step belongs to the case when the case is named near it: "the lawsuit has been
# withdrawn", "filed a class action lawsuit". Not across a reporting verb: in "the
# complaint alleges LinkedIn amended its terms" the amending is LinkedIn's, not the case's.
# (A "." inside a sentence is a decimal or an abbreviation: "$1.5 billion" is words too.)
_NEAR = rf"(?:(?!\b(?:{REPORTING_VERBS})\b)[^\s;:!?]+\s+){{0,8}}?"
# Compiled on first use (retrieval/language/patterns.py): a sentence runs only the patterns
# of the steps its words name, and these are slow to compile (~1 ms each).
_STEP_PATTERNS = tuple(
    (
        name,
        lazy(
            rf"\b{_CASE}\b[,]?\s+{_NEAR}(?:{pattern})\b|\b(?:{pattern})\s+{_NEAR}{_CASE}\b",
            re.I,
        ),
    )
    for name, pattern in STEPS
)
# "the previous lawsuit", "an earlier class action", "a separate case": another case.
_OTHER_CASE = re.compile(
    rf"\b(?:{OTHER_CASE_WORDS})\s+(?:[\w$.,-]+\s+){{0,3}}{_CASE}"
    # "It also follows the lawsuit Reddit filed against Anthropic": a case this one follows.
    rf"|\b(?:follows|followed|following|comes\s+after|came\s+after)\s+(?:the|a|an|its|their|\w+['’]s)\s+(?:[\w$.,-]+\s+){{0,3}}?{_CASE}"
    # "for instance, Universal Music's 2023 lawsuit": a case given as an example.
    rf"|\b(?:for\s+(?:instance|example)|such\s+as|including)\b[^.;]{{0,60}}?\b{_CASE}",
    re.I,
)


# Cheap test first: most sentences name no step at all, and the proximity patterns are slow.
# The first word of each way a step is written ("denied" of "denied the motion"): a set
# lookup on a sentence's words tells which steps' proximity patterns are worth running.
def _alternatives(pattern: str) -> list[str]:
    """A pattern's top-level alternatives ("|" outside any group)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(pattern):
        if char == "(" and pattern[i - 1 : i] != "\\":
            depth += 1
        elif char == ")" and pattern[i - 1 : i] != "\\":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:]]


_FIRST_WORDS = {
    name: frozenset(re.split(r"\\s|\(|\[", alternative, maxsplit=1)[0] for alternative in _alternatives(pattern))
    for name, pattern in STEPS
}
_ALL_FIRST_WORDS = frozenset().union(*_FIRST_WORDS.values())
_PATTERN_OF = dict(_STEP_PATTERNS)
_WORD = re.compile(r"[a-z][a-z-]*")
_ANY_CASE = re.compile(rf"\b{_CASE}\b", re.I)


_MODAL = re.compile(rf"\b(?:{MODAL_WORDS})\b", re.I)
_SUED = re.compile(r"\b(?:sued|sues|suing)\b", re.I)


def step(sentence: str) -> str | None:
    """The strongest procedural step a sentence reports about a case, if any."""
    words = set(_WORD.findall(sentence.casefold()))
    named = [name for name, first in _FIRST_WORDS.items() if not first.isdisjoint(words)]
    if not named:
        return None
    if not _ANY_CASE.search(sentence):
        # "sued" names the case by itself: "A rival baker sued the bakery on Monday".
        match = _SUED.search(sentence)
        return "filed" if match and not _MODAL.search(sentence, 0, match.start()) else None
    found = []
    for name in named:
        match = _PATTERN_OF[name].search(sentence)
        # "will be the one giving final approval", "would have gone to trial": a step
        # foretold or imagined has not happened.
        if match and not _MODAL.search(sentence, 0, match.start()):
            found.append(name)
    return max(found, key=STRENGTH.__getitem__) if found else None



_STATUS_WORDS = re.compile(rf"\b(?:{STATUS_WORDS})\b", re.I)


# A clause that sets a question's scene rather than asking it ("where was it filed, *before
# it ended up in California*?", "*if I turn it off now*, does that undo …"), to the next
# comma or the end.
_SUBORDINATE = re.compile(r"\b(?:before|after|since|until|once|because|although|though|unless|if)\b[^,;?!]*", re.I)


def _asked_status_word(question: str) -> re.Match[str] | None:
    return _STATUS_WORDS.search(_SUBORDINATE.sub(" ", question))


def asks_for_status(question: str) -> bool:
    """Whether a question asks where the case stands ("Is the lawsuit still going on?")."""
    return bool(_asked_status_word(question) and re.search(rf"\b(?:{_CASE}|sued|suing)\b", question, re.I))


def asks_only_for_news(question: str) -> bool:
    """Whether a question is only a status word ("what's the status?", "any updates?")."""
    return bool(_asked_status_word(question))


def names_case_or_status(word: str) -> bool:
    """Whether a word only names a case or asks for its status ("lawsuit", "still")."""
    return bool(re.fullmatch(rf"{_CASE}s?", word, re.I) or _STATUS_WORDS.fullmatch(word))


def about_other_case(sentence: str, following: str = "", *, first_report: date | None = None) -> bool:
    """Whether a sentence concerns another case than the one the corpus is about.

    The sentence after it counts too: "This case follows LinkedIn's settlement of a class
    action lawsuit in 2024. The previous lawsuit accused …" names the other case only in
    the second sentence. And a case that ended OLD_STEP_YEARS or more before the first report
    of this one ("In 2021, the company paid $2.5 million to settle a lawsuit", in coverage
    that starts in 2025) is another case: this one was still news later. Only an ending
    counts: a case is often first reported years after it was filed ("Facebook was sued
    … in 2015", in coverage from 2020), and a date that bounds a period ("users … after
    June 7, 2011") says when nothing happened.
    """
    if _OTHER_CASE.search(sentence) or _OTHER_CASE.search(following):
        return True
    if first_report is None or not _ENDS_A_CASE.search(sentence):
        return False
    years = [m.date.year for m in find_dates(sentence) if not _BOUND.search(sentence, 0, m.start)]
    return bool(years) and max(years) <= first_report.year - OLD_STEP_YEARS


OLD_STEP_YEARS = 2
# The steps that end a case, with or without a case word near them ("paid a penalty to
# settle EPA allegations").
_ENDINGS = ("settled", "dismissed", "withdrawn")
_ENDS_A_CASE = lazy(
    rf"\b(?:{'|'.join(pattern for name, pattern in STEPS if name in _ENDINGS)}"
    rf"|{'|'.join(STEP_QUESTION_FORMS[name] for name in _ENDINGS)})\b",
    re.I,
)
# A date right after one of these bounds a period ("after June 7, 2011", "since 2015").
_BOUND = lazy(r"\b(?:after|before|since|until|till|between|from|through)\s+$", re.I)


def first_report(passages: Iterable[Passage]) -> date | None:
    """The earliest date any passage is reported on."""
    return min((p.date for p in passages if p.date is not None), default=None)


@dataclass(frozen=True, slots=True)
class Development:
    """A sentence (by its position in a passage) that reports a procedural step."""

    passage: Passage
    sentence: int
    step: str

    @property
    def date(self) -> date | None:
        """The date of the reporting: the passage's."""
        return self.passage.date

    @property
    def event_date(self) -> date | None:
        """When the step happened: the date its sentence gives ("filed a notice … on
        January 30, 2025", "today"), else the date of the passage that reports it. A report
        published on February 6 of a January 30 withdrawal is dated January 30."""
        mentions = [m for m in find_dates(self.text, reported=self.passage.date) if m.precision == "day"]
        return mentions[0].date if mentions else self.passage.date

    @property
    def text(self) -> str:
        start, end = self.passage.sentences[self.sentence]
        return self.passage.text[start:end]


def find_developments(
    passages: Sequence[Passage], *, words: Sequence[Collection[str]] | None = None
) -> tuple[Development, ...]:
    """Every sentence that reports a procedural step of this case, in corpus order.

    Runs once per index build (it reads every sentence), not per question.

    Args:
        passages: the corpus's passages.
        words: each passage's folded words, when the caller has them already (the index
            build does): a passage naming no step is passed over without reading it again.
    """
    found = []
    earliest = first_report(passages)
    for n, passage in enumerate(passages):
        held = words[n] if words is not None else _WORD.findall(passage.text.casefold())
        if _ALL_FIRST_WORDS.isdisjoint(held):
            continue  # no step named anywhere in the passage
        texts = passage.sentence_texts()
        for i, text in enumerate(texts):
            name = step(text)
            following = texts[i + 1] if i + 1 < len(texts) else ""
            if name and not about_other_case(text, following, first_report=earliest):
                found.append(Development(passage, i, name))
    return tuple(found)


def latest(developments: Iterable[Development]) -> Development | None:
    """The development reported on the latest date (undated ones only if none is dated)."""
    return max(
        developments,
        key=lambda d: (
            d.date is not None,
            d.date or date.min,
            STRENGTH[d.step],
            -d.passage.id,
            -d.sentence,
        ),
        default=None,
    )
