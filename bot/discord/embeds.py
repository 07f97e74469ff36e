"""Discord rendering of an answer: a short lead line plus embeds, always inside Discord's limits.

The lead sentence (casebot's own words) is the message content, so it shows in
notifications; quotes, timeline events, the warning about disagreeing sources, the source
listing and notes go into embeds. Whatever the corpus holds, the result fits Discord's
limits: what does not fit is cut and says so ("… (3 more quotes not shown)"), never
silently dropped and never rejected by Discord with a 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import discord

from bot.feedback import REASONS, VOTE_LABELS, VOTES, button_value
from bot.render.format import dated, format_date, format_time, utf16_len
from bot.render.pages import page_value, paged
from retrieval.model import Answer, Conflict, Event, Quote, Source, SourceSummary

# Discord's limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
# (casebot draws no embed fields, so their limits are not here).
MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000  # across all the embeds of one message
MAX_EMBEDS = 10

# Longest quotation shown in full; a longer one is cut with "…" so that one giant
# paragraph in the corpus can't crowd every other quote out of the answer.
MAX_QUOTE_CHARS = 1000
# Caps for the sections that come first in the budget, so they never starve the quotes.
_MAX_CONFLICT_CHARS = 1500
_MAX_NOTES_CHARS = 3000

ELLIPSIS = "…"

_BLURPLE = discord.Colour.blurple()
_WARNING = discord.Colour.gold()
_ERROR = discord.Colour.red()
_OK = discord.Colour.green()
_CLOSEST = discord.Colour.light_grey()

_KIND_TITLES = {
    "status": "Case status",
    "timeline": "Timeline",
    "sources": "Sources",
    "help": "Commands",
    "reload": "Changes",
    "error": "Problems",
}


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One Discord message: content (or None) and its embeds, ready to send.

    `allowed_mentions` is always "none": neither a corpus sentence nor an echoed question
    may ping @everyone, a role or a user.
    """

    content: str | None
    embeds: tuple[discord.Embed, ...]
    # The ‹ Previous and Next › buttons of a page of a long source listing.
    view: discord.ui.View | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `send`, `followup.send`, `reply` and `edit_original_response`."""
        kwargs: dict[str, Any] = {
            "content": self.content,
            "embeds": list(self.embeds),
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


# The custom_id of a button that shows page N of a source listing is this, then N.
SOURCES_PAGE_ID = "casebot-sources:"


def render_discord(answer: Answer, *, page: int = 1) -> DiscordMessage:
    """Render an answer as one Discord message that fits every limit.

    A source listing longer than one message holds is shown a page at a time: page `page`
    (the first if out of range), with ‹ Previous and Next › buttons (`SOURCES_PAGE_ID`).
    """
    if answer.kind == "sources" and answer.sources:
        # Each source's block is drawn once, however many pages are tried.
        blocks = {summary: _source_block(summary) for summary in answer.sources}
        pages = paged(answer, lambda part: not _render(part, blocks)[1])
        if len(pages) > 1:
            number = min(max(page, 1), len(pages))
            message, _ = _render(pages[number - 1], blocks)
            return replace(message, view=_pager(number, len(pages), answer.case))
    return _render(answer)[0]


def _pager(number: int, pages: int, case: str | None = None) -> discord.ui.View:
    buttons = []
    # A custom_id holds 100 characters: a case's name is cut to fit (bot/render/pages.py).
    room = 100 - len(SOURCES_PAGE_ID)
    if number > 1:
        custom_id = f"{SOURCES_PAGE_ID}{page_value(number - 1, case, limit=room)}"
        buttons.append(("‹ Previous", custom_id, discord.ButtonStyle.secondary))
    if number < pages:
        custom_id = f"{SOURCES_PAGE_ID}{page_value(number + 1, case, limit=room)}"
        buttons.append(("Next ›", custom_id, discord.ButtonStyle.secondary))
    return _buttons(buttons)


def _render(
    answer: Answer, drawn: dict[SourceSummary, str] | None = None
) -> tuple[DiscordMessage, bool]:
    """The message, and whether anything had to be cut to fit (`drawn`: the sources'
    blocks, drawn already)."""
    text = answer.text
    if answer.case:
        # A deployment of several cases: which one this is about, as a line of small text.
        text = f"-# Case: {escape(clip(answer.case, MAX_TITLE))}\n{text}"
    content = clip(text, MAX_CONTENT) or None
    footer = (
        clip(f"Corpus loaded {format_time(answer.loaded_at)}", MAX_FOOTER)
        if answer.loaded_at is not None
        else None
    )
    sections = _sections(answer, drawn or {})
    if not sections:
        return DiscordMessage(content=content or ELLIPSIS, embeds=()), False

    packer = _Packer(reserve=utf16_len(footer or ""))
    # Budget is handed out in priority order (the warning about disagreeing sources must
    # never be the part that falls off), but the embeds are shown in reading order.
    for section in sorted(sections, key=lambda s: s.priority):
        packer.pack(section)
    embeds = [embed for section in sections for embed in packer.embeds.get(section.key, [])]
    if footer and embeds:
        embeds[-1].set_footer(text=footer)
    cut = packer.cut or any(section.key not in packer.embeds for section in sections)
    return DiscordMessage(content=content, embeds=tuple(embeds)), cut


def vote_buttons(answer_id: str) -> discord.ui.View:
    """The 👍 and 👎 under an answer (bot/feedback.py): `view=` for `send`."""
    return _buttons(
        (VOTE_LABELS[vote], button_value(answer_id, vote), discord.ButtonStyle.secondary)
        for vote in VOTES
    )


def reason_buttons(answer_id: str) -> discord.ui.View:
    """The "Wrong source?" choices after a 👎: each records the 👎 with its reason."""
    return _buttons(
        (label, button_value(answer_id, "down", reason), discord.ButtonStyle.secondary)
        for reason, label in REASONS.items()
    )


def _buttons(buttons: Iterable[tuple[str, str, discord.ButtonStyle]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for label, custom_id, style in buttons:
        view.add_item(discord.ui.Button(label=label, custom_id=custom_id, style=style))
    # Stopped before it is sent: discord.py would otherwise keep every view it sends in
    # memory for good. A click is answered from its custom_id alone (the adapter's
    # on_interaction), which is also why the buttons work after a restart.
    view.stop()
    return view


def embeds_length(embeds: Sequence[discord.Embed]) -> int:
    """Characters Discord counts towards the 6,000 limit, over all `embeds`."""
    total = 0
    for embed in embeds:
        data = embed.to_dict()
        total += utf16_len(data.get("title", "")) + utf16_len(data.get("description", ""))
        total += utf16_len(data.get("footer", {}).get("text", ""))
        total += utf16_len(data.get("author", {}).get("name", ""))
        for field in data.get("fields", []):
            total += utf16_len(field["name"]) + utf16_len(field["value"])
    return total


def clip(text: str, limit: int) -> str:
    """`text`, cut to at most `limit` UTF-16 units with a trailing "…" when cut."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = text[: limit - 1]
    while utf16_len(cut) > limit - 1:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


