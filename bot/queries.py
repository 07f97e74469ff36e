"""The read-only commands over an index: what `casebot ask` and the desk both run.

Kept apart from `bot.desk` so a one-shot `casebot ask` imports only retrieval and this,
not the serving machinery (asyncio, the store, metrics, limits).
"""

from __future__ import annotations

from pathlib import Path

import retrieval.compose
import retrieval.corpus
import retrieval.index
import retrieval.status
import retrieval.timeline
from bot.commands import Command, help_answer
from retrieval.index import Index
from retrieval.model import Answer


def load_index(directory: str | Path) -> Index:
    """Load the corpus in `directory` and index it (blocking; raises CorpusError)."""
    corpus = retrieval.corpus.load_corpus(directory)
    return retrieval.index.build_index(corpus)


def query(index: Index, command: Command, *, max_quotes: int) -> Answer:
    """Answer a read-only command (status, ask, timeline, sources, help) from `index`."""
    # Called through the modules, so a test can swap one function for the whole process.
    match command.name:
        case "ask":
            return retrieval.compose.ask(index, command.argument, max_quotes=max_quotes)
        case "status":
            return retrieval.status.status(index)
        case "timeline":
            return retrieval.timeline.timeline(index)
        case "sources":
            return retrieval.compose.sources(index)
        case "help":
            return help_answer(command.unknown)
    raise ValueError(f"“{command.name}” is not a read-only command")
