"""Status (latest development first, then the basics) and the timeline of dated events."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.corpus import load_corpus
from retrieval.case.developments import about_other_case, step
from retrieval.index import build_index
from retrieval.case.status import status
from retrieval.case.timeline import timeline
from tests.support.corpora import REPO_ROOT, SEED_CORPUS_DIR, article


@pytest.fixture(scope="module")
def index():
    return build_index(load_corpus(SEED_CORPUS_DIR))


def test_status_leads_with_the_withdrawal_from_the_register_update(index):
    answer = status(index)
    lead = answer.quotes[0]
    assert lead.label == "Latest"
    assert "withdrawn" in lead.text
    assert lead.source.outlet == "The Register"
    assert lead.date == date(2025, 1, 30)
    assert "2025-01-30" in answer.text


def test_status_quotes_the_basics_each_cited(index):
    answer = status(index)
    labels = [q.label for q in answer.quotes]
    assert labels[0] == "Latest"
    assert {"Filed", "Plaintiff", "Claims", "Sought", "Response"} <= set(labels)
    text = " ".join(q.text for q in answer.quotes)
    assert "De La Torre" in text and "$1,000" in text and "no merit" in text
    assert all(q.source.name for q in answer.quotes)


def test_status_never_reports_the_earlier_unrelated_settlement(index):
    assert not any("6.625" in q.text for q in status(index).quotes)


def test_status_leads_with_the_newest_dated_step_in_any_corpus(tmp_path):
    (tmp_path / "a.md").write_text(
        article(outlet="A", published="2025-03-01", paragraphs=["The judge dismissed the lawsuit on Friday."])
    )
    (tmp_path / "b.md").write_text(
        article(outlet="B", published="2025-01-10", paragraphs=["The lawsuit was filed in federal court."])
    )
    lead = status(build_index(load_corpus(tmp_path))).quotes[0]
    assert lead.source.outlet == "A" and "dismissed" in lead.text


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("LinkedIn legal VP Sarah Wight today said the lawsuit has been withdrawn.", "withdrawn"),
        ("The lawsuit, filed in a California federal court, represents a user.", "filed"),
        ("However, the complaint alleges LinkedIn retroactively amended its privacy terms.", None),
        ("LinkedIn updated its privacy policy in September 2024.", None),
    ],
)
def test_step_is_a_procedural_step_of_a_case(sentence, expected):
    assert step(sentence) == expected


def test_a_previous_lawsuit_is_another_case_even_when_named_in_the_next_sentence():
    assert about_other_case(
        "This case follows LinkedIn’s settlement of a $6.625 million class action lawsuit in 2024.",
        "The previous lawsuit accused the platform of inflating video advertisement metrics.",
    )
    assert not about_other_case("LinkedIn legal VP Sarah Wight today said the lawsuit has been withdrawn.")


def test_timeline_is_in_date_order_and_ends_with_the_withdrawal(index):
    events = timeline(index).events
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert events[-1].date == date(2025, 1, 30) and "withdrawn" in events[-1].quote.text


def test_timeline_flags_the_august_2023_and_2024_conflict(index):
    answer = timeline(index)
    whens = {e.when for e in answer.events}
    assert {"August 2023", "August 2024"} <= whens
    assert any({"August 2023", "August 2024"} <= {v.value for v in c.values} for c in answer.conflicts)


def test_the_lead_text_says_what_differs(index):
    assert timeline(index).text.endswith("Some dates differ between sources: see below.")
    couriers = build_index(load_corpus(REPO_ROOT / "tests" / "retrieval" / "cases" / "couriers-v-parcelo" / "corpus"))
    answer = timeline(couriers)
    assert {c.kind for c in answer.conflicts} == {"count"}  # 40,000 or 45,000 couriers
    assert answer.text.endswith("The sources differ on some details: see below.")
    assert status(couriers).text.endswith("The sources disagree on some details: see below.")


def test_one_event_reported_by_several_sources_appears_once(index):
    september = [e for e in timeline(index).events if e.when == "September 2024"]
    assert len(september) == 1
    assert september[0].quote.also_in


def test_timeline_leaves_out_the_other_case(index):
    assert not any("6.625" in e.quote.text for e in timeline(index).events)


def test_events_dated_only_by_their_report_say_so(index):
    reported = [e for e in timeline(index).events if e.reported]
    assert reported and all(e.date == e.quote.date for e in reported)


def test_every_event_quote_is_from_its_source_and_dated(index):
    for event in timeline(index).events:
        passage = index.passages[event.quote.passage_id]
        assert passage.source_id == event.quote.source.id
        assert " ".join(event.quote.text.split()).strip("…")[:40] in " ".join(passage.text.split())
