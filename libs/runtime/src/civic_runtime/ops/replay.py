"""Replay a topic into one consumer group: move the group's committed offsets back to a time.

The group's consumers then read again from there; their inbox makes every event they had already
applied a no-op, so a replay repairs (a projection rebuilt, a handler fixed) without doubling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from civic_runtime.ops.errors import OpsError, UsageError
from civic_runtime.ops.kafka import Cluster, admin, consumer, describe_group, partitions_of


@dataclass(frozen=True)
class PartitionMove:
    partition: int
    old: int | None  # None: the group had committed nothing on this partition
    new: int


@dataclass(frozen=True)
class ReplayPlan:
    topic: str
    group: str
    since: datetime
    group_state: str
    members: int
    moves: list[PartitionMove]

    def as_json(self, *, applied: bool) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "group": self.group,
            "since": self.since.isoformat(),
            "group_state": self.group_state,
            "members": self.members,
            "applied": applied,
            "partitions": [
                {"partition": m.partition, "old": m.old, "new": m.new} for m in self.moves
            ],
        }


def parse_since(text: str) -> datetime:
    try:
        since = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"--since wants an ISO 8601 time like 2026-11-28T09:00:00Z: {exc}"
        ) from exc
    if since.tzinfo is None:
        raise UsageError("--since needs a timezone (e.g. a trailing Z for UTC)")
    return since


async def plan(
    cluster: Cluster, topic: str, *, group: str, since: datetime, force: bool = False
) -> ReplayPlan:
    async with admin(cluster) as admin_client:
        state, members = await describe_group(admin_client, group)
    if members and not force:
        raise OpsError(
            f"group {group} has {members} active member(s) ({state}): stop its consumers first; "
            "a running consumer would overwrite the new offsets with its own"
        )
    name = cluster.topic(topic)
    async with admin(cluster) as admin_client, consumer(cluster) as client:
        partitions = await partitions_of(admin_client, name)
        committed = await admin_client.list_consumer_group_offsets(group, partitions=partitions)
        at_time = await client.offsets_for_times(
            {tp: int(since.timestamp() * 1000) for tp in partitions}
        )
        ends = await client.end_offsets(partitions)
    moves = []
    for tp in partitions:
        old = committed.get(tp)
        found = at_time.get(tp)
        moves.append(
            PartitionMove(
                partition=tp.partition,
                old=old.offset if old is not None and old.offset >= 0 else None,
                # Nothing at or after the time: the group starts at the end (nothing to replay).
                new=found.offset if found is not None else ends[tp],
            )
        )
    return ReplayPlan(
        topic=name, group=group, since=since, group_state=state, members=members, moves=moves
    )


async def apply(cluster: Cluster, replay: ReplayPlan) -> None:
    """Commit the new offsets as the group. The broker refuses while the group has members."""
    async with admin(cluster) as admin_client:
        partitions = await partitions_of(admin_client, replay.topic)
    async with consumer(cluster, group_id=replay.group) as client:
        by_number = {tp.partition: tp for tp in partitions}
        client.assign(partitions)
        try:
            await client.commit(
                {by_number[m.partition]: OffsetAndMetadata(m.new, "") for m in replay.moves}
            )
        except KafkaError as exc:
            raise OpsError(
                f"Kafka refused the new offsets for group {replay.group} ({exc!r}); "
                "a group with active members only accepts commits from its members"
            ) from exc
