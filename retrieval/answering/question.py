"""Question analysis, the composer's first stage: what a question asks, read as people type.

`read_question` turns the words of a chat message into a typed `Question`: the reading
(contractions, shorthand, paraphrases and typos resolved towards the corpus's own
words), the weighted query groups, the kind of answer wanted (a person, a date, an
amount, a place, a reason, someone's words), the word it asks about ("which *judge*"),
the words no source uses, and whether it asks about the sources themselves. Coverage,
ranking and tiers (retrieval/answering/) read only this value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from retrieval.language import vocabulary as vocab
from retrieval.language.analyzer import QueryGroup, fold
from retrieval.language.inflection import corpus_forms, derived_forms
from retrieval.language.patterns import lazy
from retrieval.language.places import is_place
from retrieval.language.spelling import is_ordinary, zipf

if TYPE_CHECKING:
    from retrieval.index import Index

AnswerType = str  # one of the names in vocabulary.ANSWER_TYPES


@dataclass(frozen=True, slots=True)
class Unknown:
    """A question word no source uses (after spelling and synonyms)."""

    word: str  # as the asker typed it
    # A name, a rare word or a lawsuit's procedure word ("judge"): key content.
    name: bool
    # Written as a name (capitalised inside the question) or a place: a person, company,
    # court, law, product or place the sources never mention, so they can't answer.
    proper: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    """A question as casebot understands it.

    Args:
        text: the question as asked, whitespace folded.
        reading: the folded question with chat spellings, paraphrases and typos resolved.
        groups: the query groups (one per content word, with its synonyms).
        answer_type: what kind of sentence answers it, if the wording tells.
        focus: the index term of the thing asked for ("judge" in "which judge ..."), if any.
        unknown: content words no source uses.
        corrections: (typed, read as) pairs of spelling corrections.
        about_sources: "list", "link" or "author" when it asks about the sources themselves.
        steps: the procedural steps it names ("filed", "withdrawn"), by vocabulary.STEPS.
    """

    text: str
    reading: str
    groups: tuple[QueryGroup, ...]
    answer_type: AnswerType | None = None
    focus: str | None = None
    unknown: tuple[Unknown, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    about_sources: str | None = None
    steps: frozenset[str] = frozenset()  # procedural steps it asks about ("when was it filed")
    names_wanted: bool = False  # "which judge", "who is the attorney": only a name answers
    named_sources: tuple[str, ...] = ()  # sources the question names ("the register")
    # Names it asks about that are not the corpus's own topics ("OpenAI" in a case about
    # Anthropic): an answer must say them.
    key_names: tuple[str, ...] = ()
    # Whether it asks about other cases than this one ("previous", "before", "first time").
    about_other_cases: bool = False
    names: tuple[str, ...] = ()  # words of its groups the sources write as names
    # Of a question asking for someone's words, the words of the groups saying whose (those
    # before its verb: "what did *the judge* say about the settlement"); () where no verb
    # sets them apart, and every group may be the speaker.
    speakers: tuple[str, ...] = ()

    @property
    def content(self) -> tuple[QueryGroup, ...]:
        """The groups the question needs covered (not the optional acronym expansions)."""
        return tuple(g for g in self.groups if not g.optional)


_WORD = re.compile(r"[^\W_][\w'’]*")
_ANSWER_TYPES = tuple((name, re.compile(pattern)) for name, pattern in vocab.ANSWER_TYPES)
_PHRASES = tuple((re.compile(pattern), replacement) for pattern, replacement in vocab.PHRASES)
# "1k", "1.5m", "$2bn" as people type them; read as the numbers the sources write.
_SCALED = re.compile(r"(\$?)(\d+(?:\.\d+)?)\s?(k|m|mn|b|bn)\b")
_SCALE_WORDS = {"m": "million", "mn": "million", "b": "billion", "bn": "billion"}
_CAPITALISED = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][\w’'-]*)")
# Words that only say what kind of answer is wanted ("what *year*"), not what about.
_TYPE_WORDS = frozenset("year years date dates day days month months time reason amount figure sum number".split())
# ... and the kind each asks for, where it heads the phrase asked about ("what was the
# settlement *amount*", "what is the filing *date*").
_TYPE_WORD_KINDS = {
    **dict.fromkeys("year years date dates day days month months time".split(), "date"),
    **dict.fromkeys("amount figure sum".split(), "money"),
    "reason": "reason",
}  # ("the case number", "the serial number" name no count)
# "how big is the company": the size words ask for figures, as "how many" does.
_SIZE_QUESTION = re.compile(r"^how\s+(big|large|small)\b")
# The thing asked for: "which judge", "what is the docket number", "who's the attorney".
_FOCUS = re.compile(
    r"^(?:which|what)\s+(?:(?:is|are|was|were)\s+)?(?:the\s+|a\s+|an\s+)?(?:names?\s+of\s+(?:the\s+)?)?"
    r"|^(?:who|whom)\s+(?:is|are|was|were)\s+(?:the|a|an)\s+"
    r"|^(?:who|whom)\s+(?:the|a|an)\s+(?=\w+\s+(?:is|are|was|were)\b)"  # asked inside another: "… who the judge is"
    r"|^how\s+(?:many|much)\s+"
)
_WHO_IS = re.compile(r"^who\s+(?:is|was|are|were)\s+(?!the\b|a\b|an\b)")
# ("the *name of* the judge" asks for the judge: no qualifier.)
_QUALIFIER = re.compile(r"^(?:\S+\s+){1,6}?(?<!\bname\s)(?<!\bnames\s)(?:for|of|against|behind|representing|on\s+behalf\s+of)\s+(.+)$")
_STEP_WORDS = tuple(
    (name, re.compile(rf"\b(?:{pattern}|{vocab.STEP_QUESTION_FORMS.get(name, pattern)})\b"))
    for name, pattern in vocab.STEPS
)


def normalise(text: str) -> str:
    """The folded question with chat spellings and paraphrases read as plain words."""
    reading = fold(text)
    for short, long in vocab.SLASHED.items():
        reading = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", f" {long} ", reading)
    reading = _SCALED.sub(_unscale, reading)
    # "what % of the logs": the sign asked on its own is the word ("5%" stays a number).
    reading = re.sub(r"(?<![\d.])\s*%", " percent ", reading)

    def word(match: re.Match[str]) -> str:
        w = match.group()
        return vocab.CONTRACTIONS.get(w) or vocab.SHORTHAND.get(w) or w

    reading = _WORD.sub(word, reading)
    for pattern, replacement in _PHRASES:
        reading = pattern.sub(replacement, reading)
    return " ".join(reading.split())


def _unscale(match: re.Match[str]) -> str:
    dollar, number, unit = match.groups()
    if unit == "k":
        value = float(number) * 1000
        return f"{dollar}{value:,.0f}" if value == int(value) else match.group()
    return f"{dollar}{number} {_SCALE_WORDS[unit]}"


def _strip_filler(reading: str) -> str:
    words = reading.split()
    while words and (words[0] in vocab.FILLER_WORDS or words[0] in {"so", "and", "but", "also", "then"}):
        words.pop(0)
    # A question asked inside another ("can you tell me when …", "roughly how many …"):
    # read from its question word, where nothing before it says what about.
    at = next((i for i, w in enumerate(words) if w in _QUESTION_WORDS), 0)
    if at and all(_frames(w) for w in words[:at]):
        words = words[at:]
    return " ".join(words)


def _frames(word: str) -> bool:
    """A word that may stand before the question word of an embedded question ("i'm",
    "wondering", "roughly"): each piece of it a function, filler or embedding word."""
    return all(
        piece in vocab.STOP_WORDS or piece in vocab.FILLER_WORDS or piece in vocab.EMBEDDING_WORDS
        for piece in re.split(r"['’]", word)
        if piece
    )


_QUESTION_WORDS = frozenset("who whom whose what when where which why how".split())


def read_question(index: Index, text: str) -> Question:
    """Analyses a question against one index (its vocabulary, spelling and synonyms)."""
    text = " ".join(text.split())
    reading = _strip_filler(normalise(text))
    reading, corrections = _correct(index, reading)
    analyzer = index.analyzer
    # "who is suing?" asks for the plaintiff, where the sources use that word; and "who
    # are the plaintiffs?" asks who sued, where they don't ("three authors sued …").
    plaintiff_known = index.knows(analyzer.term(vocab.PLAINTIFF_WORD))
    if not plaintiff_known:
        reading = re.sub(r"\b(?:the\s+)?plaintiffs?\b", "who sued", reading)
    extra = [vocab.PLAINTIFF_WORD] if vocab.WHO_SUES.search(reading) and plaintiff_known else []
    answer_type = _answer_type(reading)
    size = _SIZE_QUESTION.match(reading)
    groups = [
        g
        for g in analyzer.query(reading, extra=extra)
        if not (answer_type and g.word in _TYPE_WORDS) and not (size and g.word == size.group(1))
    ]
    about_sources = _about_sources(reading, groups)
    named = named_sources(index, reading)
    if about_sources is None:
        groups = [g for g in groups if g.word not in vocab.SOURCE_WORDS]
        if named and _ASKS_A_SOURCE.search(reading):
            # "what did the register say about …": the outlet's name says where to look,
            # not what to look for.
            outlet_words = {t for i in named for t in analyzer.terms(index.sources[i].name)}
            groups = [g for g in groups if analyzer.term(g.word) not in outlet_words]
            if answer_type == "words":
                answer_type = None  # every sentence of that source is its words
        else:
            named = ()
    groups = [_outside_outlet_names(index, g) for g in groups]
    groups = [g if any(index.knows(t) for t in g.terms) else _other_forms(index, g) for g in groups]
    if extra:
        # "who is suing?": the plaintiff word tips the ranking towards sentences that say
        # so; whoever is named as suing answers.
        groups = _optional(groups, {analyzer.term(w) for w in extra})
    groups = _merge_names(index, groups)
    if answer_type == "person" and _WHO_IS.match(reading) and groups and all(written_as_name(index, g) for g in groups):
        # "who is Lindqvist": the asker has the name and wants what the sources say of
        # the person ("Lindqvist, a part-time courier and nursing student").
        answer_type = "identity"
    focus = _focus(index, reading)
    if answer_type is None:
        answer_type = _headed_by_type_word(reading)
    if answer_type is None and focus is not None:
        # "what *deadline* …", "which *statute* …": the noun says what kind answers.
        answer_type = _noun_kind(_focus_word(reading) or "")
    # "which judge", "who is the attorney": only a name answers. ("Who is suing?" may be
    # answered by "a Premium customer".)
    # ("How many people …" asks for a count of them.)
    names_wanted = (
        focus is not None
        and focus in {analyzer.term(w) for w in vocab.PERSON_NOUNS}
        and answer_type not in ("count", "money")
    )
    if names_wanted and answer_type is None:
        answer_type = "person"
    # "who is the lawyer *for the plaintiff*": what follows the thing asked for only
    # qualifies it; a qualifier the sources never use must not sink the question.
    focus_known = any(focus in g.terms and any(index.knows(t) for t in g.terms) for g in groups)
    qualifier = _QUALIFIER.search(reading) if focus_known else None
    if qualifier:
        # Unknown to the sources, the qualifier goes. Known, and qualifying a role ("the
        # attorney for De La Torre"), it tips the ranking towards the right person but is
        # not what the question needs covered: "the law firm representing the plaintiff"
        # answers it.
        said = set(analyzer.terms(qualifier.group(1)))
        groups = [g for g in groups if said.isdisjoint(g.terms) or any(index.knows(t) for t in g.terms)]
        if names_wanted:
            groups = _optional(groups, said)
    # "why do the plaintiffs think …": the frame tips the ranking, the claim is what counts.
    frame = vocab.CLAIM_FRAME.search(reading)
    if frame:
        framed = _optional(groups, set(analyzer.terms(frame.group(1))))
        if any(not g.optional for g in framed):
            groups = framed
    # "what did Anthropic say after the ruling": the event the question times its asking
    # by is context; what was said then answers without naming the event again.
    after = re.search(r"\b(?:after|following|since|when)\b(.+)$", reading)
    if after and after.start() > 0:
        timed = _optional(groups, set(analyzer.terms(after.group(1))))
        if any(not g.optional for g in timed):
            groups = timed
    if answer_type == "words":
        # "what did X think of it", "how did X respond": the verb asks for X's words; the
        # sentence that gives them need not repeat it.
        asking = {t for g in groups if g.word in vocab.OPINION_VERBS or vocab.SAYING.fullmatch(g.word) for t in g.terms}
        if any(not g.optional and asking.isdisjoint(g.terms) for g in groups):
            groups = _optional(groups, asking)
    # "… if they win": a condition of the question, not what it asks; it may tip the
    # ranking but must not decide coverage.
    condition = re.search(r"\bif\b(.+)$", reading)
    if condition and condition.start() > 0:
        said = set(analyzer.terms(condition.group(1)))
        groups = [QueryGroup(g.word, g.terms, optional=True) if analyzer.term(g.word) in said else g for g in groups]
    # "money-wise" also reads as "moneywise"; unknown to the sources, the parts carry it.
    compounds = {m.group().replace("-", "") for m in re.finditer(r"\w+(?:-\w+)+", reading)}
    groups = [g for g in groups if not (g.word in compounds and not any(index.knows(t) for t in g.terms))]

    capitalised = {fold(m.group(1)) for m in _CAPITALISED.finditer(text)}
    unknown = tuple(
        Unknown(
            word=g.word,
            name=g.word in capitalised
            or g.word in vocab.PROCEDURE_WORDS
            or not is_ordinary(g.word)
            or g.word.isdigit()
            or is_place(g.word),
            proper=(g.word in capitalised or is_place(g.word)) and not _names_a_source(index, g.word),
        )
        for g in groups
        if not g.optional and not any(index.knows(t) for t in g.terms)
    )

    return Question(
        text=text,
        reading=reading,
        groups=tuple(groups),
        answer_type=answer_type,
        focus=focus,
        unknown=unknown,
        corrections=tuple(corrections),
        about_sources=about_sources,
        steps=_steps(reading),
        names_wanted=names_wanted,
        named_sources=named,
        key_names=_key_names(index, reading, focus, groups),
        about_other_cases=bool(vocab.OTHER_CASE_QUESTION.search(reading) and vocab.SPEAKS_OF_A_CASE.search(reading)),
        names=tuple(g.word for g in groups if written_as_name(index, g)),
        speakers=_speakers(reading, groups) if answer_type == "words" else (),
    )


# The verb of a question that asks for someone's words: who is asked about stands before it.
_ASKS_WORDS_VERB = lazy(
    r"\b(?:say|says|said|tell|tells|told|think|thinks|thought|feel|feels|felt|respond|responds|responded|"
    r"react|reacts|reacted|comment|comments|commented|reply|replies|replied|call|calls|called|"
    r"describe|describes|described|write|writes|wrote)\b"
)


def _speakers(reading: str, groups: list[QueryGroup]) -> tuple[str, ...]:
    """The words of the groups that say whose words are asked: those before the question's
    verb ("what did *the judge* say about *the settlement*": the judge, not the settlement,
    speaks); () where no verb sets them apart ("microsoft's reaction?")."""
    verb = _ASKS_WORDS_VERB.search(reading)
    if verb is None:
        return ()
    return tuple(
        g.word
        for g in groups
        if not g.optional and (m := re.search(rf"\b{re.escape(g.word)}\b", reading)) and m.start() < verb.start()
    )


def _outside_outlet_names(index: Index, group: QueryGroup) -> QueryGroup:
    """The group without terms the sources use only in an outlet's name: "told Docket
    Notes" says nothing of a docket, so "what's the docket number" is not covered by it."""
    kept = {t: w for t, w in group.terms.items() if not _only_in_outlet_names(index, t)}
    if len(kept) == len(group.terms):
        return group
    # Nothing left: the word as a term no passage holds, so it reads as unknown.
    return QueryGroup(group.word, kept or {_UNSEEN_MARK + group.word: 1.0}, optional=group.optional)


