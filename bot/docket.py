"""The cases being served, each with its snapshot; loading them, and rebuilding only those
whose files changed.

A `Docket` is immutable, like the snapshots it holds: a reload makes a new one and the
desk swaps it in with one assignment, so a question that started before keeps the cases
it started with. A reload reads the layout again (bot/cases.py), hashes each case's
article files (`content_hash`), and rebuilds only the cases whose hash changed or that
are new, each as the builder does it (bot/builder.py: a thread for a small case, the
child process for a large one). Every other case keeps its snapshot. A case that fails to
rebuild keeps its previous snapshot serving; a case whose folder is gone disappears.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.builder import BuildFailed
from bot.cases import CaseInfo, CaseProblem, Layout, content_hash, read_layout
from bot.routing import Names
from retrieval.corpus import CorpusError, Problem
from retrieval.index import Index
from retrieval.model import Corpus

# What builds one case's snapshot from its folder (raises CorpusError or BuildFailed).
Build = Callable[[Path], Awaitable[Index]]


@dataclass(frozen=True, slots=True)
class LiveCase:
    """A case being served: what it is called, its snapshot, and the hash of the files it
    was built from."""

    info: CaseInfo
    index: Index
    digest: str

    @property
    def id(self) -> str:
        return self.info.id


@dataclass(frozen=True)
class Docket:
    """The cases served, by id, in id order.

    Args:
        cases: the cases, by id.
        several: whether the corpus directory holds one folder per case; answers name
            their case only then.
    """

    cases: dict[str, LiveCase]
    several: bool
    names: Names = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", Names([case.info for case in self.cases.values()]))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.cases)

    @property
    def only(self) -> LiveCase | None:
        """The case, when there is exactly one."""
        return next(iter(self.cases.values())) if len(self.cases) == 1 else None

    def label(self, case_id: str) -> str | None:
        """How answers name the case: its name when the deployment has several, else None."""
        return self.cases[case_id].info.name if self.several else None

    def holding(self, source_id: str) -> tuple[str, ...]:
        """The cases that have an article with this source id."""
        return tuple(c.id for c in self.cases.values() if source_id in c.index.sources)

    @property
    def corpora(self) -> tuple[Corpus, ...]:
        return tuple(case.index.corpus for case in self.cases.values())


class NoCaseServed(CorpusError):
    """A load or reload left no case to serve; `outcomes` says what happened to each."""

    def __init__(self, problems: list[Problem], outcomes: tuple[Outcome, ...]) -> None:
        super().__init__(problems)
        self.outcomes = outcomes


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a load or a reload did to one case.

    Args:
        case: the case's id.
        change: "added" (new, or served for the first time), "rebuilt" (its files
            changed), "unchanged", "removed" (its folder is gone) or "failed".
        before: the corpus it served before, if any.
        after: the corpus it serves now, if any.
        problems: why it failed, each naming the case's folder and file.
    """

    case: str
    change: str
    before: Corpus | None = None
    after: Corpus | None = None
    problems: tuple[str, ...] = ()


async def load(directory: Path, *, build: Build) -> tuple[Docket, tuple[Outcome, ...]]:
    """Load every case in `directory`, for the first time.

    Raises:
        NoCaseServed: no case could be loaded (with every case's problems).
    """
    return await rebuild(Docket({}, several=False), directory, build=build)


async def rebuild(
    docket: Docket, directory: Path, *, build: Build, only: str | None = None
) -> tuple[Docket, tuple[Outcome, ...]]:
    """The docket after reading `directory` again: changed and new cases rebuilt.

    Args:
        docket: the cases served now.
        directory: the corpus directory.
        build: builds one case's snapshot from its folder.
        only: the one case to look at (the others, and new or removed folders, are left
            as they are).

    Raises:
        NoCaseServed: nothing at all could be served (every case failed, or none is left).
    """
    layout = await asyncio.to_thread(read_layout, directory)
    infos = [c for c in layout.cases if only is None or c.id == only]
    digests = await asyncio.to_thread(lambda: [content_hash(c.directory) for c in infos])
    kept: dict[str, LiveCase] = {} if only is None else dict(docket.cases)
    outcomes: list[Outcome] = []
    for info, digest in zip(infos, digests, strict=True):
        old = docket.cases.get(info.id)
        if old is not None and old.digest == digest:
            kept[info.id] = replace(old, info=info)  # case.toml may have changed
            outcomes.append(Outcome(info.id, "unchanged", old.index.corpus, old.index.corpus))
            continue
        try:
            index = await build(info.directory)
        except CorpusError as error:
            problems = tuple(_named(info, problem, layout.several) for problem in error.problems)
        except BuildFailed as error:
            problems = (f"{info.id}: {error}" if layout.several else str(error),)
        else:
            kept[info.id] = LiveCase(info, index, digest)
            before = old.index.corpus if old is not None else None
            outcomes.append(Outcome(info.id, "rebuilt" if old else "added", before, index.corpus))
            continue
        if old is not None:
            kept[info.id] = old
        before = old.index.corpus if old is not None else None
        outcomes.append(Outcome(info.id, "failed", before, before, problems))
    for problem in layout.problems:
        # A case whose folder or case.toml is broken keeps the snapshot it had.
        if only is not None and problem.case.lower() != only:
            continue
        old = docket.cases.get(problem.case.lower())
        if old is not None:
            kept[old.id] = old
        outcomes.append(_failed(problem, old))
    if only is None:
        outcomes += [
            Outcome(case_id, "removed", old.index.corpus)
            for case_id, old in docket.cases.items()
            if case_id not in kept
        ]
    elif only in docket.cases and not outcomes:
        # The one case looked at has no folder any more: it goes, as in a full reload.
        outcomes.append(Outcome(only, "removed", kept.pop(only).index.corpus))
    if not kept:
        raise NoCaseServed(_all_problems(outcomes, layout), _merged(outcomes))
    ordered = {case_id: kept[case_id] for case_id in sorted(kept)}
    return Docket(ordered, several=layout.several), _merged(outcomes)


def _failed(problem: CaseProblem, old: LiveCase | None) -> Outcome:
    before = old.index.corpus if old is not None else None
    return Outcome(problem.case.lower(), "failed", before, before, (str(problem),))


def _merged(outcomes: Iterable[Outcome]) -> tuple[Outcome, ...]:
    """One outcome per case, in case order: a case with several failures lists them all."""
    merged: dict[str, Outcome] = {}
    for outcome in outcomes:
        first = merged.get(outcome.case)
        if first is not None and outcome.change == "failed":
            outcome = replace(outcome, problems=(*first.problems, *outcome.problems))
        merged[outcome.case] = outcome
    return tuple(merged[case] for case in sorted(merged))


def _named(info: CaseInfo, problem: Problem, several: bool) -> str:
    """A loader's problem, naming the file within the corpus directory: "linkedin/a.md"."""
    if not several:
        return str(problem)
    if Path(problem.file) == info.directory or os.path.isabs(problem.file):
        return f"{info.id}/: {problem.message}"
    return f"{info.id}/{problem.file}: {problem.message}"


def _all_problems(outcomes: Sequence[Outcome], layout: Layout) -> list[Problem]:
    """Every problem of a load that left nothing to serve, as the loader's problems."""
    problems = [
        Problem(*line.split(": ", 1)) if ": " in line else Problem(str(layout.directory), line)
        for outcome in outcomes
        for line in outcome.problems
    ]
    nothing = Problem(str(layout.directory), "holds no case: no articles, no case folders")
    return problems or [nothing]
