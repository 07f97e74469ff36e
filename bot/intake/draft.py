"""What an extracted source is before it becomes a corpus file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Extracted:
    """A source's metadata and text, as found; None for anything not found (never guessed).

    Args:
        blocks: the body in order: paragraphs verbatim, section headings as "## Heading".
        notes: what the preview should point out (a missing outlet, no date found).
    """

    title: str | None
    outlet: str | None
    author: str | None
    published: date | None
    updated: date | None
    url: str | None
    blocks: tuple[str, ...]
    kind: str = "article"
    notes: tuple[str, ...] = field(default=())

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The blocks that are text: not headings, not update notices (which only date)."""
        return paragraphs_of(self.blocks)


def paragraphs_of(blocks: tuple[str, ...]) -> tuple[str, ...]:
    """The blocks of a body that are text: not headings, not bare update notices."""
    from retrieval.updates import parse_notice

    return tuple(
        block for block in blocks
        if not block.startswith("#") and not _bare_notice(block, parse_notice)
    )  # fmt: skip


def _bare_notice(block: str, parse_notice) -> bool:  # type: ignore[no-untyped-def]
    notice = parse_notice(" ".join(block.split()))
    return notice is not None and not notice.rest