_UNSEEN_MARK = "\0"  # no token starts with NUL


def _only_in_outlet_names(index: Index, term: str) -> bool:
    cache = index.cache.outlet_only
    if term not in cache:
        analyzer = index.analyzer
        if index.cache.outlet_terms is None:
            by_term: dict[str, list[str]] = {}
            for outlet in {s.outlet for s in index.sources.values() if s.outlet}:
                for t in set(analyzer.terms(outlet)):
                    by_term.setdefault(t, []).append(outlet)
            index.cache.outlet_terms = by_term
        named = index.cache.outlet_terms.get(term, [])
        posting = index.postings.get(term)
        if not named or posting is None or len(posting.passages) > OUTLET_MENTIONS:
            cache[term] = False  # (a word in this many passages is the reporting's own)
        else:
            mention = re.compile("|".join(re.escape(o) for o in named), re.I)
            cache[term] = all(term not in analyzer.terms(mention.sub(" ", index.passages[i].text)) for i in posting.passages)
    return cache[term]


# What a word derived from the same beginning counts for (a synonym counts 0.6).
DERIVED_WEIGHT = 0.5
# More passages than this holding a word of an outlet's name: the reporting uses it.
OUTLET_MENTIONS = 12


def _other_forms(index: Index, group: QueryGroup) -> QueryGroup:
    """A word no source uses, read as the forms of it they do use ("lose" → "lost"), and
    those forms' synonyms ("told" → "informed")."""
    analyzer = index.analyzer
    terms: dict[str, float] = {}
    for form in corpus_forms(index, group.word):
        for found in analyzer.query(form):
            for term, weight in found.terms.items():
                if index.knows(term):
                    terms[term] = max(terms.get(term, 0.0), weight)
    if not terms:
        # No form of the word: words derived from its beginning ("wrong" asked,
        # "wrongdoing" written), for less than a synonym.
        for form in derived_forms(index, group.word):
            term = analyzer.term(form)
            if index.knows(term):
                terms[term] = max(terms.get(term, 0.0), DERIVED_WEIGHT)
    if not terms:
        return group
    return QueryGroup(group.word, {**group.terms, **terms}, optional=group.optional)


