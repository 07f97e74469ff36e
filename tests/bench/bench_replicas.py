"""Three replicas on PostgreSQL beside one process on SQLite: the issue's full load.

Not part of the test run (tests/bot/replicas/test_replicas.py runs fewer of each). From
the repository root, with PostgreSQL's binaries installed (as for the tests):

    .venv/bin/python -m tests.bench.bench_replicas                      # 600 + 200
    .venv/bin/python -m tests.bench.bench_replicas --slack 120 --discord 40

Starts a PostgreSQL server (tests.support.postgres), the fake Slack and Discord, then:
one `casebot serve` on SQLite, and three on one PostgreSQL database. Each deployment gets
the same load: `--slack` questions over Slack's HTTP mode (half `/case ask`, half
mentions; to the replicas round-robin, as a load balancer would), `--concurrency` at a
time, then `--discord` mentions over the gateway (to whichever replica holds it): each of
`--concurrency` simulated people sends a question, waits for its answer, and sends the
next. Every question must be answered exactly once (exit status 1 otherwise). It prints,
for each deployment and platform, p50 and p99 from sending a question to its answer
reaching the fake, and the questions answered per second.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.support.corpora import SEED_CORPUS_DIR
from tests.support.fake_discord import snowflake, user_payload
from tests.support.postgres import PostgresServer
from tests.support.replicas import Cluster, fakes, until

QUESTIONS = ("Who is suing LinkedIn?", "How much are plaintiffs asking per user?",
             "Where was the lawsuit filed?", "What is LinkedIn accused of?",
             "Which judge is presiding?")  # fmt: skip
# Enough people that the shipped rate limit (20 a minute) refuses none of the load.
PEOPLE = 100


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _run(cluster: Cluster, slack: int, discord: int, concurrency: int) -> dict[str, object]:
    replicas = cluster.replicas
    limit = asyncio.Semaphore(concurrency)
    sent: list[tuple[str, str, float]] = []

    def replies(kind: str, key: str) -> list:
        return cluster.answers_to(key) if kind == "slash" else cluster.replies_in_thread(key)

    async def ask(number: int) -> None:
        replica = replicas[number % len(replicas)]
        user, question = f"UB{number % PEOPLE:07d}", QUESTIONS[number % len(QUESTIONS)]
        async with limit:  # one of `concurrency` people, each waiting for their answer
            started = time.perf_counter()
            if number % 2:
                key, kind = await cluster.slash(replica, f"ask {question}", user=user), "slash"
            else:
                key, kind = await cluster.mention(replica, question, user=user), "mention"
            sent.append((kind, key, started))
            await cluster.slack.wait_until(lambda: bool(replies(kind, key)), timeout=120)

    began = time.perf_counter()
    await asyncio.gather(*(ask(n) for n in range(slack)))
    await until(lambda: all(replies(k, key) for k, key, _ in sent), timeout=600, what="Slack")
    slack_seconds = time.perf_counter() - began
    arrived = cluster.slack.arrived
    slack_latency = [arrived[id(replies(k, key)[0])] - at for k, key, at in sent]

    users = [user_payload(snowflake(), f"bench{n}") for n in range(PEOPLE)]
    for user in users:
        cluster.guild.add_member(user)
    mentions: list[tuple[str, float]] = []

    async def mention(number: int) -> None:
        async with limit:
            started = time.perf_counter()
            mid = await cluster.discord_mention(users[number % PEOPLE], QUESTIONS[number % 5])
            mentions.append((mid, started))
            await until(lambda: mid in cluster.discord.answered, timeout=120, poll=0.005)

    began = time.perf_counter()
    await asyncio.gather(*(mention(n) for n in range(discord)))
    await until(lambda: all(cluster.discord_answers(m) for m, _ in mentions), timeout=600,
                what="Discord")  # fmt: skip
    discord_seconds = time.perf_counter() - began
    discord_latency = [cluster.discord.answered[m] - at for m, at in mentions]
    await asyncio.sleep(3.0)  # for a duplicate to show
    counts = Counter(len(replies(k, key)) for k, key, _ in sent)
    counts += Counter(len(cluster.discord_answers(m)) for m, _ in mentions)
    return {
        "slack": (slack_latency, slack_seconds), "discord": (discord_latency, discord_seconds),
        "once": counts == Counter({1: slack + discord}), "counts": dict(counts),
    }  # fmt: skip


async def _deployment(label: str, replicas: int, database_url: str, args: argparse.Namespace,
                      work: Path) -> dict[str, object]:  # fmt: skip
    async with fakes() as (slack, discord):
        guild = discord.add_guild()
        channel = guild.add_channel("general")
        corpus = shutil.copytree(SEED_CORPUS_DIR, work / f"corpus-{label}")
        cluster = Cluster(
            work=work, corpus=corpus, database_url=database_url, slack=slack, discord=discord,
            guild=guild, channel_id=channel.id, settings={"CASEBOT_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        try:
            for number in range(replicas):
                await cluster.start(f"{label}-{number}")
            for replica in cluster.replicas:
                await replica.ready()
            await cluster.holder()
            return await _run(cluster, args.slack, args.discord, args.concurrency)
        finally:
            await cluster.close()


async def main_async(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="casebot-bench-replicas-"))
    server = PostgresServer()
    server.start()
    try:
        results = {
            "1 process, SQLite": await _deployment("single", 1, "", args, work),
            "3 replicas, PostgreSQL": await _deployment(
                "replicas", 3, server.url(server.create_database()), args, work
            ),
        }
    finally:
        server.destroy()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.slack} Slack questions (HTTP mode, {args.concurrency} at a time), "
          f"{args.discord} Discord mentions")  # fmt: skip
    print(f"{'deployment':24} {'platform':8} {'p50 ms':>8} {'p99 ms':>8} {'per s':>7}  once")
    ok = True
    for label, result in results.items():
        for platform in ("slack", "discord"):
            latency, seconds = result[platform]  # type: ignore[index]
            print(f"{label:24} {platform:8} {statistics.median(latency) * 1000:8.1f} "
                  f"{_percentile(latency, 0.99) * 1000:8.1f} {len(latency) / seconds:7.1f}  "
                  f"{'yes' if result['once'] else result['counts']}")  # fmt: skip
        ok = ok and bool(result["once"])
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slack", type=int, default=600, help="Slack questions (600)")
    parser.add_argument("--discord", type=int, default=200, help="Discord mentions (200)")
    parser.add_argument("--concurrency", type=int, default=20, help="sent at once (20)")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
