"""Desks with other query functions: the seam is `Desk.open(settings, queries=...)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.queries import DEFAULT, Queries


def queries_with(**functions: Callable[..., Any]) -> Queries:
    """The real `Queries`, with the functions named (ask=..., status=...) in their place."""
    return replace(DEFAULT, **functions)


class Swappable:
    """A query function that runs `function`, which a test may change halfway through.

    For a desk that answers normally first and fails later: give it
    `queries_with(ask=swappable)`, then set `swappable.function = explode`.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)