def _answer_type(reading: str) -> AnswerType | None:
    """The kind of answer wanted, from how the question opens; in a message of several
    sentences or clauses, from the first that is a question ("hey, writing a recap. when
    did they settle?", "according to the AP, how much would each owner get?": a date, a
    sum). A message that asks with a noun alone ("judge?", "deadline to file a claim?")
    asks for that noun's kind."""
    for segment in _clauses(reading):
        found = next((name for name, pattern in _ANSWER_TYPES if pattern.search(segment)), None)
        if found:
            return found
    amount = _AMOUNT_ANYWHERE.search(reading)
    if amount:
        # "the facebook is must pay how much money": asked as people write who learnt
        # English elsewhere, the amount asked stands where the answer would.
        return "money" if amount.group(1) == "much" else "count"
    if not _ANY_QUESTION_WORD.search(reading) and not _YES_NO.match(reading):
        # ("did the judge approve it?" asks yes or no, whatever nouns it has.)
        return next((kind for w in re.findall(r"[a-z]+", reading) if (kind := _noun_kind(w))), None)
    return None


def _clauses(reading: str) -> list[str]:
    """The message, then each clause after a sentence or clause break, filler stripped."""
    pieces = [reading, *(p for p in _CLAUSE_BREAK.split(reading)[1:] if p.strip())]
    # "on what date …", "in which court …": the preposition before the question word.
    return [_LEADING_PREPOSITION.sub("", _strip_filler(p.strip())) for p in pieces]


