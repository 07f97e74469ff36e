"""Disagreements the question files mark, against what `status` and `timeline` flag.

The figures come from tests/bench/disagreements.py (`python -m tests.bench.disagreements`
prints the table): each case's marked disagreements that a case view shows must hold a
floor, and the views' conflicts that show no marked disagreement (each read by hand: see
the note of issue 19) a ceiling.
"""

from __future__ import annotations

import pytest

from retrieval.case import claims
from retrieval.case.status import status
from retrieval.case.timeline import timeline
from retrieval.corpus import load_corpus
from retrieval.evaluation import Item, listed_disagreements, shown_by, unlisted, value_tokens
from retrieval.index import build_index
from retrieval.language.analyzer import MONEY, money_value
from retrieval.language.dates import find_dates
from retrieval.model import Conflict, ConflictValue, Source
from tests.bench.disagreements import measure
from tests.bench.fit_answering import SHARED, development_cases
from tests.support.corpora import article

# case: (listed disagreements with values, shown by status or timeline, most unlisted).
FIGURES = {
    "seed (LinkedIn)": (1, 1, 0),
    "bartz-v-anthropic": (0, 0, 0),
    "facebook-bipa": (5, 3, 0),
    "nyt-v-openai": (2, 0, 0),
    "apple-batterygate": (4, 4, 0),
    "couriers-v-parcelo": (1, 1, 0),
    "kessling-v-ardent": (2, 2, 0),
}

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")


@needs_shared
@pytest.mark.parametrize("case", development_cases(), ids=lambda case: case.name)
def test_each_case_views_show_its_disagreements(case):
    figures = measure(case)
    listed, shown, most_unlisted = FIGURES[case.name]
    assert figures.listed == listed
    assert figures.either >= shown, "\n".join(figures.details)
    assert len(figures.unlisted) <= most_unlisted, "\n".join(figures.details)


def test_value_tokens_read_sums_dates_and_counts_alike():
    assert value_tokens("$1.5 billion") == value_tokens("1,500,000,000") == {"1500000000"}
    assert value_tokens("Oct. 6, 2020") == value_tokens("2020-10-06") == {"october", "6", "2020"}
    assert value_tokens("More than 1.5 million") == {"1500000"}
    assert value_tokens("iPhone 6, 6 Plus") == frozenset()  # a model number is no value
    assert value_tokens("may have been shortchanged") == frozenset()


def _conflict(*values: str) -> Conflict:
    return Conflict(
        about="x", values=tuple(ConflictValue(v, (Source(id=v),)) for v in values), kind="figure"
    )


def test_a_disagreement_is_shown_when_a_conflict_sets_two_of_its_sides_apart():
    items = [
        Item(ask="how much each?", expect=("$397 checks", "$345 each", "about $428"), conflict=True),
        Item(ask="how much, really?", expect=("$397 checks", "$345 each"), conflict=True),
        Item(ask="who sued?", expect=("three users", "a lawyer"), conflict=True),
        Item(ask="when?", expect=("March 2",)),
    ]
    listed, other = listed_disagreements(items)
    assert [d.asks for d in listed] == [("how much each?", "how much, really?")]
    assert other == ["who sued?"]
    (d,) = listed
    assert shown_by(d, [_conflict("$345", "$397")]) is not None
    assert shown_by(d, [_conflict("$345", "$1,000")]) is None  # one side only
    assert unlisted(listed, [_conflict("$345", "$1,000")]) == [_conflict("$345", "$1,000")]


def test_a_more_exact_date_is_the_same_side():
    (d,), _ = listed_disagreements([Item(ask="when?", expect=("filed March 11", "Tuesday, March 12"), conflict=True)])
    assert shown_by(d, [_conflict("March 11, 2024", "March 12, 2024")]) is not None
    assert shown_by(d, [_conflict("March 11, 2024", "March 13, 2024")]) is None


# --- the case's disagreements, wherever the sources tell them ---------------------------
# Made-up articles: each tells one value of a thing in words the others do not share, deep
# in an article that status does not quote (after filler a view has no reason to read).

_FILLER = [
    "Residents gathered at the library on a rainy evening to talk about the river.",
    "The council has not said when it will next meet about the budget for the parks.",
]


def _sides(conflict: Conflict) -> dict[str, list[str]]:
    return {v.value: [s.name for s in v.sources] for v in conflict.values}


