"""Where the case stands: the latest procedural development, then the basics, all quoted."""

from __future__ import annotations

from retrieval import claims
from retrieval.compose import make_quote, rank_sentences
from retrieval.developments import latest
from retrieval.index import Index
from retrieval.model import Answer, Conflict, Quote

# The basics of any lawsuit, each found by the words reporting on it uses. These are
# search terms, not answers: what is quoted is whatever the sources say.
BASICS: tuple[tuple[str, str, str | None], ...] = (
    ("Filed", "lawsuit filed federal court district", "where"),
    ("Plaintiff", "filed on behalf of plaintiff", "who"),
    ("Claims", "lawsuit alleges violating act breach contract law", None),
    ("Sought", "seeks damages per person relief", "how much"),
    ("Response", "spokesperson denied refuted statement merit", None),
)


def status(index: Index) -> Answer:
    """Where the case stands, from the most recent dated reporting, then the basics."""
    quotes: list[Quote] = []
    conflicts: list[Conflict] = []
    chosen: list[claims.Sentence] = []

    def add(sentence: claims.Sentence, label: str, groups) -> None:
        others = claims.candidates(index, sentence)
        also = tuple(claims.corroborating(index, sentence, others))
        quotes.append(make_quote(index, sentence, groups, also_in=also, label=label))
        chosen.append(sentence)
        claims.merge_conflicts(conflicts, claims.conflicts(index, sentence, others))

    newest = latest(index.developments)
    if newest is not None:
        sentence = claims.sentence_at(index, newest.passage, newest.sentence)
        add(sentence, "Latest", index.analyzer.query(sentence.text))
    for label, words, question_form in BASICS:
        groups = index.analyzer.query(words)
        question = f"{question_form} {words}" if question_form else words
        for item in rank_sentences(index, question, groups):
            if any(
                item.sentence == other or claims.similarity(index, item.sentence, other) >= claims.SAME_CLAIM
                for other in chosen
            ):
                continue
            add(item.sentence, label, groups)
            break

    if newest is None:
        text = "The sources report no procedural step of the case yet."
    elif newest.date is None:
        text = "Where the case stands, from the sources (none of them is dated):"
    else:
        text = f"Where the case stands, from the most recent dated reporting ({newest.date.isoformat()}):"
    return Answer(
        kind="status",
        text=text,
        quotes=tuple(quotes),
        conflicts=tuple(conflicts),
        loaded_at=index.corpus.loaded_at,
    )