_CLAUSE_BREAK = re.compile(r"[.?!;:,]+\s+|\s+[-–—]+\s+")
_LEADING_PREPOSITION = re.compile(r"^(?:on|in|at|by|from|for|until|to|of|since)\s+(?=(?:what|which|whom|whose|how)\b)")
_YES_NO = re.compile(r"^(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would|should|may|might|must|am)\b")
# ("no matter how much", "regardless of how many" concede; they don't ask.)
_AMOUNT_ANYWHERE = re.compile(r"(?<!\bmatter\s)(?<!\bof\s)\bhow\s+(much|many)\b")
_ANY_QUESTION_WORD = re.compile(rf"\b(?:{'|'.join(sorted(_QUESTION_WORDS))})\b")


def asks_something(reading: str) -> bool:
    """Whether a message has a question word ("when did this happen", "who?"), not only a
    greeting or a remark."""
    return bool(_ANY_QUESTION_WORD.search(reading))


def _noun_kind(word: str) -> AnswerType | None:
    """The kind of answer a noun asks for ("judge": a person, "deadline": a date)."""
    if word in vocab.PERSON_NOUNS:
        return "person"
    return next((kind for kind, nouns in vocab.KIND_NOUNS.items() if word in nouns), None)


def _optional(groups: list[QueryGroup], terms: set[str]) -> list[QueryGroup]:
    """`groups`, with those holding any of `terms` made optional: they still tip the
    ranking (BM25) but are no part of what the question needs covered."""
    return [QueryGroup(g.word, g.terms, optional=True) if not terms.isdisjoint(g.terms) else g for g in groups]