@pytest.fixture(scope="module")
def case_index(tmp_path_factory):
    directory = tmp_path_factory.mktemp("differences")
    files = {
        "a.md": article(outlet="Alpha", published="2024-05-02", paragraphs=[
            "Harbor Freight Lines was sued by dockworkers over unpaid overtime.", *_FILLER,
            "The lawsuit was opened in 2021 after a union audit.",
            "The company will pay eligible dockworkers $40 each.",
        ]),
        "b.md": article(outlet="Beta", published="2024-06-10", paragraphs=[
            "A judge approved the deal between Harbor Freight Lines and its dockworkers.", *_FILLER,
            "According to the 2022 lawsuit, shifts ran past midnight without extra pay.",
            "Each worker who filed a claim will receive around $55.",
        ]),
        "c.md": article(outlet="Gamma", published="2024-07-01", paragraphs=[
            "Harbor Freight Lines began mailing checks this summer.", *_FILLER,
            "Workers have begun receiving $51 checks in the mail.",
            "The union dues are $30 per month for each member.",
        ]),
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return build_index(load_corpus(directory))


def test_a_year_before_the_suit_and_a_year_it_was_opened_are_its_filing_date():
    # Why: "the 2022 lawsuit" and "was opened in 2021" share no word but the suit; what ties
    # them is that each dates the suit itself. A year before another noun is no such date.
    def roles(text):
        return [claims._date_role(text, m.start, m.end) for m in find_dates(text)]

    assert roles("According to the 2022 lawsuit, shifts ran long.") == ["filed"]
    assert roles("The lawsuit was opened in 2021 after an audit.") == ["filed"]
    assert roles("The lawsuit, filed in December 2023, alleges theft.") == ["filed"]
    assert roles("The union sued the port on March 3, 2024.") == ["filed"]
    assert roles("In 2015, a class action lawsuit was filed in Chicago.") == ["filed"]
    assert roles("In 2015, a judge was appointed.") == [None]
    assert roles("According to the 2022 report, shifts ran long.") == [None]
    assert roles("The lawsuit dates back to 2015.") == [None]


def test_what_a_sum_is_of_is_read_from_its_words():
    def roles(text):
        # As claims._values reads each sum: its words before (back to the sum before it).
        sums = list(MONEY.finditer(text))
        found = []
        for n, m in enumerate(sums):
            before = text[sums[n - 1].end() if n else 0 : m.start()]
            per_unit = bool(claims._PER_UNIT.match(text, m.end()) or claims._PAID_IN.match(text, m.end())
                            or claims._EACH_BEFORE.search(before))
            found.append((money_value(m.group()), claims._sum_role(text, m.start(), m.end(), before, per_unit)))
        return found

    assert roles("The three named plaintiffs will receive $5,000 each and others will receive $345 each.") == [
        ("$5,000", "each"), ("$345", "each")
    ]
    assert roles("Each person should get about $428.") == [("$428", "each")]
    assert roles("Users have begun receiving $397 checks.") == [("$397", "each")]
    assert roles("Payments went out, with some receiving a sum of $92.17 as per the claim.") == [("$92.17", "each")]
    assert roles("Subscribers who paid $5 a month get nothing back.") == [("$5", None)]  # a rate
    # A fine, statutory damages or a rate per thing is not a sum anyone receives.
    assert roles("The law calls for fines of up to $5,000 per person.") == [("$5,000", None)]
    assert roles("Couriers were promised pay of $8 per delivery.") == [("$8", None)]
    assert roles("Authors would receive $3,000 for each of the 500,000 books.") == [("$3,000", None)]
    assert roles("Apple agreed to pay up to $500 million to settle claims.") == [("$500,000,000", "settlement")]
    assert roles("A judge approved a $650 million class action settlement.") == [("$650,000,000", "settlement")]
    assert roles("Facebook settled a $550 million lawsuit.") == [("$550,000,000", "settlement")]
    assert roles("Lawyers asked for $90 million in fees.") == [("$90,000,000", None)]
    # "US$310 million", and "US310 million" as some outlets print it, are sums; a model
    # number is not.
    assert roles("A court rejected Apple’s US310 million settlement.") == [("$310,000,000", "settlement")]
    assert roles("A court rejected Apple’s US$310 million settlement.") == [("$310,000,000", "settlement")]
    assert roles("The US310 router was recalled.") == []


def test_status_lists_the_cases_disagreements_that_its_quotes_do_not_hold(case_index):
    # Why: status quotes a handful of sentences; a reader of it should still learn that
    # the sources differ on when the suit was filed and on what each one receives.
    about = {c.about: _sides(c) for c in status(case_index).conflicts}
    assert about["the date the suit was filed"] == {"2021": ["Alpha"], "2022": ["Beta"]}
    assert about["the sum each one receives"] == {"$40": ["Alpha"], "$55": ["Beta"], "$51": ["Gamma"]}
    # The union's dues ($30 per month) are a sum for each, but no one receives them.
    assert all("$30" not in sides for sides in about.values())
    # The timeline shows the date disagreement, not the sums.
    assert [c.about for c in timeline(case_index).conflicts] == ["the date the suit was filed"]
    # Most central first: the sum three sources give before the date two give.
    assert [c.about for c in claims.case_disagreements(case_index)] == [
        "the sum each one receives", "the date the suit was filed"
    ]


def test_a_source_that_gives_both_values_tells_a_change_not_a_disagreement(make_corpus):
    directory = make_corpus({
        "a.md": article(outlet="Alpha", paragraphs=["Meta settled a $550 million lawsuit over face scans."]),
        "b.md": article(outlet="Beta", paragraphs=["A judge approved a $650 million settlement on Friday."]),
        "c.md": article(outlet="Gamma", paragraphs=[
            "Meta added $100 million to its initial $550 million settlement.",
            "The new $650 million settlement was approved.",
        ]),
    })
    assert claims.case_disagreements(build_index(load_corpus(directory))) == ()
    # Without the source that tells the change, the two reports disagree.
    (directory / "c.md").unlink()
    (conflict,) = claims.case_disagreements(build_index(load_corpus(directory)))
    assert _sides(conflict) == {"$550,000,000": ["Alpha"], "$650,000,000": ["Beta"]}


def test_dates_of_two_steps_are_two_events_whatever_words_they_share(make_corpus):
    # Why: the filing and a ruling on the same suit share the court's city and "federal";
    # read by their words alone, the ruling's Monday and the filing's Tuesday disagreed.
    directory = make_corpus({
        "a.md": article(outlet="Alpha", published="2024-03-12", paragraphs=[
            "Residents filed the lawsuit Tuesday, March 12, in federal court in Grand Rapids.",
        ]),
        "b.md": article(outlet="Beta", published="2024-09-24", paragraphs=[
            "GRAND RAPIDS — A federal judge on Monday refused to throw out the residents' lawsuit.",
        ]),
    })
    assert claims.case_disagreements(build_index(load_corpus(directory))) == ()


def _sentence(index, source_id, needle):
    return next(
        s
        for p in index.passages
        if p.source_id == source_id
        for s in claims.sentences_of(index, p)
        if needle in s.text
    )


def test_an_answer_quoting_a_value_in_a_role_shows_the_cases_disagreement_on_it(case_index):
    # Why: an answer quoting "$40 each" must say that others report $55 and $51, though
    # the three sentences share no word but the sum's; and two quoted sentences giving the
    # filing year differently disagree on what "when" asked.
    paid = _sentence(case_index, "a", "$40 each")
    (conflict,) = [c for c, _ in claims.disagreements(case_index, paid, []) if c.about == "the sum each one receives"]
    assert set(_sides(conflict)) == {"$40", "$55", "$51"}
    opened, year = _sentence(case_index, "a", "opened in 2021"), _sentence(case_index, "b", "2022 lawsuit")
    (asked,) = claims.asked_conflicts(case_index, [opened, year], "date")
    assert _sides(asked) == {"2021": ["Alpha"], "2022": ["Beta"]}


def test_the_timeline_shows_a_disagreement_told_in_another_telling_of_an_event(make_corpus):
    # Why: an event told twice by one source ("sued … on Monday", "The complaint, filed
    # March 11, …") is listed once; the disagreement the second telling holds (1,200
    # households against another source's 1,500) is about that event all the same.
    directory = make_corpus({
        "a.md": article(outlet="Alpha", published="2024-03-12", paragraphs=[
            "The town of Brill sued Harbor Lines on Monday over its wells.",
            "The complaint, filed March 11, says about 1,200 households rely on private wells.",
        ]),
        "b.md": article(outlet="Beta", published="2024-03-14", paragraphs=[
            "Roughly 1,500 households that rely on private wells could be affected, the town said.",
        ]),
    })
    view = timeline(build_index(load_corpus(directory)))
    assert [e.when for e in view.events] == ["2024-03-11"]
    assert [_sides(c) for c in view.conflicts] == [{"1,200 households": ["Alpha"], "1,500 households": ["Beta"]}]
