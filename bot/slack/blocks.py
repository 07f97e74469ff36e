"""Block Kit rendering of an answer: what casebot's replies look like in Slack.

Built from the answer model, not from the plain text: each quote is a quotation with its
citation underneath, disagreements between sources get a visible warning, timelines and
source listings are packed into as few blocks as they need.

Whatever the corpus holds, a message stays inside Slack's limits (50 blocks, 3,000
characters per text, 10 elements per context block, and a total size well under the one
at which Slack answers `msg_blocks_too_long`). What does not fit is cut with an honest
"… (N more … not shown)" line, never by failing to post.

Every text that comes from outside casebot (corpus sentences, titles, outlet names, the
user's question) is escaped, so it can't ping @channel or a user, or make a link. The only
links are the ones built here from the sources' URLs.

Quotes are the exception to mrkdwn: each is a `rich_text_quote` (a timeline's lines are
rich text sections), whose text Slack shows
exactly as written (no *bold*, _italics_, ~strike~, `code` or :emoji: from a sentence that
happens to contain those characters, and no mentions or links: those would need elements
of their own). So a quote is verbatim on screen too, and needs no escaping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as percent_encode

from bot.feedback import REASONS, VOTE_LABELS, VOTES, Thanks, button_value
from bot.render.format import counted, dated, format_date, format_time, utf16_len
from bot.render.pages import page_value, paged
from bot.render.text import quoted, render_text
from retrieval.model import Answer, Conflict, Event, Quote, Source, SourceSummary

Block = dict[str, Any]

# Slack's documented Block Kit limits.
MAX_BLOCKS = 50
MAX_TEXT_CHARS = 3000  # a section's text, and any text object
MAX_CONTEXT_ELEMENTS = 10
# Slack rejects messages whose blocks are too big in total with `msg_blocks_too_long`,
# somewhere above 13,000 characters (undocumented); stay well below, counting JSON.
MAX_TOTAL_CHARS = 12_000
# The plain `text` sent alongside the blocks: shown in notifications and by clients that
# can't render blocks. Slack recommends keeping it under 4,000 characters.
MAX_FALLBACK_CHARS = 3000

# Caps for the parts of one line, so a single huge value can't crowd out the rest.
_MAX_LABEL_CHARS = 200
_MAX_NAMES_CHARS = 500
_MAX_LINE_QUOTE_CHARS = 1200
_MAX_QUESTION_CHARS = 500
_MAX_URL_CHARS = 1000
# The most JSON one block of timeline lines may weigh (see `_packed_rich`).
_MAX_RICH_GROUP_CHARS = 2000

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINKABLE = re.compile(r"^https?://\S", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A rendered reply: Block Kit blocks plus the plain-text fallback."""

    text: str
    blocks: tuple[Block, ...]

    def to_dict(self) -> dict[str, Any]:
        """The message as the `text` and `blocks` arguments of chat.postMessage."""
        return {"text": self.text, "blocks": list(self.blocks)}


# The action ids of the feedback buttons (bot/feedback.py); the adapter listens for them.
VOTE_ACTION = "casebot_vote_"
REASON_ACTION = "casebot_reason_"
# The buttons that page through a long source listing; their values are page numbers.
SOURCES_PAGE_ACTION = "casebot_sources_page_"
SOURCES_PAGES_BLOCK = "casebot_sources_pages"


def render_slack(
    answer: Answer, *, feedback_id: str | None = None, page: int = 1
) -> SlackMessage:
    """Render an answer as Block Kit blocks, inside Slack's limits, plus a fallback text;
    with `feedback_id`, its 👍/👎 buttons under it.

    A source listing longer than one message holds is shown a page at a time: page `page`
    (the first if out of range), with ‹ Previous and Next › buttons whose values are the
    pages they show (`SOURCES_PAGE_ACTION`).
    """
    if answer.kind == "sources" and answer.sources:
        # Each source's line is drawn once, however many pages are tried.
        lines = {summary: _source_line(summary) for summary in answer.sources}

        def fits(part: Answer) -> bool:
            pager = _pager(2, 3, answer.case)
            return not _render(part, None, pager, lines=lines, fallback=False)[1]

        pages = paged(answer, fits)
        if len(pages) > 1:
            number = min(max(page, 1), len(pages))
            pager = _pager(number, len(pages), answer.case)
            return _render(pages[number - 1], feedback_id, pager, lines=lines)[0]
    return _render(answer, feedback_id)[0]