def _steps(reading: str) -> frozenset[str]:
    """The procedural steps a question names. "has the settlement been approved?" asks
    about the approval: a step named only by a word that also names the case (the
    settlement) is the thing approved, when another step is named."""
    found = {
        name: {m.group() for m in pattern.finditer(reading) if not _A_NOUN.match(m.group()) or not _after_determiner(reading, m)}
        for name, pattern in _STEP_WORDS
    }
    found = {name: words for name, words in found.items() if words}
    if len(found) > 1:
        case_word = re.compile(rf"^{vocab.CASE_WORDS}$")
        verbs = {name for name, words in found.items() if not all(case_word.match(w) for w in words)}
        if verbs:
            return frozenset(verbs)
    return frozenset(found)


# A question form of a step's verb after a determiner is a noun: "change its *rules*",
# "the *appeals* court" name no ruling or appeal.
_A_NOUN = re.compile(rf"(?:{'|'.join(vocab.STEP_QUESTION_FORMS.values())})$")
_DETERMINER = re.compile(r"\b(?:the|a|an|its|their|his|her|our|your|my|these|those|this|that)\s+$")


def _after_determiner(reading: str, match: re.Match[str]) -> bool:
    return bool(_DETERMINER.search(reading, 0, match.start()))


def _focus(index: Index, reading: str) -> str | None:
    """The index term of the head of the noun phrase a which/what/who-is-the question asks
    about ("which premium *tier* does …", "what *judge* is …")."""
    word = _focus_word(reading)
    return index.analyzer.term(word) if word else None


def _focus_word(reading: str) -> str | None:
    """The head word itself: the last content word of the run after the question word, or
    the last noun in it that says what kind of answer is wanted ("which appeals *judge*
    wrote the opinion")."""
    match = _FOCUS.match(reading)
    if not match or match.end() == 0:
        return None
    run = _focus_run(reading[match.end() :])
    if run and match.group().startswith("how many"):
        # "how many *people* work there": what is counted is the plural noun, not the verb.
        run = run[: next((i + 1 for i, w in enumerate(run) if w.endswith("s") or w in vocab.IRREGULAR_PLURALS), len(run))]
    if not run:
        return None
    kinds = [w for w in run if _noun_kind(w)]
    return (kinds or run)[-1]


def _headed_by_type_word(reading: str) -> AnswerType | None:
    """The kind a type word asks for where it heads the phrase asked about ("what was the
    settlement *amount*", "what's the filing *date*"): the head of an English noun phrase
    is its last word."""
    match = _FOCUS.match(reading)
    if not match or match.end() == 0 or match.group().startswith("how"):
        return None
    run = _focus_run(reading[match.end() :], keep_type_words=True)
    return _TYPE_WORD_KINDS.get(run[-1]) if len(run) > 1 else None


