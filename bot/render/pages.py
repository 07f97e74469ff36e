"""A source listing too long for one chat message, cut into pages the platform can show.

Slack and Discord each say what fits (their renderers' limits); the pages are then the
longest runs of sources that fit, from the first, so every source is on some page and no
page shows a "… not shown" cut. Each page's lead text says which page it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from retrieval.model import Answer

# The widest page line, for measuring before the pages are counted.
_WIDEST = (9999, 9999, 99999, 99999)


def paged(answer: Answer, fits: Callable[[Answer], bool]) -> list[Answer]:
    """`answer` as pages of its sources, each as long as `fits` allows (at least one
    source a page); `[answer]` itself when the whole listing fits."""
    if fits(answer) or len(answer.sources) < 2:
        return [answer]
    total = len(answer.sources)
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < total:
        stop = _longest(start, total, lambda end: fits(_page(answer, start, end, *_WIDEST[:2])))
        ranges.append((start, stop))
        start = stop
    return [_page(answer, a, b, n, len(ranges)) for n, (a, b) in enumerate(ranges, start=1)]


def page_number(value: object) -> int:
    """The page a button asks for (its value or custom_id's end): a whole number, else 1.
    Buttons can be forged, so anything else (or an absurdly long number) is the first."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 1


def page_value(number: int, case: str | None, *, limit: int = 2000) -> str:
    """A page button's value: the page, then, in a deployment of several cases, the name
    of the case whose listing it pages (cut to what the button's value may hold)."""
    if case is None:
        return str(number)
    return f"{number}:{case}"[:limit]


def read_page(value: object) -> tuple[int, str | None]:
    """(the page, the case) a page button's value asks for (`page_value`)."""
    number, _, case = str(value).partition(":")
    return page_number(number), case or None


def _longest(start: int, total: int, fits: Callable[[int], bool]) -> int:
    """The largest stop in (start, total] with `fits(stop)`, else start + 1: doubling the
    step while it fits, then halving the gap, so a long listing takes few renderings."""
    good, step = start + 1, 1
    bad = total + 1  # the first stop known not to fit
    while good + step < bad:
        if not fits(good + step):
            bad = good + step
            break
        good, step = good + step, step * 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good


def _page(answer: Answer, start: int, stop: int, number: int, pages: int) -> Answer:
    return replace(
        answer,
        sources=answer.sources[start:stop],
        text=f"{answer.text} Page {number} of {pages}: sources {start + 1}–{stop}.",
    )