def _render(
    answer: Answer,
    feedback_id: str | None,
    pager: Block | None = None,
    *,
    lines: dict[SourceSummary, str] | None = None,
    fallback: bool = True,
) -> tuple[SlackMessage, bool]:
    """The message, and whether anything had to be cut to fit.

    `lines`: the sources' lines, drawn already; `fallback=False` leaves the plain text out
    (for measuring: Slack's limits are on the blocks).
    """
    units: list[_Unit] = []
    if answer.case:
        # A deployment of several cases: which one this is about, in one short line.
        units.append(_Unit((context([f"Case: *{clip(answer.case, _MAX_LABEL_CHARS)}*"]),)))
    if answer.question:
        question = clip(answer.question, _MAX_QUESTION_CHARS)
        units.append(_Unit((context([f"Question: “{question}”"]),)))
    if answer.text.strip():
        units.append(_Unit((section(clip(answer.text, MAX_TEXT_CHARS)),)))
    units.extend(_Unit(_quote_blocks(quote), noun="quote") for quote in answer.quotes)
    units.extend(_packed_rich((_event_line(event) for event in answer.events), noun="event"))
    # After what it is about, as the lead text says ("see below"); but it claims room
    # first, so no amount of quotes or events can push the warning out.
    units.extend(
        _Unit(_conflict_blocks(c), noun="disagreement", priority=0) for c in answer.conflicts
    )
    if answer.kind == "sources" or answer.sources:
        drawn = lines or {}
        units.extend(
            _packed((drawn.get(s) or _source_line(s) for s in answer.sources), noun="source")
        )
    units.extend(_packed((clip(note, MAX_TEXT_CHARS) for note in answer.notes), noun="line"))
    if answer.loaded_at is not None:
        units.append(_Unit((context([f"Corpus loaded {format_time(answer.loaded_at)}"]),)))
    if pager is not None:
        units.append(_Unit((pager,)))
    if feedback_id is not None:
        # Without a noun: always kept, whatever else is cut.
        units.append(_Unit((vote_buttons(feedback_id),)))
    blocks, cut = _fit(units)
    text = clip(render_text(answer), MAX_FALLBACK_CHARS) if fallback else ""
    return SlackMessage(text=text or " ", blocks=tuple(blocks)), cut


def _pager(number: int, pages: int, case: str | None = None) -> Block:
    """‹ Previous and Next › under page `number` of `pages` of a source listing (of
    `case`, in a deployment of several)."""
    buttons = []
    if number > 1:
        buttons.append(
            (f"{SOURCES_PAGE_ACTION}previous", "‹ Previous", page_value(number - 1, case))
        )
    if number < pages:
        buttons.append((f"{SOURCES_PAGE_ACTION}next", "Next ›", page_value(number + 1, case)))
    return _buttons(SOURCES_PAGES_BLOCK, buttons)


def render_thanks(thanks: Thanks) -> SlackMessage:
    """The private reply to a feedback click; after a 👎, the "Wrong source?" choices."""
    message = render_slack(thanks.answer)
    if thanks.ask_reason_for is None:
        return message
    return SlackMessage(
        text=message.text, blocks=(*message.blocks, reason_buttons(thanks.ask_reason_for))
    )


def vote_buttons(answer_id: str) -> Block:
    """The 👍 and 👎 under an answer; each button's value is all a click needs."""
    return _buttons(
        "casebot_feedback",
        [(f"{VOTE_ACTION}{vote}", VOTE_LABELS[vote], button_value(answer_id, vote))
         for vote in VOTES],
    )  # fmt: skip