# --- sections --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    """A run of blocks shown under one title, in one or more embeds.

    Args:
        key: the section's name, which orders embeds for display.
        title: the first embed's title.
        blocks: the items, each kept whole or left out (and counted as not shown).
        noun: (singular, plural) of what the blocks are, for "… (N more quotes not shown)".
        colour: the embeds' colour.
        priority: lower gets its share of the 6,000 characters first.
        cap: most characters the section may use.
    """

    key: str
    title: str | None
    blocks: tuple[str, ...]
    noun: tuple[str, str]
    colour: discord.Colour
    priority: int
    cap: int = MAX_EMBED_TOTAL


def _sections(answer: Answer, drawn: dict[SourceSummary, str]) -> list[_Section]:
    """The answer's sections in display order (empty ones left out)."""
    sections: list[_Section] = []
    colour = {"error": _ERROR, "refused": _ERROR, "reload": _OK}.get(answer.kind, _BLURPLE)
    if answer.closest:
        colour = _CLOSEST  # not an answer: the closest passages, in grey
    if answer.quotes:
        title = answer.question if answer.question else _KIND_TITLES.get(answer.kind)
        if answer.closest:
            title = f"Closest passages: {title}" if title else "Closest passages"
        sections.append(
            _Section(
                key="quotes",
                title=title,
                blocks=tuple(_quote_block(quote) for quote in answer.quotes),
                noun=("quote", "quotes"),
                colour=colour,
                priority=2,
            )
        )
    if answer.events:
        sections.append(
            _Section(
                key="events",
                title="Timeline",
                blocks=tuple(_event_block(event) for event in answer.events),
                noun=("event", "events"),
                colour=colour,
                priority=3,
            )
        )
    # After the events, as in the text rendering: a timeline reads in order before the
    # caveats.
    if answer.conflicts:
        sections.append(
            _Section(
                key="conflicts",
                title="⚠️ Sources disagree",
                blocks=tuple(_conflict_block(conflict) for conflict in answer.conflicts),
                noun=("disagreement", "disagreements"),
                colour=_WARNING,
                priority=0,
                cap=_MAX_CONFLICT_CHARS,
            )
        )
    if answer.kind == "sources" and answer.sources:
        sections.append(
            _Section(
                key="sources",
                title="Sources",
                blocks=tuple(drawn.get(s) or _source_block(s) for s in answer.sources),
                noun=("source", "sources"),
                colour=colour,
                priority=4,
            )
        )
    if answer.notes:
        noun = ("problem", "problems") if answer.kind == "error" else ("line", "lines")
        sections.append(
            _Section(
                key="notes",
                title=_KIND_TITLES.get(answer.kind),
                blocks=tuple(escape(note) for note in answer.notes),
                noun=noun,
                colour=colour,
                priority=1,
                # When the lines are all the answer has (a list of cases), the whole
                # message is theirs.
                cap=_MAX_NOTES_CHARS if sections else MAX_EMBED_TOTAL,
            )
        )
    return sections


