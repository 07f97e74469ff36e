"""Discord rendering: what the embeds say, and that they fit Discord's limits whatever the input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.discord.embeds import (
    MAX_CONTENT,
    MAX_TITLE,
    DiscordMessage,
    clip,
    render_discord,
    utf16_len,
)
from retrieval.model import Answer, Conflict, ConflictValue, Event, Quote, Source, SourceSummary
from tests.support.discord_limits import assert_within_limits


REGISTER = Source(
    id="the-register",
    outlet="The Register",
    title="LinkedIn accused of training AI on private messages",
    url="https://www.theregister.com/2025/01/22/linkedin/",
    published=date(2025, 1, 22),
)
TECHSPOT = Source(id="techspot", outlet="TechSpot", url="https://www.techspot.com/x")
UNDATED = Source(id="unknown-outlet-000", title="Unattributed article 000")
LOADED = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def quote(
    text: str, source: Source = REGISTER, day: date | None = date(2025, 1, 22), **kw: Any
) -> Quote:
    return Quote(text=text, source=source, date=day, **kw)


def all_text(message: DiscordMessage) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        data = embed.to_dict()
        parts += [data.get("title", ""), data.get("description", "")]
        parts.append(data.get("footer", {}).get("text", ""))
        parts += [f["name"] + "\n" + f["value"] for f in data.get("fields", [])]
    return "\n".join(parts)


# --- what it says --------------------------------------------------------------------------


def test_quotes_are_quotations_with_outlet_date_link_and_also_reported_by() -> None:
    answer = Answer(
        kind="answer",
        text="Here is what the sources say.",
        question="who is suing LinkedIn?",
        quotes=(
            quote(
                "A Premium customer is suing LinkedIn.",
                also_in=(TECHSPOT, UNDATED),
                label="Plaintiff",
            ),
            quote("LinkedIn said the claims are false.", UNDATED, None),
        ),
        loaded_at=LOADED,
    )
    message = render_discord(answer)
    assert message.content == "Here is what the sources say."
    (embed,) = message.embeds
    assert embed.title == "who is suing LinkedIn?"
    assert embed.description == (
        "**Plaintiff**\n"
        "> A Premium customer is suing LinkedIn.\n"
        "— [The Register](https://www.theregister.com/2025/01/22/linkedin/), 2025-01-22\n"
        "also reported by: [TechSpot](https://www.techspot.com/x), Unattributed article 000\n\n"
        "> LinkedIn said the claims are false.\n"
        "— Unattributed article 000, undated"
    )
    assert embed.footer.text == "Corpus loaded 2025-02-01 12:00:00 UTC"
    assert message.send_kwargs()["allowed_mentions"].to_dict() == {"parse": []}


def test_disagreement_is_a_visible_warning() -> None:
    answer = Answer(
        kind="answer",
        text="Here is what the sources say.",
        quotes=(quote("The suit was filed in August 2024."),),
        conflicts=(
            Conflict(
                about="when the setting was introduced",
                values=(
                    ConflictValue("August 2023", (UNDATED,)),
                    ConflictValue("August 2024", (REGISTER, TECHSPOT)),
                ),
            ),
        ),
    )
    quotes, warning = render_discord(answer).embeds
    assert warning.title == "⚠️ Sources disagree"
    assert "**when the setting was introduced**" in warning.description
    assert "• August 2023 — Unattributed article 000" in warning.description
    assert "• August 2024 — [The Register](" in warning.description
    # who says what, and when: a dated source's date beside its name
    assert "(https://www.theregister.com/2025/01/22/linkedin/) (2025-01-22), " in warning.description
    assert warning.colour != quotes.colour


def test_timeline_lists_events_with_dates_at_their_precision() -> None:
    answer = Answer(
        kind="timeline",
        text="3 dated events from the sources, oldest first.",
        events=(
            Event(date(2016, 1, 1), "year", quote("LinkedIn was bought in 2016.")),
            Event(
                date(2024, 8, 1),
                "month",
                quote("In August 2024 a setting appeared.", TECHSPOT, None),
            ),
            Event(date(2025, 1, 30), "day", quote("Today the suit was withdrawn."), reported=True),
        ),
    )
    (embed,) = render_discord(answer).embeds
    assert embed.title == "Timeline"
    blocks = embed.description.split("\n\n")
    assert [block.split("\n")[0] for block in blocks] == [
        "**2016**", "**August 2024**", "**2025-01-30 (reported)**",
    ]  # fmt: skip
    assert blocks[1].split("\n")[1:] == [
        "> In August 2024 a setting appeared.",
        "— [TechSpot](https://www.techspot.com/x), undated",
    ]


def test_sources_are_listed() -> None:
    answer = Answer(
        kind="sources",
        text="casebot answers from 2 articles.",
        sources=(SourceSummary(REGISTER, 12), SourceSummary(UNDATED, 1)),
        loaded_at=LOADED,
    )
    (embed,) = render_discord(answer).embeds
    assert embed.title == "Sources"
    assert embed.description == (
        "[The Register](https://www.theregister.com/2025/01/22/linkedin/) — "
        "“LinkedIn accused of training AI on private messages”\n2025-01-22 · 12 passages\n\n"
        "Unattributed article 000 — “Unattributed article 000”\nundated · 1 passage"
    )
    assert embed.footer.text.startswith("Corpus loaded")


def test_a_plain_reply_has_no_embeds() -> None:
    refusal = "Sorry, only casebot admins can use “reload”."
    message = render_discord(Answer(kind="refused", text=refusal))
    assert message.content == refusal
    assert message.embeds == ()


def test_corpus_text_cannot_format_or_break_links() -> None:
    odd = Source(id="odd", outlet="Odd [News]", url="https://odd.example/a_(b) c")
    answer = Answer(
        kind="answer",
        text="Here is what the sources say.",
        quotes=(
            quote("LinkedIn *denies* it_all, says `nobody`.", odd),
            quote("No link here.", Source(id="x", outlet="X", url="javascript:alert(1)")),
        ),
    )
    description = render_discord(answer).embeds[0].description
    assert r"> LinkedIn \*denies\* it\_all, says \`nobody\`." in description
    assert "[Odd (News)](https://odd.example/a_%28b%29%20c)" in description
    assert "javascript:" not in description and "— X, 2025-01-22" in description


# --- limits --------------------------------------------------------------------------------


def test_many_long_quotes_are_cut_honestly_and_the_warning_survives() -> None:
    quotes = tuple(quote(f"Quote {i}: " + "very long words " * 60) for i in range(40))
    conflicts = tuple(
        Conflict(
            about=f"claim {i}",
            values=(ConflictValue("a", (REGISTER,)), ConflictValue("b", (TECHSPOT,))),
        )
        for i in range(3)
    )
    answer = Answer(
        kind="answer", text="Here is what the sources say.", question="q" * 300,
        quotes=quotes, conflicts=conflicts, loaded_at=LOADED,
    )  # fmt: skip
    message = render_discord(answer)
    assert_within_limits(message)
    title = message.embeds[0].title
    assert utf16_len(title) == MAX_TITLE and title.endswith("…")
    text = all_text(message)
    shown = text.count("\n> Quote ") + text.startswith("> Quote ")
    match = re.search(r"… \((\d+) more quotes not shown\)", text)
    assert match is not None and shown + int(match.group(1)) == 40
    assert "⚠️ Sources disagree" in text and "claim 2" in text
    assert message.embeds[-1].footer.text.startswith("Corpus loaded")


def test_a_giant_quote_is_clipped_with_its_citation_kept() -> None:
    answer = Answer(kind="answer", text="Here.", quotes=(quote("word " * 5000),))
    message = render_discord(answer)
    assert_within_limits(message)
    description = message.embeds[0].description
    assert "…\n— [The Register](" in description
    assert "not shown" not in description


def test_emoji_count_as_discord_counts_them() -> None:
    # "⚖️" is 2 UTF-16 units, "📰" is 2 as well (a surrogate pair): counting code points
    # would let the message run over Discord's limits.
    quotes = tuple(
        quote("📰" * 290 + f" {i}", Source(id=f"s{i}", outlet="📰" * 40)) for i in range(30)
    )
    message = render_discord(Answer(kind="answer", text="📰" * 1500, quotes=quotes))
    assert_within_limits(message)
    # 999 emoji and "…": one more emoji would be 2,001.
    assert utf16_len(message.content or "") == MAX_CONTENT - 1


def test_clip() -> None:
    assert clip("short", 10) == "short"
    assert clip("a" * 20, 10) == "a" * 9 + "…"
    assert utf16_len(clip("📰" * 20, 9)) <= 9


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=400
)
_sources = st.builds(
    Source,
    id=st.text(min_size=1, max_size=20),
    outlet=st.none() | _text,
    title=st.none() | _text,
    url=st.none() | st.just("https://example.com/") | _text,
    published=st.none() | st.dates(),
)
_quotes = st.builds(
    Quote,
    text=_text,
    source=_sources,
    date=st.none() | st.dates(),
    also_in=st.lists(_sources, max_size=5).map(tuple),
    label=st.none() | _text,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_text,
    question=st.none() | _text,
    quotes=st.lists(_quotes, max_size=40).map(tuple),
    events=st.lists(
        st.builds(
            Event,
            date=st.dates(),
            precision=st.sampled_from(["day", "month", "year"]),
            quote=_quotes,
        ),
        max_size=40,
    ).map(tuple),
    conflicts=st.lists(
        st.builds(
            Conflict,
            about=_text,
            values=st.lists(
                st.builds(
                    ConflictValue, value=_text, sources=st.lists(_sources, max_size=4).map(tuple)
                ),
                max_size=4,
            ).map(tuple),
        ),
        max_size=10,
    ).map(tuple),
    sources=st.lists(
        st.builds(SourceSummary, source=_sources, passages=st.integers(0, 999)), max_size=60
    ).map(tuple),
    notes=st.lists(_text, max_size=40).map(tuple),
    kind=st.sampled_from(["answer", "status", "timeline", "sources", "help", "reload", "error"]),
)
def test_any_answer_fits_discord(
    text: str, question: str | None, quotes: tuple[Quote, ...], events: tuple[Event, ...],
    conflicts: tuple[Conflict, ...], sources: tuple[SourceSummary, ...], notes: tuple[str, ...],
    kind: Any,
) -> None:  # fmt: skip
    answer = Answer(
        kind=kind, text=text, question=question, quotes=quotes, events=events,
        conflicts=conflicts, sources=sources, notes=notes, loaded_at=LOADED,
    )  # fmt: skip
    assert_within_limits(render_discord(answer))