def reason_buttons(answer_id: str) -> Block:
    """The "Wrong source?" choices after a 👎: each records the 👎 with its reason."""
    return _buttons(
        "casebot_reason",
        [(f"{REASON_ACTION}{reason}", label, button_value(answer_id, "down", reason))
         for reason, label in REASONS.items()],
    )  # fmt: skip


def _buttons(block_id: str, buttons: list[tuple[str, str, str]]) -> Block:
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": value,
            }
            for action_id, label, value in buttons
        ],
    }


# --- text helpers ----------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape &, < and > as Slack requires, so the text can't form a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, *, mrkdwn: bool = True) -> str:
    """Escape `text` and cut it to at most `limit` characters, marking a cut with "…".

    The cut is made in the unescaped text, so it never splits an entity like "&amp;".
    With `mrkdwn=False` (rich text, shown as written) nothing is escaped, only cut.
    """
    escapes = _ESCAPES if mrkdwn else {}
    escaped = escape(text) if mrkdwn else text
    if utf16_len(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    size = 0
    for char in text:
        piece = escapes.get(char, char)
        if size + utf16_len(piece) > limit - 1:
            break
        pieces.append(piece)
        size += utf16_len(piece)
    return "".join(pieces).rstrip() + "…"


def link(url: str | None, label: str) -> str:
    """A Slack link `<url|label>`, escaped; just the escaped label when `url` can't be one.

    Characters that would end the link early or split it (`|`, `<`, `>`, spaces) are
    percent-encoded in the URL, so a hostile URL can't inject a different link or label.
    Only http(s) URLs become links.
    """
    shown = clip(label, _MAX_LABEL_CHARS)
    if not url or not _LINKABLE.match(url):
        return shown
    target = "".join(
        percent_encode(char, safe="") if char in "|<>" or char.isspace() or not char.isprintable()
        else char
        for char in url
    )
    target = target.replace("&", "&amp;")
    if utf16_len(target) > _MAX_URL_CHARS:
        return shown
    return f"<{target}|{shown}>"


def section(text: str) -> Block:
    """A section block with mrkdwn text, taken as is (no automatic links or mentions)."""
    return {"type": "section", "text": _mrkdwn(text)}


def context(texts: Sequence[str]) -> Block:
    """A context block with one mrkdwn element per text (at most 10)."""
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn plain text from the corpus into links or mentions.
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


# --- the parts of an answer ------------------------------------------------------------


def _quote_blocks(quote: Quote) -> tuple[Block, ...]:
    parts: list[Block] = []
    if quote.label:
        label = _rich_text(clip(quote.label, _MAX_LABEL_CHARS, mrkdwn=False), bold=True)
        parts.append({"type": "rich_text_section", "elements": [label]})
    text = clip(quote.text, MAX_TEXT_CHARS, mrkdwn=False) or " "
    parts.append({"type": "rich_text_quote", "elements": [_rich_text(text)]})
    return {"type": "rich_text", "elements": parts}, context(_citation(quote))


def _rich_text(text: str, *, bold: bool = False) -> dict[str, Any]:
    # Shown as written: a text element is never read as mrkdwn, a mention or a link.
    element: dict[str, Any] = {"type": "text", "text": text}
    if bold:
        element["style"] = {"bold": True}
    return element


def _citation(quote: Quote) -> list[str]:
    source = quote.source
    parts = []
    if source.outlet:
        parts.append(f"*{clip(source.outlet, _MAX_LABEL_CHARS)}*")
    parts.append(format_date(quote.date))
    if source.url:
        parts.append(link(source.url, source.title or source.outlet or source.url))
    elif source.title:
        parts.append(f"“{clip(source.title, _MAX_LABEL_CHARS)}”")
    elif not source.outlet:
        parts.append(clip(source.id, _MAX_LABEL_CHARS))
    if quote.also_in:
        parts.append(f"also reported by {_names(quote.also_in)}")
    return parts


def _conflict_blocks(conflict: Conflict) -> tuple[Block, ...]:
    heading = f":warning: *Sources disagree on {clip(conflict.about, _MAX_NAMES_CHARS)}:*"
    lines = [
        f"• {clip(value.value, _MAX_LABEL_CHARS)} — "
        + clip(", ".join(dated(source.name, source) for source in value.sources), _MAX_NAMES_CHARS)
        for value in conflict.values
    ]
    texts = _pack([heading, *lines])
    return tuple(section(text) for text in texts)


def _event_line(event: Event) -> Block:
    """A timeline line in rich text, so its quote shows as written, like every quote."""
    quote = event.quote
    runs = [_rich_text(event.when, bold=True)]
    # "(reported)": the source gives no date for the event, only that of its report.
    if event.reported:
        runs.append(_rich_text(" (reported)"))
    text = quoted(clip(quote.text, _MAX_LINE_QUOTE_CHARS, mrkdwn=False))
    runs.append(_rich_text(f"  {text} — "))
    runs.append(_rich_link(quote.source.url, clip(quote.source.name, _MAX_LABEL_CHARS, mrkdwn=False)))
    if quote.also_in:
        names = clip(", ".join(s.name for s in quote.also_in), _MAX_NAMES_CHARS, mrkdwn=False)
        runs.append(_rich_text(f"; also reported by {names}"))
    return {"type": "rich_text_section", "elements": runs}


def _rich_link(url: str | None, label: str) -> dict[str, Any]:
    """A link run to an http(s) URL, or just the label when `url` can't be one."""
    if url and _LINKABLE.match(url) and not any(c.isspace() for c in url) and (
        utf16_len(url) <= _MAX_URL_CHARS
    ):
        return {"type": "link", "url": url, "text": label}
    return _rich_text(label)


def _source_line(summary: SourceSummary) -> str:
    source = summary.source
    title = source.title or "untitled"
    named = link(source.url, title) if source.url else f"“{clip(title, _MAX_LABEL_CHARS)}”"
    outlet = clip(source.outlet, _MAX_LABEL_CHARS) if source.outlet else "unknown outlet"
    passages = f"{summary.passages} passage" + ("" if summary.passages == 1 else "s")
    details = [outlet, format_date(source.published)]
    if not source.url:
        details.append("no URL")
    details.append(passages)
    return f"• {named} — {', '.join(details)}"


def _names(sources: Iterable[Source]) -> str:
    return clip(", ".join(source.name for source in sources), _MAX_NAMES_CHARS)


# --- staying inside the limits ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    """Blocks that are kept or cut together, and what they show (None: always kept)."""

    blocks: tuple[Block, ...]
    noun: str | None = None
    items: int = 1
    # Lower claims room first when not everything fits.
    priority: int = 1


def _pack(lines: Sequence[str]) -> list[str]:
    """Join lines into as few texts of at most MAX_TEXT_CHARS as they fit in, in order."""
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line if utf16_len(line) <= MAX_TEXT_CHARS else _cut(line)
        extra = utf16_len(line) + (1 if current else 0)
        if current and size + extra > MAX_TEXT_CHARS:
            texts.append("\n".join(current))
            current, size = [], 0
            extra = utf16_len(line)
        current.append(line)
        size += extra
    if current:
        texts.append("\n".join(current))
    return texts


def _cut(line: str) -> str:
    """Cut an over-long line of mrkdwn, never inside an entity or a link."""
    # Lines are built from capped parts and shouldn't get here; this is the safety net.
    kept = line
    while utf16_len(kept) > MAX_TEXT_CHARS - 1:
        kept = kept[: len(kept) - (utf16_len(kept) - (MAX_TEXT_CHARS - 1))]
    for opener, closer in (("<", ">"), ("&", ";")):
        if kept.rfind(opener) > kept.rfind(closer):
            kept = kept[: kept.rfind(opener)]
    return kept.rstrip() + "…"


def _packed(lines: Iterable[str], *, noun: str) -> list[_Unit]:
    """One unit per section of packed lines, counting the lines it shows."""
    units = []
    for text in _pack(list(lines)):
        units.append(_Unit((section(text),), noun=noun, items=text.count("\n") + 1))
    return units


def _packed_rich(lines: Iterable[Block], *, noun: str) -> list[_Unit]:
    """Rich text lines (sections) packed into blocks of at most MAX_TEXT_CHARS of text and
    _MAX_RICH_GROUP_CHARS of JSON: small enough that what is left beside other parts (a
    timeline's disagreements) still holds some, as a line's links and styles weigh more
    in JSON than in text."""
    units: list[_Unit] = []
    group: list[Block] = []
    size = weight = 0
    for line in lines:
        extra = sum(utf16_len(run["text"]) for run in line["elements"])
        heavier = _size(line) + 1
        if group and (size + extra > MAX_TEXT_CHARS or weight + heavier > _MAX_RICH_GROUP_CHARS):
            units.append(_Unit(({"type": "rich_text", "elements": group},), noun=noun,
                               items=len(group)))  # fmt: skip
            group, size, weight = [], 0, 0
        group.append(line)
        size += extra
        weight += heavier
    if group:
        units.append(_Unit(({"type": "rich_text", "elements": group},), noun=noun, items=len(group)))
    return units


def _size(block: Block) -> int:
    # As sent, with every character past ASCII escaped ("…" is 6): Slack's total limit is
    # undocumented, so it is measured the way that counts most.
    return len(json.dumps(block))


def _fit(units: list[_Unit]) -> tuple[list[Block], bool]:
    """The units' blocks, with whole units cut where they would break a limit; and whether
    any was cut.

    Units without a noun are always kept. The others claim room by priority, then in
    order, while they fit; once a unit of some noun is cut, every later unit of that noun
    is cut too (a list is never shown with a gap), and a notice saying how many are not
    shown takes the place of the first one cut. A noun with a share in `_SHARES` (the
    disagreements, which claim room first) takes at most that share of the room beyond
    its first unit while other nouns want room too, so a timeline's many disagreements
    can't leave no room for its events.
    """
    blocks = [block for unit in units for block in unit.blocks]
    if len(blocks) <= MAX_BLOCKS and sum(map(_size, blocks)) <= MAX_TOTAL_CHARS:
        return blocks, False

    nouns = {unit.noun for unit in units if unit.noun is not None}
    fixed = [block for unit in units if unit.noun is None for block in unit.blocks]
    notice_size = _size(context(["… (999999 more disagreements not shown)"]))
    room_blocks = MAX_BLOCKS - len(fixed) - len(nouns)
    room_chars = MAX_TOTAL_CHARS - sum(map(_size, fixed)) - notice_size * len(nouns)
    shares = {
        noun: (int(room_blocks * share), int(room_chars * share))
        for noun, share in _SHARES.items()
        if noun in nouns and len(nouns) > 1
    }
    spent: dict[str, tuple[int, int]] = {}

    kept: set[int] = set()
    cut: dict[str, int] = {}  # noun -> how many of its items are not shown
    for number in sorted(range(len(units)), key=lambda n: units[n].priority):
        unit = units[number]
        if unit.noun is None:
            kept.add(number)
            continue
        size = sum(map(_size, unit.blocks))
        fits = unit.noun not in cut and len(unit.blocks) <= room_blocks and size <= room_chars
        if fits and unit.noun in shares and unit.noun in spent:
            used_blocks, used_chars = spent[unit.noun]
            share_blocks, share_chars = shares[unit.noun]
            fits = used_blocks + len(unit.blocks) <= share_blocks and used_chars + size <= share_chars
        if fits:
            kept.add(number)
            room_blocks -= len(unit.blocks)
            room_chars -= size
            used_blocks, used_chars = spent.get(unit.noun, (0, 0))
            spent[unit.noun] = (used_blocks + len(unit.blocks), used_chars + size)
        else:
            cut[unit.noun] = cut.get(unit.noun, 0) + unit.items

    out: list[Block] = []
    noticed: set[str] = set()
    for number, unit in enumerate(units):
        if number in kept:
            out.extend(unit.blocks)
        elif unit.noun is not None and unit.noun not in noticed:
            noticed.add(unit.noun)
            out.append(context([f"… ({counted(cut[unit.noun], 'more ' + unit.noun)} not shown)"]))
    return out, bool(cut)


# The most of a message's room a noun may take while others want room too (see `_fit`).
_SHARES = {"disagreement": 1 / 3}