def _focus_run(rest: str, *, keep_type_words: bool = False) -> list[str]:
    """The words of the phrase asked about, after the question word (type words left out
    unless `keep_type_words`: "what *year*" asks for a kind, not about a year)."""
    words = rest.split()
    # "which *other* AI companies", "which of the judges": the run starts after them.
    while words and words[0] in ("other", "another", "of", "the", "these", "those"):
        words.pop(0)
    run = []
    for word in words[:3]:
        word = word.strip("?,.!;:'\"")
        if not word or word in vocab.STOP_WORDS or word in vocab.FILLER_WORDS:
            break
        if keep_type_words or word not in _TYPE_WORDS:
            run.append(word)
    return run


def focus_terms(index: Index, question: Question) -> frozenset[str]:
    """Every index term of the phrase asked about ("how many *pirated books*")."""
    match = _FOCUS.match(question.reading)
    if not match or match.end() == 0:
        return frozenset()
    return frozenset(index.analyzer.term(w) for w in _focus_run(question.reading[match.end() :]))


def _merge_names(index: Index, groups: list[QueryGroup]) -> list[QueryGroup]:
    """Adjacent words of one name are one concept: "de la torre", whose words only occur
    together, and "kirk wallace johnson", whose first names occur only where "Johnson"
    does (so a sentence naming "Johnson" alone holds the name)."""
    merged: list[QueryGroup] = []
    for group in groups:
        previous = merged[-1] if merged else None
        if previous is not None and not group.optional and not previous.optional and _one_name(index, previous, group):
            merged[-1] = QueryGroup(f"{previous.word} {group.word}", {**previous.terms, **group.terms})
            continue
        merged.append(group)
    return merged


def _one_name(index: Index, a: QueryGroup, b: QueryGroup) -> bool:
    # Names have no synonyms: only groups of a word each, or a name merged already.
    if any(w != 1.0 for w in (*a.terms.values(), *b.terms.values())) or len(b.terms) != 1:
        return False
    (term,) = b.terms
    last = list(a.terms)[-1]
    if term not in index.postings or last not in index.postings:
        return False
    pa, pb = index.postings[last].passages, index.postings[term].passages
    small, large = (pa, pb) if len(pa) <= len(pb) else (pb, pa)
    if not np.isin(small, large, assume_unique=True).all():
        return False
    # ... and where both occur, they stand side by side, capitalised: a name ("Kirk Wallace
    # Johnson"), not two words of a topic ("final approval", where "final" may only ever
    # come before "approval" and still says something of its own).
    together = re.compile(rf"\b{re.escape(a.word.split()[-1])}\W+{re.escape(b.word)}\b", re.I)
    held = [index.passages[i] for i in small[:20]]
    named = 0
    for passage in held:
        match = together.search(passage.text)
        named += bool(match and all(w[0].isupper() for w in _NAME_WORD.findall(match.group())))
    return named * 2 >= len(held)


# A word in at least this share of passages is one of the corpus's own topics (the case's
# parties, its subject): every sentence is about it, whether it writes it or not.
TOPIC_SHARE = 0.1


def is_topic(index: Index, group: QueryGroup) -> bool:
    """Whether a group's word is one of the corpus's own topics (see TOPIC_SHARE)."""
    held = max((index.document_frequency.get(t, 0) for t in group.terms), default=0)
    return held >= TOPIC_SHARE * max(1, len(index.passages))


def _key_names(index: Index, reading: str, focus: str | None, groups: list[QueryGroup]) -> tuple[str, ...]:
    """The names an answer must say: rare names that aren't the case's parties; the
    subject of "which tier does De La Torre have", party or not (a sentence listing the
    tiers without him doesn't say which is his); and the object of "who started Parcelo"
    (a sentence about someone starting something else is no answer), topic or not."""
    subject = _WHICH_SUBJECT.match(reading) if focus is not None else None
    said = set(index.analyzer.terms(subject.group(1))) if subject else set()
    who = _WHO_DID.match(reading)
    done_to = set(index.analyzer.terms(who.group(1))) if who else set()
    return tuple(
        g.word
        for g in groups
        if not g.optional
        and (
            _is_key_name(index, g)
            or (said & set(g.terms) and not is_topic(index, g) and written_as_name(index, g))
            or (done_to & set(g.terms) and written_as_name(index, g))
        )
    )


# "who started Parcelo", "who bought Ardent": the names after the verb.
_WHO_DID = re.compile(r"^who\s+(?!is\b|are\b|was\b|were\b|said\b|says\b)\w+\s+(.+)$")


_WHICH_SUBJECT = re.compile(r"^(?:which|what)\b.*?\b(?:does|did|do)\s+(.+)$")


def _is_key_name(index: Index, group: QueryGroup) -> bool:
    """A name the sources write, neither one of their topics nor a party to the case
    (named where they report its steps): "OpenAI" in reporting on Anthropic's case, not
    the plaintiff, whose lawsuit "has been withdrawn" answers "did he back out"."""
    return written_as_name(index, group) and not is_topic(index, group) and index.party_terms.isdisjoint(group.terms)


