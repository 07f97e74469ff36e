"""Many cases in one deployment, through the desk: which case answers (a test per route,
each checking that no answer quotes another case's sources), every command per case, and
reloads that rebuild only the cases that changed."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import builder
from bot.choices import choice_value
from bot.desk import Caller, Desk
from bot.settings import Settings
from retrieval.index import build_index
from retrieval.model import Answer
from tests.support.alert_corpus import REFILED, WITHDRAWN
from tests.support.cases import source_ids, write_cases
from tests.support.intake_pages import news_page
from tests.support.intake_server import Route, Site, serve
from tests.support.old_database import ANSWER_ID, database_of_schema_3
from tests.support.queries import queries_with

ADMIN = Caller("slack", "UADMIN", is_admin=True, channel_id="C1")
MEMBER = Caller("slack", "UMEMBER", is_admin=False, channel_id="C1")
IN_THREAD = Caller("slack", "UMEMBER", is_admin=False, channel_id="C1", thread_id="C1:1.0")
NAMES = {"linkedin": "De La Torre v. LinkedIn", "parcelo": "Okafor v. Parcelo",
         "kessling": "Kessling v. Ardent Polymers"}  # fmt: skip


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_cases(tmp_path, ("linkedin", "parcelo", "kessling"))


@pytest.fixture
async def open_desk(
    corpus: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Awaitable[Desk]]]:
    """`await open_desk(**settings)`: a desk over the three cases (closed after the test)."""
    opened: list[Desk] = []

    async def open_(*, queries: Any = None, **overrides: Any) -> Desk:
        settings = make_settings(corpus_dir=corpus, **overrides)
        desk = await (Desk.open(settings, queries=queries) if queries else Desk.open(settings))
        opened.append(desk)
        return desk

    yield open_
    for desk in opened:
        await desk.close()


@pytest.fixture
async def desk(open_desk: Callable[..., Awaitable[Desk]]) -> Desk:
    return await open_desk()


def quoted_sources(answer: Answer) -> set[str]:
    """Every source an answer quotes or names: quotes, "also reported by", timeline
    events, disagreements, listings."""
    quotes = [*answer.quotes, *(event.quote for event in answer.events)]
    found = {quote.source.id for quote in quotes}
    found |= {source.id for quote in quotes for source in quote.also_in}
    found |= {s.id for conflict in answer.conflicts for v in conflict.values for s in v.sources}
    found |= {summary.source.id for summary in answer.sources}
    return found


def assert_only_from(answer: Answer, corpus: Path, case: str) -> None:
    """The answer names its case and quotes that case's sources, and no other's."""
    assert answer.case == NAMES[case], answer
    assert quoted_sources(answer), answer
    assert quoted_sources(answer) <= source_ids(corpus, case)


# --- which case answers: a test per route ------------------------------------------------

# Questions every case's articles have words for: answered from the wrong case, they
# would quote it.
QUESTION = "who is suing?"


@pytest.mark.parametrize("case", ["linkedin", "parcelo"])
async def test_route_a_case_named_in_the_command(desk: Desk, corpus: Path, case: str) -> None:
    for text in (f"ask {case}: {QUESTION}", f"{NAMES[case]}: {QUESTION}"):
        reply = await desk.handle(text, MEMBER)
        assert_only_from(reply.answer, corpus, case)
    for command in ("status", "timeline", "sources"):
        assert_only_from((await desk.handle(f"{command} {case}", MEMBER)).answer, corpus, case)


@pytest.mark.parametrize("case", ["linkedin", "parcelo"])
async def test_route_a_case_named_outside_the_text(desk: Desk, corpus: Path, case: str) -> None:
    # A Discord option, `casebot --case`: it wins over the channel's case.
    await desk.handle("use kessling", ADMIN)
    for text in (QUESTION, "status", "timeline"):
        assert_only_from((await desk.handle(text, MEMBER, case=case)).answer, corpus, case)


@pytest.mark.parametrize(
    ("question", "case"),
    [
        ("who is suing LinkedIn?", "linkedin"),
        ("what did Parcelo say about the lawsuit?", "parcelo"),
        ("who is the judge in the tips case?", "parcelo"),
        ("what did Calloway Industries say?", "kessling"),
    ],
)
async def test_route_a_case_the_question_names(
    desk: Desk, corpus: Path, question: str, case: str
) -> None:
    other = "kessling" if case != "kessling" else "linkedin"
    await desk.handle(f"use {other}", ADMIN)  # the question's own case wins
    assert_only_from((await desk.handle(question, MEMBER)).answer, corpus, case)


@pytest.mark.parametrize("case", ["linkedin", "parcelo"])
async def test_route_the_threads_case(desk: Desk, corpus: Path, case: str) -> None:
    first = await desk.handle(f"who is suing {'LinkedIn' if case == 'linkedin' else 'Parcelo'}?", IN_THREAD)
    assert_only_from(first.answer, corpus, case)
    follow_up = await desk.handle("and when was that?", IN_THREAD)
    assert_only_from(follow_up.answer, corpus, case)
    assert follow_up.answer.notes[0].startswith("Read as a follow-up to")
    # A question of its own in the thread stays with the thread's case too.
    own = await desk.handle("where was the lawsuit filed?", IN_THREAD)
    assert_only_from(own.answer, corpus, case)


@pytest.mark.parametrize("case", ["linkedin", "parcelo"])
async def test_route_the_channels_case(desk: Desk, corpus: Path, case: str) -> None:
    chosen = await desk.handle(f"use {case}", ADMIN)
    assert chosen.answer.text.startswith(f"This channel's case is now {NAMES[case]}")
    for text in (QUESTION, "status", "timeline", "sources"):
        assert_only_from((await desk.handle(text, MEMBER)).answer, corpus, case)
    # Another channel has no case of its own: asked which.
    elsewhere = Caller("slack", "UMEMBER", is_admin=False, channel_id="C2")
    assert (await desk.handle(QUESTION, elsewhere)).answer.kind == "choose"


async def test_route_the_only_case(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    corpus = write_cases(tmp_path, ("parcelo",))  # a folder of one case: named by case.toml
    desk = await Desk.open(make_settings(corpus_dir=corpus))
    try:
        for text in (QUESTION, "status", "timeline"):
            assert_only_from((await desk.handle(text, MEMBER)).answer, corpus, "parcelo")
    finally:
        await desk.close()


@pytest.mark.parametrize("case", ["linkedin", "parcelo"])
async def test_route_a_case_chosen_when_asked_which(desk: Desk, corpus: Path, case: str) -> None:
    reply = await desk.handle(QUESTION, MEMBER)
    assert reply.answer.kind == "choose" and not reply.public
    assert reply.choice is not None
    assert [o.case_id for o in reply.choice.options] == ["kessling", "linkedin", "parcelo"]
    assert {o.name for o in reply.choice.options} == set(NAMES.values())
    answered = await desk.choose(MEMBER, choice_value(reply.choice.token, case))
    assert answered.public and answered.feedback_id is not None
    assert_only_from(answered.answer, corpus, case)
    assert answered.answer.question == QUESTION


async def test_a_question_naming_two_cases_offers_those_two(desk: Desk) -> None:
    reply = await desk.handle("did LinkedIn or Parcelo settle?", MEMBER)
    assert reply.choice is not None
    assert [o.case_id for o in reply.choice.options] == ["linkedin", "parcelo"]
    assert "names more than one" in reply.answer.text


async def test_a_choice_is_the_askers_once_and_for_one_of_the_cases_offered(desk: Desk) -> None:
    reply = await desk.handle("did LinkedIn or Parcelo settle?", MEMBER)
    assert reply.choice is not None
    token = reply.choice.token
    stranger = Caller("slack", "USTRANGER", is_admin=False, channel_id="C1")
    refused = await desk.choose(stranger, choice_value(token, "linkedin"))
    assert refused.answer.kind == "refused" and "person who asked" in refused.answer.text
    wrong = await desk.choose(MEMBER, choice_value(token, "kessling"))
    assert wrong.answer.kind == "refused"
    again = await desk.handle("did LinkedIn or Parcelo settle?", MEMBER)
    assert again.choice is not None
    assert (await desk.choose(MEMBER, choice_value(again.choice.token, "parcelo"))).answer.case
    twice = await desk.choose(MEMBER, choice_value(again.choice.token, "parcelo"))
    assert twice.answer.kind == "refused" and "ask it again" in twice.answer.text
    forged = await desk.choose(MEMBER, "cbcase:nonsense")
    assert forged.answer.kind == "refused"


async def test_an_unknown_case_is_refused_with_the_cases(desk: Desk) -> None:
    for text, case in (("status nosuch", None), (QUESTION, "nosuch")):
        answer = (await desk.handle(text, MEMBER, case=case)).answer
        assert answer.kind == "refused"
        assert "nosuch" in answer.text and "kessling, linkedin, parcelo" in answer.text


# --- every command per case --------------------------------------------------------------


async def test_cases_lists_each_case_with_its_articles_and_latest_development(
    desk: Desk,
) -> None:
    await desk.handle("use parcelo", ADMIN)
    reply = await desk.handle("cases", MEMBER)
    assert reply.public and reply.answer.text == "casebot follows 3 cases:"
    kessling, linkedin, parcelo, here = reply.answer.notes
    assert linkedin.startswith("De La Torre v. LinkedIn (linkedin) — Premium InMail")
    assert "5 articles; latest: “" in linkedin and "(The Register, " in linkedin
    assert parcelo.startswith("Okafor v. Parcelo (parcelo)") and "latest: “" in parcelo
    assert here == "This channel's case (`/case use`): Okafor v. Parcelo (parcelo)."


async def test_use_is_for_admins_and_channel_managers_audited_and_anyone_in_a_dm(
    desk: Desk,
) -> None:
    refused = await desk.handle("use parcelo", MEMBER)
    assert refused.answer.kind == "refused"
    manager = Caller("discord", "1", is_admin=False, channel_id="9", manages_channel=True)
    assert (await desk.handle("use parcelo", manager)).answer.case == NAMES["parcelo"]
    in_dm = Caller("slack", "UMEMBER", is_admin=False, channel_id="D1", private=True)
    assert (await desk.handle("use linkedin", in_dm)).answer.case == NAMES["linkedin"]
    audit = await desk.store.recent_audit(3)
    assert [(a.command, a.allowed, a.case_id) for a in audit] == [
        ("use", True, "linkedin"), ("use", True, "parcelo"), ("use", False, None)
    ]  # fmt: skip
    cleared = await desk.handle("use none", manager)
    assert cleared.answer.text.startswith("This channel has no case of its own now")


async def test_every_answer_names_its_case_and_help_shows_how_to_name_one(desk: Desk) -> None:
    for text in ("status kessling", "timeline kessling", "sources kessling", "ask kessling: who sued?"):
        assert (await desk.handle(text, MEMBER)).answer.case == NAMES["kessling"]
    help_text = "\n".join((await desk.handle("help", MEMBER)).answer.notes)
    assert "/case ask [case:] <question>" in help_text and "/case use <case>" in help_text


async def test_a_channel_follows_several_cases_and_alerts_name_theirs(
    open_desk: Callable[..., Awaitable[Desk]], corpus: Path
) -> None:
    desk = await open_desk(alert_retry_seconds=0)
    poster = _Recorder()
    desk.alerts.attach(poster)
    assert (await desk.handle("follow linkedin", ADMIN)).answer.text.startswith(
        "This channel now follows De La Torre v. LinkedIn"
    )
    await desk.handle("follow parcelo", ADMIN)
    other = Caller("slack", "UADMIN", is_admin=True, channel_id="C2")
    await desk.handle("follow kessling", other)
    following = (await desk.handle("following", ADMIN)).answer.notes
    assert len(following) == 3 and following[0].endswith("De La Torre v. LinkedIn (linkedin)")
    # News in one case: posted, naming it, only where that case is followed.
    # Refiled on March 3, 2025: later than anything the bundled case has.
    (corpus / "linkedin" / "delta.md").write_text(REFILED["delta.md"])
    report = await desk.handle("reload", ADMIN)
    assert report.answer.kind == "reload"
    assert any(line.startswith("De La Torre v. LinkedIn (linkedin): reloaded") for line in report.answer.notes)
    await desk.alerts.idle()
    ((channel, alert),) = poster.sent
    assert channel == "C1" and alert.case == NAMES["linkedin"]
    assert alert.text.startswith("A new development in De La Torre v. LinkedIn")
    assert "`/case status linkedin`" in alert.notes[-1]
    assert {q.source.id for q in alert.quotes} == {"delta"}
    # Unfollow names its case, or the only one the channel follows.
    assert (await desk.handle("unfollow", other)).answer.text == (
        "This channel no longer follows Kessling v. Ardent Polymers."
    )
    asked = await desk.handle("unfollow", ADMIN)  # C1 follows two: which?
    assert asked.choice is not None
    assert [o.case_id for o in asked.choice.options] == ["linkedin", "parcelo"]


async def test_reload_one_case_or_all_and_report_per_case_and_in_total(
    open_desk: Callable[..., Awaitable[Desk]], corpus: Path
) -> None:
    built: list[str] = []

    def counting(loaded: Any) -> Any:
        built.append(Path(loaded.directory).name)
        return build_index(loaded)

    desk = await open_desk(queries=queries_with(build=counting))
    assert sorted(built) == ["kessling", "linkedin", "parcelo"]
    built.clear()
    await desk.handle("ask parcelo: who is suing?", MEMBER)
    await desk.handle("ask linkedin: who is suing?", MEMBER)
    # Nothing changed: nothing is built again.
    unchanged = await desk.handle("reload", ADMIN)
    assert built == [] and unchanged.answer.notes == ("3 cases unchanged.",)
    assert unchanged.answer.text == "Reloaded: 3 unchanged. 3 cases served."
    # One case's article changed: only that case is built again.
    article = next((corpus / "parcelo").glob("*.md"))
    article.write_text(article.read_text() + "\nThe couriers' lawyers declined to comment.\n")
    (corpus / "kessling" / "extra.md").write_text(WITHDRAWN["beta.md"])
    one = await desk.handle("reload parcelo", ADMIN)
    assert built == ["parcelo"] and one.answer.text == "Reloaded: 1 changed. 3 cases served."
    assert one.answer.notes[0].startswith("Okafor v. Parcelo (parcelo): reloaded, 5 articles")
    everything = await desk.handle("reload", ADMIN)
    assert built == ["parcelo", "kessling"]
    assert "2 cases unchanged." in everything.answer.notes
    total = (await desk.handle("report", ADMIN)).answer
    # One question asked of each (answered or declined, as the sources allow).
    for named in ("Okafor v. Parcelo (parcelo)", "De La Torre v. LinkedIn (linkedin)"):
        assert {f"  {named}: 1 / 0", f"  {named}: 0 / 1"} & set(total.notes)
    assert not any("Kessling" in line for line in total.notes)
    one_case = (await desk.handle("report parcelo 7", ADMIN)).answer
    assert one_case.text.startswith("Okafor v. Parcelo: Since ")
    assert "1 question answered" in one_case.text


async def test_a_reload_builds_every_large_case_in_one_child_each_from_its_own_files(
    desk: Desk, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder, "CHILD_PROCESS_BYTES", -1)  # every case is "large"
    spawned: list[tuple[object, ...]] = []
    spawn = asyncio.create_subprocess_exec

    async def counting(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        spawned.append(args)
        return await spawn(*args, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", counting)
    for case in ("linkedin", "parcelo", "kessling"):
        (corpus / case / "extra.md").write_text(WITHDRAWN["beta.md"])
    (corpus / "kessling" / "broken.md").write_text("no front matter\n")
    before = desk.docket.cases["kessling"].index
    report = (await desk.handle("reload", ADMIN)).answer
    assert report.text.startswith("Reload: 1 failed, 2 changed;"), report.text
    assert len(spawned) == 1
    assert desk.docket.cases["kessling"].index is before
    for case in ("linkedin", "parcelo"):
        assert "extra" in desk.docket.cases[case].index.sources
        answer = (await desk.handle(f"ask {case}: {QUESTION}", MEMBER)).answer
        assert_only_from(answer, corpus, case)


async def test_a_new_case_folder_appears_and_a_removed_one_goes_with_its_follows_reported(
    desk: Desk, corpus: Path
) -> None:
    await desk.handle("follow kessling", ADMIN)
    shutil.rmtree(corpus / "kessling")
    fifty = write_cases(corpus.parent / "more", ("kessling",))
    shutil.move(fifty / "kessling", corpus / "ardent")
    report = (await desk.handle("reload", ADMIN)).answer
    assert report.kind == "reload"
    assert "Kessling v. Ardent Polymers (ardent): new case, 6 articles, " in "\n".join(report.notes)
    assert "kessling: removed (its folder is gone)." in report.notes
    assert "  1 channel followed it and will get nothing until it is back: slack C1." in report.notes
    assert desk.docket.ids == ("ardent", "linkedin", "parcelo")
    assert report.text == "Reloaded: 1 new, 1 removed, 2 unchanged. 3 cases served."
    # "Kessling" is now a party of the case in ardent/.
    assert (await desk.handle("status kessling", MEMBER)).answer.case == NAMES["kessling"]
    following = (await desk.handle("following", ADMIN)).answer.notes
    assert following[0].endswith("kessling (not served now)")


async def test_a_broken_case_keeps_its_snapshot_and_the_others_reload(
    desk: Desk, corpus: Path
) -> None:
    before = desk.docket.cases["parcelo"].index
    (corpus / "parcelo" / "broken.md").write_text("no front matter\n")
    (corpus / "linkedin" / "beta.md").write_text(WITHDRAWN["beta.md"])
    report = (await desk.handle("reload", ADMIN)).answer
    assert report.kind == "error"
    assert report.text == (
        "Reload: 1 failed, 1 changed, 1 unchanged; a case that failed keeps what it had. "
        "3 cases served."
    )
    lines = "\n".join(report.notes)
    assert "Okafor v. Parcelo (parcelo): failed; still serving what it had" in lines
    assert "parcelo/broken.md: has no front matter" in lines
    assert "De La Torre v. LinkedIn (linkedin): reloaded, 6 articles" in lines
    assert desk.docket.cases["parcelo"].index is before
    assert (await desk.handle("status parcelo", MEMBER)).answer.kind == "status"
    failed = (await desk.store.recent_loads(1))[0]
    assert (failed.case_id, failed.result) == ("parcelo", "failed")


async def test_a_broken_case_at_start_does_not_stop_the_others(
    corpus: Path, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    (corpus / "kessling" / "case.toml").write_text("aliases = 3\n")
    desk = await Desk.open(make_settings(corpus_dir=corpus))
    try:
        assert desk.docket.ids == ("linkedin", "parcelo")
        assert "case kessling could not be loaded: kessling/case.toml: " in caplog.text
        loads = await desk.store.recent_loads(10)
        assert ("kessling", "failed") in {(load.case_id, load.result) for load in loads}
    finally:
        await desk.close()


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({"/story": Route(body=news_page().encode())}) as running:
        yield running


async def test_add_goes_into_the_case_named_or_the_channels_and_remove_finds_its_case(
    open_desk: Callable[..., Awaitable[Desk]], corpus: Path, site: Site
) -> None:
    desk = await open_desk(fetch_private=True)
    asked = await desk.handle(f"add {site.url('/story')}", ADMIN)
    assert asked.choice is not None  # no case named, none for the channel
    before = source_ids(corpus, "parcelo")
    preview = await desk.handle(f"add parcelo: {site.url('/story')}", ADMIN)
    assert preview.answer.kind == "preview" and preview.confirm_token is not None
    done = await desk.intake.confirm(ADMIN, preview.confirm_token, accept=True)
    assert done.kind == "reload" and done.case == NAMES["parcelo"]
    (new_id,) = source_ids(corpus, "parcelo") - before
    assert new_id in desk.docket.cases["parcelo"].index.sources
    assert len(source_ids(corpus, "linkedin")) == 5  # nothing went into another case
    # The source is in one case only: remove finds it there.
    removed = await desk.handle(f"remove {new_id}", ADMIN)
    assert removed.answer.kind == "reload" and removed.answer.case == NAMES["parcelo"]
    assert new_id not in desk.docket.cases["parcelo"].index.sources


class _Recorder:
    platform = "slack"

    def __init__(self) -> None:
        self.sent: list[tuple[str, Answer]] = []

    async def post_alert(self, channel_id: str, answer: Answer) -> None:
        self.sent.append((channel_id, answer))



# --- today's corpus and database -----------------------------------------------------------


async def test_todays_database_works_unchanged_with_todays_corpus(
    tmp_path: Path, seed_corpus_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    corpus = Path(shutil.copytree(seed_corpus_dir, tmp_path / "corpus"))
    database_of_schema_3(tmp_path / "casebot.db")
    desk = await Desk.open(make_settings(corpus_dir=corpus, alert_retry_seconds=0))
    try:
        poster = _Recorder()
        desk.alerts.attach(poster)
        assert not desk.docket.several and desk.docket.ids == ("corpus",)
        # The channel that followed still does, and the case's mark is kept: news after
        # it reaches the channel, the old corpus brings none.
        following = await desk.handle("following", ADMIN)
        assert following.answer.text == "1 channel follows the case:"
        (corpus / "delta.md").write_text(REFILED["delta.md"])
        assert (await desk.handle("reload", ADMIN)).answer.text.startswith("Reloaded the corpus")
        await desk.alerts.idle()
        ((channel, alert),) = poster.sent
        assert channel == "C1" and alert.case is None
        assert alert.text == "A new development in the case, as the sources report it:"
        # The feedback buttons of an answer given before still work, and the report
        # counts that answer.
        thanks = await desk.vote(MEMBER, f"cbfb:{ANSWER_ID}:up")
        assert thanks.answer.kind == "answer"
        report = (await desk.handle("report 3650", ADMIN)).answer
        assert report.text.endswith(": 1 question answered, 0 declined.")
        # Answers name no case, as before.
        assert (await desk.handle("who is suing LinkedIn?", MEMBER)).answer.case is None
    finally:
        await desk.close()


async def test_todays_database_under_several_cases_keeps_its_follows_apart(
    corpus: Path, make_settings: Callable[..., Settings]
) -> None:
    database_of_schema_3(corpus.parent / "casebot.db")
    desk = await Desk.open(make_settings(corpus_dir=corpus))
    try:
        (line,) = (await desk.handle("following", ADMIN)).answer.notes
        assert "a case from before casebot served several (follow again to choose one)" in line
    finally:
        await desk.close()


async def test_a_case_reloaded_by_name_whose_folder_is_gone_goes(desk: Desk, corpus: Path) -> None:
    shutil.rmtree(corpus / "kessling")
    report = (await desk.handle("reload kessling", ADMIN)).answer
    assert report.notes == ("kessling: removed (its folder is gone).",)
    assert desk.docket.ids == ("linkedin", "parcelo")
