"""Block Kit rendering: layout from the answer model, escaping, and Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import RichTextBlock

from bot.render.format import utf16_len as width
from bot.render.text import quoted as in_quotes
from bot.slack.blocks import MAX_BLOCKS, clip, escape, link
from retrieval.model import Answer, Conflict, ConflictValue, Event, Quote, Source, SourceSummary
from tests.support.slack_limits import check_limits, rich_texts, texts


REGISTER = Source(
    id="the-register",
    outlet="The Register",
    title="LinkedIn accused of training AI on private messages",
    url="https://www.theregister.com/2025/01/22/linkedin/",
    published=date(2025, 1, 22),
)
TECHSPOT = Source(id="techspot", outlet="TechSpot", title="LinkedIn accused")
UNNAMED = Source(id="unknown-000", title="Unattributed article 000")
LOADED = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


# --- layout ------------------------------------------------------------------------------


def test_a_quote_is_a_quotation_with_its_citation() -> None:
    quote = Quote(
        text="LinkedIn legal VP Sarah Wight today said the lawsuit has been withdrawn.",
        source=REGISTER,
        date=date(2025, 1, 30),
        also_in=(TECHSPOT, UNNAMED),
        label="Latest",
    )
    message = check_limits(Answer(kind="status", text="Where the case stands.", quotes=(quote,)))
    lead, quoted, citation = message["blocks"]
    assert lead["text"]["text"] == "Where the case stands."
    assert quoted == {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_section",
             "elements": [{"type": "text", "text": "Latest", "style": {"bold": True}}]},
            {"type": "rich_text_quote",
             "elements": [{"type": "text", "text": "LinkedIn legal VP Sarah Wight today said "
                                                   "the lawsuit has been withdrawn."}]},
        ],
    }  # fmt: skip
    assert citation["type"] == "context"
    assert texts([citation]) == [
        "*The Register*",
        "2025-01-30",
        "<https://www.theregister.com/2025/01/22/linkedin/"
        "|LinkedIn accused of training AI on private messages>",
        "also reported by TechSpot, Unattributed article 000",
    ]
    assert message["text"].startswith("Where the case stands.\n\nLatest: “LinkedIn legal VP")


def test_quotes_with_mrkdwn_characters_are_shown_literally() -> None:
    sentence = "It was *very* _clearly_ ~false~, `sic`, :smile: <@U1> & 5 > 3 — “quoted”"
    quote = Quote(text=sentence, source=REGISTER, date=date(2025, 1, 22), label="Response")
    message = check_limits(Answer(kind="answer", text="Here.", quotes=(quote,)))
    (quoted,) = [block for block in message["blocks"] if block["type"] == "rich_text"]
    label, body = RichTextBlock(**quoted).elements
    assert (label.type, body.type) == ("rich_text_section", "rich_text_quote")
    # One plain run, unstyled and unescaped: exactly the sentence.
    assert [run.to_dict() for run in body.elements] == [{"type": "text", "text": sentence}]
    # The notification text keeps the sentence too (escaped, as mrkdwn needs).
    assert "It was *very* _clearly_ ~false~, `sic`, :smile: &lt;@U1&gt; &amp; 5 &gt; 3" in (
        message["text"]
    )
    # A timeline's quotes too.
    event = Event(date(2025, 1, 22), "day", Quote(sentence, REGISTER, None))
    timeline = check_limits(Answer(kind="timeline", text="1 event.", events=(event,)))
    (line,) = timeline["blocks"][1]["elements"]
    assert {"type": "text", "text": f"  {in_quotes(sentence)} — "} in line["elements"]


def test_an_undated_unattributed_quote_says_so() -> None:
    quote = Quote(text="The lawsuit was filed.\nIt seeks damages.", source=UNNAMED, date=None)
    message = check_limits(Answer(kind="answer", text="Here.", question="filed?", quotes=(quote,)))
    question, _, quoted, citation = message["blocks"]
    assert texts([question]) == ["Question: “filed?”"]
    assert rich_texts([quoted]) == ["The lawsuit was filed.\nIt seeks damages."]
    assert texts([citation]) == ["undated", "“Unattributed article 000”"]


def test_disagreement_is_a_visible_warning_after_the_quotes() -> None:
    conflict = Conflict(
        about="the filing date",
        values=(
            ConflictValue("2025-01-21", (REGISTER,)),
            ConflictValue("2025-01-22", (TECHSPOT, UNNAMED)),
        ),
    )
    quote = Quote(text="Filed.", source=REGISTER, date=None)
    message = check_limits(
        Answer(kind="answer", text="Here.", quotes=(quote,), conflicts=(conflict,))
    )
    warning = message["blocks"][-1]["text"]["text"]
    assert warning == (
        ":warning: *Sources disagree on the filing date:*\n"
        "• 2025-01-21 — The Register (2025-01-22)\n"
        "• 2025-01-22 — TechSpot, Unattributed article 000"
    )


def test_timeline_sources_notes_and_load_time() -> None:
    events = (
        Event(date(2016, 1, 1), "year", Quote("Microsoft bought LinkedIn in 2016.", UNNAMED, None)),
        Event(
            date(2025, 1, 22), "day", Quote("A suit was filed this week.", REGISTER, None),
            reported=True,
        ),
    )  # fmt: skip
    timeline = check_limits(Answer(kind="timeline", text="2 events.", events=events))
    # Rich text, one section a line, so the quotes show as written.
    _, lines = timeline["blocks"]
    assert [part["elements"] for part in lines["elements"]] == [
        [{"type": "text", "text": "2016", "style": {"bold": True}},
         {"type": "text", "text": "  “Microsoft bought LinkedIn in 2016.” — "},
         {"type": "text", "text": "Unattributed article 000"}],
        [{"type": "text", "text": "2025-01-22", "style": {"bold": True}},
         {"type": "text", "text": " (reported)"},
         {"type": "text", "text": "  “A suit was filed this week.” — "},
         {"type": "link", "url": "https://www.theregister.com/2025/01/22/linkedin/",
          "text": "The Register"}],
    ]  # fmt: skip

    summaries = (SourceSummary(REGISTER, 16), SourceSummary(UNNAMED, 1))
    listing = check_limits(
        Answer(kind="sources", text="2 articles.", sources=summaries, loaded_at=LOADED)
    )
    assert texts(listing["blocks"]) == [
        "2 articles.",
        "• <https://www.theregister.com/2025/01/22/linkedin/|LinkedIn accused of training AI "
        "on private messages> — The Register, 2025-01-22, 16 passages\n"
        "• “Unattributed article 000” — unknown outlet, undated, no URL, 1 passage",
        "Corpus loaded 2025-02-01 12:00:00 UTC",
    ]

    report = check_limits(Answer(kind="reload", text="Reloaded.", notes=("Added: a", "Removed: b")))
    assert texts(report["blocks"]) == ["Reloaded.", "Added: a\nRemoved: b"]


# --- escaping ----------------------------------------------------------------------------


def test_everything_from_outside_is_escaped() -> None:
    hostile = Source(
        id="x", outlet="<!here> News", title="A & <@U123> story",
        url="https://evil.example/a|<!channel>b> c",
    )  # fmt: skip
    answer = Answer(
        kind="answer",
        text="Here.",
        question="what about <!channel> & <@U999>?",
        quotes=(Quote("Ping <!everyone> & <https://x.example|click>", hostile, None),),
        conflicts=(Conflict("<!here>", (ConflictValue("<@U1>", (hostile,)),)),),
        events=(Event(date(2025, 1, 1), "day", Quote("<!channel>", hostile, None)),),
        sources=(SourceSummary(hostile, 1),),
        notes=("bad.md: <!subteam^S123> & co",),
    )
    message = check_limits(answer)
    # The quote is rich text: shown as written, it can't ping or link (that would take a
    # broadcast, user or link element), so it is not escaped.
    assert rich_texts(message["blocks"]) == ["Ping <!everyone> & <https://x.example|click>"]
    runs = [run for block in message["blocks"] if block["type"] == "rich_text"
            for part in block["elements"] for run in part["elements"]]  # fmt: skip
    assert {run["type"] for run in runs} == {"text"}
    mrkdwn = [block for block in message["blocks"] if block["type"] != "rich_text"]
    raw = json.dumps({"text": message["text"], "blocks": mrkdwn}, ensure_ascii=False)
    for dangerous in ("<!here>", "<!channel>", "<!everyone>", "<@U", "<!subteam", "<https://x."):
        assert dangerous not in raw
    assert "what about &lt;!channel&gt; &amp; &lt;@U999&gt;?" in raw
    assert "Ping &lt;!everyone&gt; &amp; &lt;https://x.example|click&gt;" in raw
    # The one link is the source's, its target unable to end early or switch the label.
    link_text = "<https://evil.example/a%7C%3C!channel%3Eb%3E%20c|A &amp; &lt;@U123&gt; story>"
    assert link_text in raw


def test_link_targets_cannot_break_out() -> None:
    assert link("https://a.example/x|y>z", "T") == "<https://a.example/x%7Cy%3Ez|T>"
    assert link("https://a.example/?a=1&b=2", "T&C") == "<https://a.example/?a=1&amp;b=2|T&amp;C>"
    assert link("javascript:alert(1)", "Title") == "Title"
    assert link(None, "<b>") == "&lt;b&gt;"
    assert link("https://a.example/" + "x" * 5000, "Long") == "Long"


def test_clip_never_splits_an_entity() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert clip("short", 10) == "short"
    clipped = clip("&" * 100, 23)
    assert clipped == "&amp;" * 4 + "…" and width(clipped) <= 23
    assert width(clip("😀" * 5000, 3000)) <= 3000


# --- limits ------------------------------------------------------------------------------


def test_many_quotes_are_cut_with_an_honest_count() -> None:
    quotes = tuple(Quote(f"Quote number {n}.", REGISTER, date(2025, 1, 22)) for n in range(100))
    message = check_limits(Answer(kind="answer", text="Here.", quotes=quotes, loaded_at=LOADED))
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    shown = sum(1 for t in rich_texts(blocks) if t.startswith("Quote number"))
    notice = next(t for t in texts(blocks) if t.startswith("… ("))
    assert notice == f"… ({100 - shown} more quotes not shown)"
    assert texts(blocks)[-1] == "Corpus loaded 2025-02-01 12:00:00 UTC"


def test_huge_texts_and_long_lists_stay_within_limits() -> None:
    giant = Source(
        id="g" * 300, outlet="O" * 5000, title="<" * 5000,
        url="https://giant.example/" + "|" * 2000,
    )  # fmt: skip
    quotes = tuple(Quote("<&>" * 4000 + "\n" * 50, giant, None, (giant,) * 50, "L" * 900)
                   for _ in range(8))  # fmt: skip
    events = tuple(
        Event(date(2025, 1, 1 + n % 28), "day", Quote(f"Event {n} " + "&" * 2000, giant, None))
        for n in range(400)
    )
    answer = Answer(
        kind="timeline",
        text="T" * 10_000,
        question="?" * 10_000,
        quotes=quotes,
        conflicts=tuple(
            Conflict("&" * 3000, tuple(ConflictValue("v" * 500, (giant,) * 30) for _ in range(40)))
            for _ in range(5)
        ),
        events=events,
        sources=tuple(SourceSummary(giant, n) for n in range(500)),
        notes=tuple("n" * 4000 for _ in range(30)),
        loaded_at=LOADED,
    )
    message = check_limits(answer)
    notices = [t for t in texts(message["blocks"]) if t.startswith("… (")]
    assert notices and all(t.endswith(" not shown)") for t in notices)


def test_the_warning_survives_when_events_are_cut() -> None:
    events = tuple(
        Event(date(2025, 1, 1), "day", Quote(f"Event {n}. " + "x" * 500, REGISTER, None))
        for n in range(300)
    )
    conflict = Conflict("the date", (ConflictValue("a", (REGISTER,)), ConflictValue("b", ())))
    message = check_limits(
        Answer(kind="timeline", text="Events.", events=events, conflicts=(conflict,))
    )
    shown = texts(message["blocks"])
    assert shown[-1].startswith(":warning: *Sources disagree on the date:*")
    assert shown[-2].startswith("… (") and shown[-2].endswith(" more events not shown)")
    counted = sum(len(block["elements"]) for block in message["blocks"]
                  if block["type"] == "rich_text")  # fmt: skip
    assert shown[-2] == f"… ({300 - counted} more events not shown)"


def test_a_small_answer_is_not_cut() -> None:
    quotes = tuple(Quote(f"Q{n}", TECHSPOT, None) for n in range(20))
    message = check_limits(Answer(kind="answer", text="Here.", quotes=quotes))
    assert len(message["blocks"]) == 41
    assert not any(t.startswith("… (") for t in texts(message["blocks"]))


_TEXT = st.text(alphabet=st.sampled_from("ab <>&|*_~`\n😀é@!"), max_size=4000)
_SOURCE = st.builds(
    Source,
    id=st.text(min_size=1, max_size=20),
    outlet=st.none() | _TEXT,
    title=st.none() | _TEXT,
    url=st.none() | _TEXT.map(lambda t: "https://x.example/" + t),
    published=st.none() | st.dates(),
)
_QUOTE = st.builds(
    Quote, text=_TEXT, source=_SOURCE, date=st.none() | st.dates(),
    also_in=st.lists(_SOURCE, max_size=5).map(tuple), label=st.none() | _TEXT,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    text=_TEXT,
    question=st.none() | _TEXT,
    quotes=st.lists(_QUOTE, max_size=60).map(tuple),
    events=st.lists(
        st.builds(Event, date=st.dates(), precision=st.sampled_from(["day", "month", "year"]),
                  quote=_QUOTE, reported=st.booleans()),
        max_size=60,
    ).map(tuple),  # fmt: skip
    sources=st.lists(st.builds(SourceSummary, _SOURCE, st.integers(0, 99)), max_size=60).map(
        tuple
    ),
    notes=st.lists(_TEXT, max_size=20).map(tuple),
)
def test_any_answer_stays_within_limits_and_escaped(
    text: str,
    question: str | None,
    quotes: tuple[Quote, ...],
    events: tuple[Event, ...],
    sources: tuple[SourceSummary, ...],
    notes: tuple[str, ...],
) -> None:
    answer = Answer(
        kind="answer", text=text, question=question, quotes=quotes, events=events,
        sources=sources, notes=notes,
    )  # fmt: skip
    message = check_limits(answer)
    for value in texts(message["blocks"]):
        # Every "<" opens a link this module built from a source URL.
        for part in value.split("<")[1:]:
            assert part.startswith("https://x.example/") and "|" in part.split(">")[0]