def written_as_name(index: Index, group: QueryGroup) -> bool:
    """Whether every word of a group the sources use is one they write as a name."""
    known = [t for t in group.terms if index.knows(t)]
    return bool(known) and all(is_name(index, t) for t in known)


def defendant(index: Index) -> str:
    """The term of the name the sources write in the most passages: the party a lawsuit's
    coverage is about ("LinkedIn", "Anthropic"); "" for a corpus without names."""
    cached = index.cache.defendant
    if cached is None:
        cached = index.cache.defendant = next((t for t in _by_passages(index) if is_name(index, t)), "")
    return cached


def _by_passages(index: Index) -> Iterator[str]:
    """The corpus's terms, those in most passages first, then by name. Counts are ordered
    by numpy and only terms of equal count by name: sorting the whole vocabulary by (count,
    name) tuples held the interpreter ~0.1 s at 10,000 passages, a stall of every request."""
    terms = list(index.document_frequency)
    counts = np.fromiter(index.document_frequency.values(), dtype=np.int64, count=len(terms))
    order = np.argsort(-counts, kind="stable")
    ranked = counts[order]
    # Where each run of equal counts starts and ends.
    bounds = np.flatnonzero(np.diff(ranked)) + 1
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
        yield from sorted(terms[i] for i in order[start:end])


def is_name(index: Index, term: str) -> bool:
    """Whether the sources write a term as a name: capitalised inside sentences ("OpenAI",
    "Reddit") at least as often as in lowercase. A capital that opens a sentence says
    nothing either way."""
    known = index.cache.names.get(term)
    if known is None:
        posting = index.postings.get(term)
        held = [index.passages[i] for i in posting.passages[:20]] if posting is not None else []
        analyzer = index.analyzer
        capital = lower = 0
        for passage in held:
            for m in _A_WORD.finditer(passage.text):
                word = m.group()
                if analyzer.term(fold(word)) != term:
                    continue
                if word[0].islower():
                    lower += 1
                elif not _OPENS_SENTENCE.search(passage.text, 0, m.start()):
                    capital += 1
        known = index.cache.names[term] = capital > 0 and capital >= lower
    return known


_A_WORD = re.compile(r"[^\W\d_][\w’'-]*")
# What stands before a word that opens a sentence: the start, or an end mark and opening
# quotes or brackets.
_OPENS_SENTENCE = re.compile(r"(?:^|[.!?:]\s+)[\"“‘'(\[]*$")


def _known_reading(index: Index, word: str) -> bool:
    """Whether reading a typo as this English word helps: the sources know it (or a synonym),
    it is a word without topic, or it is common English, which then weighs as such."""
    if word in vocab.STOP_WORDS or word in vocab.FILLER_WORDS or zipf(word) >= COMMON_ZIPF:
        return True
    return any(index.knows(t) for g in index.analyzer.query(word) for t in g.terms)


def _correct(index: Index, reading: str) -> tuple[str, list[tuple[str, str]]]:
    corrections: list[tuple[str, str]] = []
    speller = index.speller

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word in vocab.STOP_WORDS or word in vocab.FILLER_WORDS or index.knows(index.analyzer.term(word)):
            return word
        better = speller.correct(word, useful=lambda w: _known_reading(index, w))
        if better is None:
            return word
        corrections.append((word, better))
        return better

    return _WORD.sub(fix, reading), corrections


_SOURCE_WORDS = frozenset(
    "source sources outlet outlets article articles publication publications site sites "
    "website websites story stories report reports link links url urls news list".split()
)


# A question that asks what one source says: "what did the register say", "according to
# techspot", "in the techspot article".
_ASKS_A_SOURCE = re.compile(
    r"\b(?:say|says|said|call|calls|called|write|writes|wrote|report|reports|reported|claim|claims)\b"
    r"|\baccording\s+to\b|\b(?:article|story|piece|report)\b"
)


def named_sources(index: Index, reading: str) -> tuple[str, ...]:
    """The ids of the sources a question names by outlet or title ("the register")."""
    if index.cache.source_names is None:
        names = _source_names(index)
        index.cache.source_names = (names, max((len(name.split()) for name in names), default=0))
    names, longest = index.cache.source_names
    words = _NAME_WORD.findall(reading)
    found: dict[str, None] = {}
    for start in range(len(words)):
        for size in range(1, min(longest, len(words) - start) + 1):
            spelling = " ".join(words[start : start + size])
            if spelling in names and not _common_word(spelling):
                for source_id in names[spelling]:
                    found.setdefault(source_id)
    return tuple(found)


_NAME_WORD = re.compile(r"[^\W_]+")


