"""Consumer lag: for each group and topic, the committed offsets, the ends, and the difference."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from civic_events.topics import ALL_TOPICS, SERVICES

from civic_runtime.ops.kafka import Cluster, admin, consumer, describe_group, topic_partitions


@dataclass(frozen=True)
class ConsumerGroup:
    name: str
    # The topics the group is expected to read, to show them even before it has committed.
    topics: tuple[str, ...] = ()


def service_groups(cluster: Cluster, env: Mapping[str, str] | None = None) -> list[ConsumerGroup]:
    """The group of each service, as `ServiceSettings.group_id` would name it from the same
    environment (`<SERVICE>_CONSUMER_GROUP`, else `<SERVICE>_SERVICE_NAME`, else the service)."""
    env = os.environ if env is None else env
    groups = []
    for service in SERVICES:
        prefix = service.upper()
        name = env.get(f"{prefix}_CONSUMER_GROUP") or env.get(f"{prefix}_SERVICE_NAME") or service
        topics = tuple(cluster.topic_prefix + t.name for t in ALL_TOPICS if service in t.consumers)
        groups.append(ConsumerGroup(name, topics))
    return groups


@dataclass
class TopicLag:
    topic: str
    partitions: list[dict[str, Any]] = field(default_factory=list)
    missing: bool = False

    @property
    def committed(self) -> int | None:
        values = [p["committed"] for p in self.partitions if p["committed"] is not None]
        return sum(values) if values else None

    @property
    def end(self) -> int:
        return sum(p["end"] for p in self.partitions)

    @property
    def lag(self) -> int:
        return sum(p["lag"] for p in self.partitions)


@dataclass
class GroupLag:
    group: str
    state: str
    members: int
    topics: list[TopicLag]

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "state": self.state,
            "members": self.members,
            "lag": sum(t.lag for t in self.topics),
            "topics": [
                {
                    "topic": t.topic,
                    "missing": t.missing,
                    "committed": t.committed,
                    "end": t.end,
                    "lag": t.lag,
                    "partitions": t.partitions,
                }
                for t in self.topics
            ],
        }


async def consumer_lag(cluster: Cluster, groups: list[ConsumerGroup]) -> list[GroupLag]:
    async with admin(cluster) as admin_client, consumer(cluster) as client:
        existing = await topic_partitions(admin_client)
        report = []
        for group in groups:
            committed = await admin_client.list_consumer_group_offsets(group.name)
            names = sorted(set(group.topics) | {tp.topic for tp in committed})
            topics = []
            for name in names:
                if name not in existing:
                    topics.append(TopicLag(name, missing=True))
                    continue
                partitions = [TopicPartition(name, p) for p in existing[name]]
                beginnings = await client.beginning_offsets(partitions)
                ends = await client.end_offsets(partitions)
                topic = TopicLag(name)
                for tp in partitions:
                    stored = committed.get(tp)
                    offset = stored.offset if stored is not None and stored.offset >= 0 else None
                    # With nothing committed, a service starts from the earliest record.
                    behind = ends[tp] - (offset if offset is not None else beginnings[tp])
                    topic.partitions.append(
                        {
                            "partition": tp.partition,
                            "committed": offset,
                            "end": ends[tp],
                            "lag": max(behind, 0),
                        }
                    )
                topics.append(topic)
            state, members = await describe_group(admin_client, group.name)
            report.append(GroupLag(group.name, state, members, topics))
    return report
