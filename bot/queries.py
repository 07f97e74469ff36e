"""The read-only commands over an index: what `casebot ask` and the desk both run.

Kept apart from `bot.desk` so a one-shot `casebot ask` imports only retrieval and this,
not the serving machinery (asyncio, the store, metrics, limits).

`Queries` names every retrieval function the desk calls, so a desk can be given other
ones (`Desk.open(settings, queries=...)`): a test hands it one that fails or counts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.commands import Command, help_answer
from retrieval.answering import ask, sources, warm
from retrieval.corpus import load_corpus
from retrieval.index import Index, build_index
from retrieval.model import Answer, Corpus


class Ask(Protocol):
    def __call__(self, index: Index, question: str, *, max_quotes: int) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Queries:
    """The retrieval functions behind the desk's read-only commands, its start and reloads.

    Attributes:
        ask, status, timeline, sources: answer those commands from an index.
        warm: loads what answering reads (word lists, embeddings, the fitted model) before the first question.
        build: indexes a loaded corpus, at start and in a reload built in a thread (one
            built in a child process runs the real `build_index` there: `bot.builder`).
    """

    ask: Ask
    status: Callable[[Index], Answer]
    timeline: Callable[[Index], Answer]
    sources: Callable[[Index], Answer]
    warm: Callable[[], object]
    build: Callable[[Corpus], Index]

    def load(self, directory: str | os.PathLike[str]) -> Index:
        """Load the corpus in `directory` and index it (blocking; raises CorpusError)."""
        return self.build(load_corpus(directory))

    def answer(self, index: Index, command: Command, *, max_quotes: int) -> Answer:
        """Answer a read-only command (status, ask, timeline, sources, help) from `index`."""
        match command.name:
            case "ask":
                return self.ask(index, command.argument, max_quotes=max_quotes)
            case "status":
                return self.status(index)
            case "timeline":
                return self.timeline(index)
            case "sources":
                return self.sources(index)
            case "help":
                return help_answer(command.unknown)
        raise ValueError(f"“{command.name}” is not a read-only command")


# The case's status and timeline are imported on their first call: a one-shot
# `casebot ask` never needs them (~11 M instructions of its start-up; README: Start-up).
def status(index: Index) -> Answer:
    """Where the case stands (retrieval.case.status.status)."""
    from retrieval.case import status as case_status

    return case_status.status(index)


def timeline(index: Index) -> Answer:
    """The dated events of the case (retrieval.case.timeline.timeline)."""
    from retrieval.case import timeline as case_timeline

    return case_timeline.timeline(index)


DEFAULT = Queries(
    ask=ask, status=status, timeline=timeline, sources=sources, warm=warm, build=build_index
)


def load_index(directory: str | os.PathLike[str]) -> Index:
    """Load the corpus in `directory` and index it (blocking; raises CorpusError)."""
    return DEFAULT.load(directory)


def query(index: Index, command: Command, *, max_quotes: int) -> Answer:
    """Answer a read-only command (status, ask, timeline, sources, help) from `index`."""
    return DEFAULT.answer(index, command, max_quotes=max_quotes)
