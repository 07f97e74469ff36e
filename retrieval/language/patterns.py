"""Regular expressions compiled on first use rather than on import.

The retrieval code keeps its word lists as regular expressions at module level, and
compiling one costs far more than using it: Python's `re` builds each pattern in pure
Python, a long case-insensitive alternation of words taking a millisecond or more. A
one-shot `casebot ask` imports all of them and uses about half (a question about a date
runs no test for a reason, a question needs no step of the case's timeline), so compiling
them all up front cost it some tens of milliseconds. `lazy()` returns a stand-in that
compiles the pattern the first time any of its methods or attributes is used, and then
behaves as the compiled pattern itself: it matches exactly what `re.compile` would.

Only a pattern's own methods and attributes reach the stand-in (`PATTERN.search(text)`,
`PATTERN.pattern`); it is not a `re.Pattern`, so it is not for passing to `re.search()`
or `re.sub()` as a pattern.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """A regular expression compiled the first time it is used (see the module's doc)."""

    __slots__ = ("_source", "_flags", "_compiled")

    def __init__(self, source: str, flags: int | re.RegexFlag = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        # Reached only for names the stand-in lacks: the compiled pattern's methods and
        # attributes (search, fullmatch, finditer, pattern, flags, …).
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source, self._flags)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source!r}, {self._flags!r})"


def lazy(source: str, flags: int | re.RegexFlag = 0) -> LazyPattern:
    """`re.compile(source, flags)`, compiled on first use."""
    return LazyPattern(source, flags)
