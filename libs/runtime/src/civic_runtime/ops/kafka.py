"""Kafka access for the operating commands: topic names, short-lived clients, partition scans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from civic_events.topics import ALL_TOPICS

from civic_runtime.ops.errors import OpsError, Unreachable, UsageError
from civic_runtime.preflight import START_INFRASTRUCTURE, reason

CLIENT_ID = "civic-ops"
REQUEST_TIMEOUT_MS = 15_000
# A scan that receives nothing for this long while records remain is stuck, not slow.
SCAN_STALL_S = 30.0


@dataclass(frozen=True)
class Cluster:
    bootstrap_servers: str
    topic_prefix: str = ""

    def topic(self, logical_name: str) -> str:
        """The topic's name on the cluster, from its name in the registry (`cases.lifecycle.v1`)."""
        return self.topic_prefix + registry_name(logical_name)

    def dlq(self, logical_name: str) -> str:
        return self.topic(logical_name) + ".dlq"

    def unreachable(self, exc: BaseException) -> Unreachable:
        return Unreachable(
            f"cannot reach Kafka at {self.bootstrap_servers} ({reason(exc)}); {START_INFRASTRUCTURE}"
        )


def registry_name(name: str) -> str:
    """`name` checked against the registry; a `.dlq` suffix is accepted and dropped."""
    known = {topic.name for topic in ALL_TOPICS}
    base = name.removesuffix(".dlq")
    if base not in known:
        raise UsageError(f"unknown topic {name!r}; the registry has: {', '.join(sorted(known))}")
    return base


@asynccontextmanager
async def consumer(cluster: Cluster, *, group_id: str | None = None) -> AsyncIterator[Any]:
    """A consumer that never commits by itself and never joins a group (partitions are assigned).

    With a `group_id`, `commit` stores offsets for that group: the broker accepts such commits
    only while the group has no members.
    """
    client = AIOKafkaConsumer(
        bootstrap_servers=cluster.bootstrap_servers,
        client_id=CLIENT_ID,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    async with _started(cluster, client, close=client.stop):
        yield client


@asynccontextmanager
async def admin(cluster: Cluster) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(
        bootstrap_servers=cluster.bootstrap_servers,
        client_id=CLIENT_ID,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    async with _started(cluster, client, close=client.close):
        yield client


@asynccontextmanager
async def _started(
    cluster: Cluster, client: Any, *, close: Callable[[], Awaitable[Any]]
) -> AsyncIterator[None]:
    """`client` started for the block and closed after it; a cluster it cannot reach is an
    OpsError that names the cluster (and the half-started client is closed too)."""
    try:
        await client.start()
    except (KafkaError, OSError) as exc:
        await close()
        raise cluster.unreachable(exc) from exc
    try:
        yield
    finally:
        await close()


async def topic_partitions(admin_client: AIOKafkaAdminClient) -> dict[str, list[int]]:
    """Every topic on the cluster and its partition numbers.

    Asks for all topics: asking for one by name could create it on a broker that auto-creates.
    """
    return {
        described["topic"]: sorted(p["partition"] for p in described["partitions"])
        for described in await admin_client.describe_topics()
        if described["error_code"] == 0
    }


async def partitions_of(admin_client: AIOKafkaAdminClient, topic: str) -> list[TopicPartition]:
    partitions = (await topic_partitions(admin_client)).get(topic)
    if not partitions:
        raise OpsError(f"there is no topic {topic} on the cluster")
    return [TopicPartition(topic, partition) for partition in partitions]


async def describe_group(admin_client: AIOKafkaAdminClient, group: str) -> tuple[str, int]:
    """The group's state (Stable, Empty, Dead…) and how many members it has now.

    One group per request: aiokafka 0.14 cannot decode a Kafka 4 answer about several at once.
    """
    (response,) = await admin_client.describe_consumer_groups([group])
    (description,) = response.groups
    error_code, _, state, _, _, members = description[:6]
    if error_code:
        raise OpsError(f"could not describe group {group}: Kafka error code {error_code}")
    return str(state), len(members)


async def scan(
    client: Any, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """The records of each partition from `starts` up to (not including) `ends`, in offset order.

    `ends` is a snapshot taken before the scan: records arriving meanwhile (a redriven record
    dead-lettered again, say) are left for the next run rather than chased forever.
    """
    todo = {tp for tp, start in starts.items() if start < ends[tp]}
    if not todo:
        return
    client.assign(sorted(todo))
    for tp in todo:
        client.seek(tp, starts[tp])
    loop = asyncio.get_running_loop()
    last_progress = loop.time()
    while todo:
        batch = await client.getmany(*sorted(todo), timeout_ms=500)
        for tp, records in batch.items():
            for record in records:
                if tp in todo and record.offset < ends[tp]:
                    yield record
        for tp in list(todo):
            # The position, not the last record: offsets may have gaps (deleted or control records).
            if await client.position(tp) >= ends[tp]:
                todo.discard(tp)
        if batch:
            last_progress = loop.time()
        elif loop.time() - last_progress > SCAN_STALL_S:
            left = ", ".join(f"{tp.partition}" for tp in sorted(todo))
            raise OpsError(f"no records from partition(s) {left} for {SCAN_STALL_S:.0f}s")