def escape(text: str) -> str:
    """Corpus or user text, with Discord markdown escaped so it shows as written."""
    return discord.utils.escape_markdown(text)


def _quote_block(quote: Quote, heading: str | None = None) -> str:
    lines = []
    label = heading or quote.label
    if label:
        lines.append(f"**{escape(label)}**")
    text = clip(" ".join(quote.text.split()), MAX_QUOTE_CHARS)
    lines.append(f"> {escape(text)}")
    lines.append(f"— {_cite(quote.source, quote.date)}")
    if quote.also_in:
        lines.append("also reported by: " + ", ".join(_link(source) for source in quote.also_in))
    return "\n".join(lines)


def _event_block(event: Event) -> str:
    heading = f"{event.when} (reported)" if event.reported else event.when
    return _quote_block(event.quote, heading=heading)


def _conflict_block(conflict: Conflict) -> str:
    lines = [f"**{escape(conflict.about)}**"]
    for value in conflict.values:
        names = ", ".join(dated(_link(source), source) for source in value.sources)
        lines.append(f"• {escape(value.value)} — {names}")
    return "\n".join(lines)


def _source_block(summary: SourceSummary) -> str:
    source = summary.source
    title = f"“{escape(source.title)}”" if source.title else "untitled"
    passages = f"{summary.passages} passage" + ("" if summary.passages == 1 else "s")
    return (
        f"{_link(source)} — {title}\n"
        f"{format_date(source.published)} · {passages}"
    )


def _cite(source: Source, day: date | None) -> str:
    """`[Outlet](url), 2025-01-22`, or `Outlet, undated` when there is no date."""
    return f"{_link(source)}, {format_date(day)}"


def _link(source: Source) -> str:
    # Brackets in a name would end the link text early; they add nothing to a name.
    name = escape(source.name.replace("[", "(").replace("]", ")"))
    url = _safe_url(source.url)
    return f"[{name}]({url})" if url else name


def _safe_url(url: str | None) -> str | None:
    """The URL if it can go in a markdown link as is, made safe; None otherwise."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    # A ")" or a space would end the link target early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# --- packing ---------------------------------------------------------------------------


class _Packer:
    """Fills embeds with sections' blocks, within every per-embed and per-message limit."""

    def __init__(self, *, reserve: int) -> None:
        self.embeds: dict[str, list[discord.Embed]] = {}
        self._used = reserve  # characters spoken for (the footer, added at the end)
        self._count = 0
        # Whether any block was left out ("… not shown").
        self.cut = False

    def pack(self, section: _Section) -> None:
        budget = min(section.cap, MAX_EMBED_TOTAL - self._used)
        title = clip(section.title, MAX_TITLE) if section.title else None
        # Room for the worst "… (N more … not shown)" line, kept free until the last block.
        trailer_room = utf16_len(_trailer(len(section.blocks), section.noun, shown=1)) + 2
        if self._count >= MAX_EMBEDS or budget < utf16_len(title or "") + trailer_room:
            return

        descriptions: list[list[str]] = [[]]
        spent = utf16_len(title or "")
        shown = 0
        for index, block in enumerate(section.blocks):
            last = index == len(section.blocks) - 1
            room = 0 if last else trailer_room
            current = descriptions[-1]
            size = utf16_len(block) + (2 if current else 0)
            fits_embed = _desc_len(current) + size + room <= MAX_DESCRIPTION
            if spent + size + room <= budget and fits_embed:
                current.append(block)
            elif (
                current
                and self._count + len(descriptions) < MAX_EMBEDS
                and spent + utf16_len(block) + room <= budget
                and utf16_len(block) + room <= MAX_DESCRIPTION
            ):
                # Continue in a further embed: one embed's description is 4,096 characters
                # but a message may hold 6,000.
                size = utf16_len(block)
                descriptions.append([block])
            elif not current and shown == 0:
                # Not even the first block fits whole: show as much of it as fits rather
                # than nothing.
                limit = min(budget - spent - room, MAX_DESCRIPTION - room)
                if limit < 2 * trailer_room:
                    break
                block = clip(block, limit)
                size = utf16_len(block)
                current.append(block)
            else:
                break
            spent += size
            shown += 1

        hidden = len(section.blocks) - shown
        self.cut = self.cut or hidden > 0
        if hidden:
            descriptions[-1].append(_trailer(hidden, section.noun, shown=shown))
        embeds = []
        for position, parts in enumerate(descriptions):
            embed = discord.Embed(
                title=title if position == 0 else None,
                description="\n\n".join(parts),
                colour=section.colour,
            )
            embeds.append(embed)
        self.embeds[section.key] = embeds
        self._count += len(embeds)
        self._used += embeds_length(embeds)


def _desc_len(parts: list[str]) -> int:
    return sum(utf16_len(part) for part in parts) + 2 * max(len(parts) - 1, 0)


def _trailer(hidden: int, noun: tuple[str, str], *, shown: int) -> str:
    word = noun[0] if hidden == 1 else noun[1]
    more = "more " if shown else ""
    return f"{ELLIPSIS} ({hidden} {more}{word} not shown)"
