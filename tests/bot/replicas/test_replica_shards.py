"""Discord shards across replicas: with DISCORD_SHARD_COUNT = 2 and three `casebot serve`
replicas on one PostgreSQL database, each shard's gateway is held by exactly one replica,
every mention in either shard's server is answered once, and a shard whose holder is
killed is taken by the replica standing by (bot/replicas/gateway.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import pytest_asyncio

from tests.support.fake_discord import snowflake, user_payload
from tests.support.replicas import Cluster, Replica, running_cluster, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SHARDS = 2
GRACE = 3.0


def _shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS  # Discord's rule


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sharded(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any):
    def servers(discord: Any) -> tuple[Any, int, tuple[dict[int, Any], dict[int, int]]]:
        # One server on each shard (ids a shard apart: the fake's snowflakes count up in
        # their low bits, which the shard rule shifts away).
        first = snowflake()
        ids = [first + (shard << 22) for shard in range(SHARDS)]
        guilds = {_shard_of(i): discord.add_guild(f"Server {n}", guild_id=i) for n, i in enumerate(ids)}
        assert sorted(guilds) == list(range(SHARDS))
        channels = {shard: guild.add_channel("general").id for shard, guild in guilds.items()}
        return guilds[0], channels[0], (guilds, channels)

    work = tmp_path_factory.mktemp("shards")
    settings = {"DISCORD_SHARD_COUNT": str(SHARDS)}
    async with running_cluster(work, postgres_server, servers=servers, settings=settings) as (cluster, more):
        guilds, channels = more
        yield cluster, guilds, channels


async def _holders(cluster: Cluster, count: int, timeout: float) -> list[Replica]:
    """Wait until exactly `count` live replicas hold a shard's gateway; them."""
    deadline = time.monotonic() + timeout
    while True:
        live = [r for r in cluster.replicas if r.process.returncode is None]
        holding = [r for r in live if r.holds_gateway((await r.readyz())[1])]
        assert len(holding) <= SHARDS, [r.label for r in holding]
        if len(holding) == count:
            return holding
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(holding)} replicas hold a shard, not {count}")
        await asyncio.sleep(0.2)


async def _mentions(cluster: Cluster, guilds: dict[int, Any], channels: dict[int, int], n: int) -> list[str]:
    sent = []
    for shard, guild in guilds.items():
        for number in range(n):
            user = user_payload(snowflake(), f"member{shard}{number}")
            guild.add_member(user)
            message = await cluster.discord.post_message(
                user, f"<@{cluster.discord.bot_id}> Who is suing LinkedIn?", guild=guild,
                channel_id=channels[shard], mentions=[cluster.discord.bot_user],
            )  # fmt: skip
            sent.append(str(message["id"]))
    return sent


async def test_each_shard_is_held_once_and_every_mention_answered_once(sharded) -> None:
    cluster, guilds, channels = sharded
    await _holders(cluster, SHARDS, timeout=180)
    identified = {s for s in cluster.discord.identified_shards if s is not None}
    assert identified == {(0, SHARDS), (1, SHARDS)}
    sent = await _mentions(cluster, guilds, channels, 3)
    await until(lambda: all(cluster.discord_answers(m) for m in sent), what="answers")
    await asyncio.sleep(GRACE)
    assert [len(cluster.discord_answers(m)) for m in sent] == [1] * len(sent)


async def test_a_killed_shard_holder_is_replaced_by_the_standby(sharded) -> None:
    cluster, guilds, channels = sharded
    holders = await _holders(cluster, SHARDS, timeout=180)
    holders[0].kill()
    killed_at = time.monotonic()
    await holders[0].process.wait()
    replacement = await _holders(cluster, SHARDS, timeout=15.0)
    assert holders[0] not in replacement
    assert time.monotonic() - killed_at < 15.0
    sent = await _mentions(cluster, guilds, channels, 2)
    await until(lambda: all(cluster.discord_answers(m) for m in sent), what="answers")
    await asyncio.sleep(GRACE)
    assert [len(cluster.discord_answers(m)) for m in sent] == [1] * len(sent)
