"""Three `casebot serve` replicas on one PostgreSQL database, against the fake Slack (HTTP
mode, the tests choosing the replica as a load balancer would) and the fake Discord.

The tests run in order on one cluster (starting three servers costs tens of seconds on the
shared machine); the last ones kill replicas and restart the database. The issue's full
numbers (600 Slack questions, 200 Discord mentions) and the latency beside one process
are in tests/bench/bench_replicas.py; here, fewer of each.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests.support.corpora import article
from tests.support.fake_discord import snowflake, user_payload
from tests.support.intake_server import Route, serve
from tests.support.replicas import ADMIN, Cluster, running_cluster, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SLACK_QUESTIONS = 60
DISCORD_MENTIONS = 20
QUESTIONS = ("Who is suing LinkedIn?", "How much are plaintiffs asking per user?",
             "Where was the lawsuit filed?", "What is LinkedIn accused of?")  # fmt: skip
FOLLOWERS = [f"CFOLLOW{n}" for n in range(5)]
# A grace period after the last answer, for a duplicate to show up if there were one.
GRACE = 3.0


def news(day: str) -> str:
    """An article bringing a development dated `day` (2026), later than the seed corpus's."""
    return article(
        title=f"LinkedIn sued again ({day})", outlet="Delta Wire", published=f"2026-11-{day}",
        paragraphs=["The plaintiff refiled the lawsuit against LinkedIn in state court today."],
    )  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any):
    def servers(discord: Any) -> tuple[Any, int, None]:
        guild = discord.add_guild()
        return guild, guild.add_channel("general").id, None

    # One try per alert, so a claim of a killed replica lapses within 20 s.
    settings = {"CASEBOT_ALERT_ATTEMPTS": "1", "CASEBOT_LOG_LEVEL": "INFO"}
    work = tmp_path_factory.mktemp("replicas")
    async with running_cluster(work, postgres_server, servers=servers, settings=settings) as (found, _):
        await found.holder()
        yield found


def _members(cluster: Cluster, count: int) -> list[dict[str, Any]]:
    users = [user_payload(snowflake(), f"member{n}") for n in range(count)]
    for user in users:
        cluster.guild.add_member(user)
    return users


async def test_questions_spread_over_the_replicas_are_each_answered_once(cluster: Cluster) -> None:
    replicas = cluster.replicas
    sent: list[tuple[str, str]] = []  # ("slash", key) or ("mention", ts)
    limit = asyncio.Semaphore(10)

    async def ask(number: int) -> None:
        replica = replicas[number % 3]  # round-robin, as a load balancer
        user, question = f"UQ{number % 20:07d}", QUESTIONS[number % len(QUESTIONS)]
        async with limit:
            if number % 2:
                sent.append(("slash", await cluster.slash(replica, f"ask {question}", user=user)))
            else:
                sent.append(("mention", await cluster.mention(replica, question, user=user)))

    await asyncio.gather(*(ask(n) for n in range(SLACK_QUESTIONS)))

    def answers(kind: str, key: str) -> list[Any]:
        return cluster.answers_to(key) if kind == "slash" else cluster.replies_in_thread(key)

    await until(lambda: all(answers(*s) for s in sent), what="every Slack answer")
    users = _members(cluster, 10)
    mentions = []
    for number in range(DISCORD_MENTIONS):
        mentions.append(await cluster.discord_mention(users[number % 10], QUESTIONS[number % 4]))
    await until(lambda: all(cluster.discord_answers(m) for m in mentions), what="Discord answers")
    await asyncio.sleep(GRACE)

    assert Counter(len(answers(*s)) for s in sent) == {1: SLACK_QUESTIONS}
    texts = [str(answers(*s)[0].payload) for s in sent]
    assert not [t for t in texts if "went wrong" in t or "asking faster" in t]
    assert Counter(len(cluster.discord_answers(m)) for m in mentions) == {1: DISCORD_MENTIONS}
    # Every replica answered its share (each request's line names its command).
    for replica in replicas:
        assert replica.log().count("ask answer from slack") + replica.log().count(
            "ask no_answer from slack"
        ) >= SLACK_QUESTIONS // 3


async def test_a_redelivery_to_another_replica_is_answered_once(cluster: Cluster) -> None:
    first, second, _ = cluster.replicas
    ts = await cluster.mention(first, "Who is suing LinkedIn?", user="UREDELIVER")
    # Slack thought the first delivery timed out; the balancer sends the retry elsewhere.
    await cluster.mention(second, "Who is suing LinkedIn?", user="UREDELIVER", ts=ts, retry=1)
    await until(lambda: cluster.replies_in_thread(ts), what="the answer")
    await asyncio.sleep(GRACE)
    assert len(cluster.replies_in_thread(ts)) == 1


