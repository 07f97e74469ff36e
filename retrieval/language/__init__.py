"""English as casebot reads it, for any case: words and their forms (analyzer, inflection,
spelling), general English and legal usage (vocabulary), dates, places, sentences, and
meaning beyond the words (embeddings). Nothing here knows one case."""