def _source_names(index: Index) -> dict[str, tuple[str, ...]]:
    """Each source's outlet, title and author as folded words (an author by surname too),
    and the names a question may call an outlet by: its first or last words ("dow jones" of "Dow Jones Newswires"), its
    initials ("ap" of "The Associated Press"), and a web address's first label
    ("aireadshub" of "aireadshub.com", "mactech" of "… (via mactech.com)").

    Names that are ordinary words ("news") are kept here and set aside where a question
    says them (`_common_word`), so English word frequencies are loaded only for a question
    that says one: most questions name no source, and a one-shot `casebot ask` should not
    pay for the word list."""
    names: dict[str, list[str]] = {}
    for article in index.corpus.articles:
        source = article.source
        for name in (source.outlet, source.title, source.author):
            if not name:
                continue
            words = _NAME_WORD.findall(fold(name))
            spellings = {" ".join(words)}
            spellings |= {host.split(".")[0] for host in _HOST.findall(fold(name))}
            if name == source.author and len(words) > 1:
                spellings.add(words[-1])  # "what did glickman write": the surname
            if name == source.outlet:
                own = _NAME_WORD.findall(fold(name.split("(")[0]))
                spellings |= {" ".join(own[i:j]) for i in range(len(own)) for j in range(i + 2, len(own) + 1)}
                capitals = [w for w in re.findall(r"[A-Z][\w&-]*", name.split("(")[0]) if w.casefold() not in vocab.STOP_WORDS]
                if len(capitals) >= 2:
                    spellings.add("".join(w[0] for w in capitals).casefold())
            for spelling in spellings:
                if len(spelling) >= 2:
                    names.setdefault(spelling, []).append(source.id)
    return {name: tuple(dict.fromkeys(ids)) for name, ids in names.items()}


def _names_a_source(index: Index, word: str) -> bool:
    """Whether a word is one of the names the sources go by ("mactech"): the front matter
    mentions it, if no article does."""
    named_sources(index, "")  # fills the cache
    names, _ = index.cache.source_names
    return any(word in name.split() and not _common_word(name) for name in names)


def _common_word(spelling: str) -> bool:
    """A name of one word that questions use as an ordinary word ("at", "news")."""
    return " " not in spelling and (spelling in vocab.STOP_WORDS or spelling in vocab.FILLER_WORDS or zipf(spelling) >= 5.0)


_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _about_sources(reading: str, groups: list[QueryGroup]) -> str | None:
    """Whether the question asks about the sources themselves rather than the case."""
    if re.search(r"\b(?:link|links|url|urls)\b", reading):
        return "link"
    if re.search(r"^who\s+(?:wrote|authored|reported|is\s+the\s+author)\b|\b(?:byline|journalist|reporter)\b", reading):
        return "author"
    words = {g.word for g in groups if not g.optional}
    if words and words <= _SOURCE_WORDS | {"use", "using", "quote", "quoting", "read", "cite"}:
        return "list"
    return None


def unknown_weight(index: Index, word: str) -> float:
    """How much an unknown ordinary word weighs: rarer English words tell more.

    On the index's idf scale: a rare English word ("toggle") weighs as much as the
    corpus's rarest term, a very common one ("think", "guy") a fifth of that.
    """
    if word in vocab.PROCEDURE_WORDS or word in _PHRASE_WORDS:
        # A lawsuit's procedure word, or what an idiom was read as ("opted out" →
        # "disable"): casebot knows these tell what is asked.
        share = 1.0
    elif word.endswith("ly") and len(word) > 5:
        share = 0.1  # an adverb ("originally", "supposedly") qualifies; it isn't the topic
    else:
        # Ordinary English the sources don't use weighs half as much again: it may be
        # a casual way of putting what they do say, so it must not decide coverage alone.
        share = ORDINARY_SHARE * min(1.0, max(0.2, (7.0 - zipf(word)) / 3.0))
    return share * index.unseen_weight


ORDINARY_SHARE = 0.5
# A typo is read as an English word the sources don't use only if the word is this common
# ("plaintiff" 3.6, "excluded" 3.9); a rarer one ("refine" 3.3 for "refile") is no safer a
# reading than the typo itself.
COMMON_ZIPF = 3.5


_PHRASE_WORDS = frozenset(w for _, replacement in vocab.PHRASES for w in re.findall(r"[a-z]+", replacement))


# A follow-up of a few words with nothing of its own to ask about: "and when was that?",
# "who said that?", "source?".
FOLLOW_UP_WORDS = 6


def is_follow_up(index: Index, text: str) -> bool:
    """Whether a message only makes sense with the question before it: short, and with no
    content word once chat spellings, filler and function words are read away."""
    if len(text.split()) > FOLLOW_UP_WORDS:
        return False
    q = read_question(index, text)
    return not q.content or (q.about_sources == "list" and len(q.content) <= 1)


def with_context(follow_up: str, previous: str) -> str:
    """The follow-up asked about what the previous question asked: its own words first,
    so its kind of answer ("when …") leads, then the earlier question's content."""
    return f"{follow_up.strip().rstrip('?')} {previous.strip()}"