async def test_a_follow_up_in_a_thread_is_read_on_another_replica(cluster: Cluster) -> None:
    first, second, third = cluster.replicas
    ts = await cluster.mention(first, "Who is suing LinkedIn?", user="UTHREAD01")
    await until(lambda: cluster.replies_in_thread(ts), what="the first answer")
    await cluster.mention(second, "and when was that?", user="UTHREAD01", thread_ts=ts)
    await until(lambda: len(cluster.replies_in_thread(ts)) == 2, what="the follow-up's answer")
    follow_up = str(cluster.replies_in_thread(ts)[1].payload)
    assert "Read as a follow-up to “Who is suing LinkedIn?”" in follow_up
    # Another follow-up on the third replica reads the same question.
    await cluster.mention(third, "source?", user="UTHREAD01", thread_ts=ts)
    await until(lambda: len(cluster.replies_in_thread(ts)) == 3, what="the second follow-up")
    assert "Read as a follow-up to “Who is suing LinkedIn?”" in str(
        cluster.replies_in_thread(ts)[2].payload
    )


async def test_a_persons_rate_limit_holds_across_replicas(cluster: Cluster) -> None:
    # The shipped limit: 20 a minute. Each replica alone would let all 27 through.
    keys = []
    for number in range(27):
        replica = cluster.replicas[number % 3]
        keys.append(await cluster.slash(replica, "ask who is suing?", user="UFLOODER1"))
    await until(lambda: all(cluster.answers_to(k) for k in keys), what="every reply")
    limited = [k for k in keys if "asking faster" in str(cluster.answers_to(k)[0].payload)]
    assert len(limited) == 7


async def test_an_add_preview_made_on_one_replica_is_added_on_another(cluster: Cluster) -> None:
    first, second, _ = cluster.replicas
    page = (
        "<html><head><title>LinkedIn case update</title>"
        '<meta property="og:site_name" content="Epsilon Post">'
        '<meta property="article:published_time" content="2025-02-14"></head><body><article>'
        "<h1>LinkedIn case update</h1>"
        + "".join(
            f"<p>Paragraph {n} says the LinkedIn privacy lawsuit over Premium InMail messages "
            "continues in federal court in San Jose, with both sides filing briefs.</p>"
            for n in range(6)
        )
        + "</article></body></html>"
    ).encode()
    versions = {(await r.readyz())[1]["corpus"]["version"] for r in cluster.replicas}
    assert len(versions) == 1
    with serve({"/update": Route(body=page)}) as site:
        key = await cluster.slash(first, f"add {site.url('/update')}", user=ADMIN)
        await until(lambda: cluster.answers_to(key), what="the preview")
    preview = cluster.answers_to(key)[0].payload
    assert "This is what add would write" in str(preview)
    # Someone else's click on another replica finds no preview of theirs, and leaves it.
    stranger = await cluster.click(second, preview, "Add", user="UMEMBER01")
    await until(lambda: cluster.answers_to(stranger), what="the refusal")
    assert "no preview of yours" in str(cluster.answers_to(stranger)[0].payload)
    click = await cluster.click(second, preview, "Add", user=ADMIN)
    await until(lambda: cluster.answers_to(click), what="the outcome")
    assert "Added " in str(cluster.answers_to(click)[0].payload)
    # Clicked again (on the first replica): it was taken once.
    again = await cluster.click(first, preview, "Add", user=ADMIN)
    await until(lambda: cluster.answers_to(again), what="the second outcome")
    assert "no preview of yours" in str(cluster.answers_to(again)[0].payload)
    # Every replica reloaded: one new version everywhere.
    await until_versions_agree(cluster, other_than=versions)


async def until_versions_agree(cluster: Cluster, other_than: set[str] = frozenset()) -> str:
    deadline = time.monotonic() + 120
    while True:
        live = [r for r in cluster.replicas if r.process.returncode is None]
        versions = {(await r.readyz())[1].get("corpus", {}).get("version") for r in live}
        if len(versions) == 1 and not versions & set(other_than) and None not in versions:
            return versions.pop()
        assert time.monotonic() < deadline, f"versions never agreed: {versions}"
        await asyncio.sleep(0.2)


async def _follow(cluster: Cluster) -> None:
    for number, channel in enumerate(FOLLOWERS):
        replica = cluster.replicas[number % 3]
        key = await cluster.slash(replica, "follow", user=ADMIN, channel=channel)
        await until(lambda key=key: cluster.answers_to(key), what="follow")
        assert "follows" in str(cluster.answers_to(key)[0].payload)


async def test_a_reload_on_one_replica_posts_each_alert_once(cluster: Cluster) -> None:
    await _follow(cluster)
    before = await until_versions_agree(cluster)
    (cluster.corpus / "delta-1103.md").write_text(news("03"), encoding="utf-8")
    key = await cluster.slash(cluster.replicas[0], "reload", user=ADMIN)
    await until(lambda: cluster.answers_to(key), what="the reload's report")
    await until_versions_agree(cluster, other_than={before})
    await until(lambda: all(cluster.posts_to(c) for c in FOLLOWERS), what="every alert")
    await asyncio.sleep(GRACE * 2)
    assert {c: len(cluster.posts_to(c)) for c in FOLLOWERS} == dict.fromkeys(FOLLOWERS, 1)


