"""Answering a question from the sources, in named stages, with three honest tiers.

1. reading (retrieval/answering/question.py): what is asked, read as people type it: the weighted
   query words, the kind of answer wanted, the names it turns on;
2. candidates (candidates.py): sentences of the best BM25 passages, of the sources the
   question names, and the latest procedural step;
3. features (features.py): general measures of how a sentence meets the question (how
   much of its weight it holds, whether it holds an answer of the kind asked for, …);
4. scoring (scorer.py): a logistic model over those features, fitted on the labelled
   development questions (fitting.py; the values ship in model.json), gives each sentence
   the probability that it answers, and a second one the probability that the best
   sentence does;
5. tiers (tiers.py): *confident* (kind "answer") when that probability clears a fitted
   threshold; *closest* (kind "no_answer", `closest=True`) with the best two or three
   sentences otherwise; *not covered* (no quotes) only when a name the question turns on
   is nowhere in the sources or nothing of the question is near any sentence;
6. quoting (retrieval/answering/quoting.py): verbatim, with source and date, "also reported by",
   and where the quoted sources give different values, who says what.

The composer never writes a claim of its own: its own words are only the lead line, notes
on how it read the question, and what the sources' front matter says about the sources.
"""

from retrieval.answering.tiers import about_sources, ask, sources

__all__ = ["ask", "about_sources", "sources", "warm"]


def warm() -> None:
    """Load what answering reads on first use (word lists, lemmas, place names, the
    embeddings, the fitted model: ~0.5 s) now, rather than on the first question, where
    it would hold the interpreter while other requests wait."""
    from retrieval.answering.scorer import shipped
    from retrieval.language.embeddings import embedder
    from retrieval.language.spelling import warm as warm_spelling

    warm_spelling()
    embedder()
    shipped()