async def test_alerts_survive_a_replica_killed_while_posting(cluster: Cluster) -> None:
    counts = {c: len(cluster.posts_to(c)) for c in FOLLOWERS}
    cluster.slack.slow, cluster.slack.delay = set(FOLLOWERS), 4.0
    try:
        (cluster.corpus / "delta-1120.md").write_text(news("20"), encoding="utf-8")
        key = await cluster.slash(cluster.replicas[1], "reload", user=ADMIN)
        await until(lambda: cluster.answers_to(key), what="the reload's report")
        # Alerts are being posted (slowly) by whichever replicas claimed them: kill one.
        await asyncio.sleep(1.5)
        victim = cluster.replicas[2]
        victim.kill()
        await victim.process.wait()
    finally:
        cluster.slack.slow = set()
    # Its claims lapse (20 s, one try each) and the others post what it held.
    await until(
        lambda: all(len(cluster.posts_to(c)) > counts[c] for c in FOLLOWERS),
        timeout=180, what="every alert after the kill",
    )  # fmt: skip
    await asyncio.sleep(GRACE * 2)
    new = {c: len(cluster.posts_to(c)) - counts[c] for c in FOLLOWERS}
    # Once each; twice at most where the killed replica's post reached Slack before it
    # could record it (the single-process duplicate).
    assert all(1 <= n <= 2 for n in new.values()), new
    print(f"alerts per channel after a replica was killed mid-post: {new}")
    # A replica started late serves the same corpus version as the others.
    late = await cluster.start("replica-late")
    await late.ready()
    await until_versions_agree(cluster)


async def test_the_gateway_moves_to_another_replica_when_its_holder_is_killed(
    cluster: Cluster,
) -> None:
    users = _members(cluster, 3)
    holder = await cluster.holder()
    holder.kill()
    killed_at = time.monotonic()
    await holder.process.wait()
    # Mentions sent while no replica holds the gateway: never answered twice.
    meanwhile = [await cluster.discord_mention(users[0], "Who is suing LinkedIn?")]
    successor = await cluster.holder(timeout=15.0)
    taken_after = time.monotonic() - killed_at
    assert successor is not holder
    assert taken_after < 15.0, taken_after
    after = [await cluster.discord_mention(users[n % 3], QUESTIONS[n % 4]) for n in range(6)]
    await until(lambda: all(cluster.discord_answers(m) for m in after), what="answers")
    await asyncio.sleep(GRACE)
    assert [len(cluster.discord_answers(m)) for m in after] == [1] * 6
    assert all(len(cluster.discord_answers(m)) <= 1 for m in meanwhile)
    print(f"gateway taken over {taken_after:.1f} s after the holder was killed")


async def test_replicas_ride_out_a_database_restart_under_load(
    cluster: Cluster, postgres_server: Any
) -> None:
    live = [r for r in cluster.replicas if r.process.returncode is None]
    connection = await asyncpg.connect(cluster.database_url)
    try:
        follows = sorted(await connection.fetch("SELECT platform, channel_id FROM follows"))
        answers = await connection.fetchval("SELECT count(*) FROM answers")
    finally:
        await connection.close()
    sent: list[tuple[str, str]] = []
    stop = asyncio.Event()

    async def load() -> None:
        number = 0
        while not stop.is_set():
            replica = live[number % len(live)]
            user = f"URESTART{number % 30:02d}"
            sent.append(("slash", await cluster.slash(replica, "ask who is suing?", user=user)))
            number += 1
            await asyncio.sleep(0.2)

    loading = asyncio.create_task(load())
    try:
        await asyncio.sleep(2.0)
        postgres_server.stop()
        try:
            for replica in live:
                report = await replica.wait_until(lambda status, _: status == 503, timeout=60)
                assert "database: not connected" in report["problems"]
        finally:
            postgres_server.start()
        for replica in live:
            await replica.wait_until(lambda status, _: status == 200, timeout=120)
        await asyncio.sleep(2.0)
    finally:
        stop.set()
        await loading
    await until(lambda: all(cluster.answers_to(k) for _, k in sent), what="every answer")
    await asyncio.sleep(GRACE)
    assert Counter(len(cluster.answers_to(k)) for _, k in sent) == {1: len(sent)}
    connection = await asyncpg.connect(cluster.database_url)
    try:
        assert sorted(await connection.fetch("SELECT platform, channel_id FROM follows")) == follows
        assert await connection.fetchval("SELECT count(*) FROM answers") >= answers
    finally:
        await connection.close()
    # Recording works again: a new follow lands in the database.
    key = await cluster.slash(live[0], "follow", user=ADMIN, channel="CAFTER01")
    await until(lambda: cluster.answers_to(key), what="the follow")
    assert "now follows" in str(cluster.answers_to(key)[0].payload)
