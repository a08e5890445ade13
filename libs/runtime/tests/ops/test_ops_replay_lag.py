"""`replay` and `lag` against the real broker, with a real service consuming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from civic_events.envelope import encode

pytestmark = pytest.mark.integration

TOPIC = "cases.lifecycle.v1"


async def test_replay_moves_a_group_back_and_its_inbox_makes_the_rereading_a_no_op(
    service: Any, ops: Any, eventually: Any
) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    events = [service.case_opened(f"WST-2026-0004{i:02d}") for i in range(3)]
    await service.produce(*(encode(e) for e in events))
    replay = ("replay", TOPIC, "--group", service.group, "--since", since)

    async with service.running() as runtime:
        await eventually(lambda: service.consumed(runtime, "applied") == 3)
        refused = await ops(*replay, "--yes")
        assert refused.exit_code == 1
        assert "active member" in refused.json["error"]
        # --force skips the check, but the broker takes commits only from the group's members.
        forced = await ops(*replay, "--yes", "--force")
        assert forced.exit_code == 1
        assert "refused" in forced.json["error"]

    dry = await ops(*replay, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json["applied"] is False and dry.json["members"] == 0
    assert sum(p["old"] or 0 for p in dry.json["partitions"]) == 3
    assert all(p["new"] == 0 for p in dry.json["partitions"])

    unconfirmed = await ops(*replay)  # not a terminal, no --yes: nothing changes
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.json["error"]
    before = await ops("lag", "--group", service.group)
    assert before.json["groups"][0]["lag"] == 0

    applied = await ops(*replay, "--yes")
    assert applied.exit_code == 0, applied.stderr
    assert applied.json["applied"] is True
    after = await ops("lag", "--group", service.group)
    (topic,) = after.json["groups"][0]["topics"]
    assert topic["lag"] == 3 and topic["committed"] == 0

    async with service.running() as runtime:
        await eventually(lambda: service.consumed(runtime, "duplicate") == 3)
        assert service.consumed(runtime, "applied") == 0
    assert sorted(map(str, await service.applied())) == sorted(str(e.event_id) for e in events)


async def test_lag_shows_a_backlog_per_group_and_topic(service: Any, ops: Any) -> None:
    events = [service.case_opened("WST-2026-000500") for _ in range(5)]  # one key: one partition
    await service.produce(*(encode(e) for e in events))
    group = f"{service.prefix}lagging"
    client = AIOKafkaConsumer(
        bootstrap_servers=service.kafka, group_id=group, enable_auto_commit=False
    )
    await client.start()
    try:
        partitions = [TopicPartition(service.prefix + TOPIC, p) for p in (0, 1)]
        ends = await client.end_offsets(partitions)
        (busy,) = [tp for tp in partitions if ends[tp] == 5]
        client.assign(partitions)
        await client.commit({busy: OffsetAndMetadata(2, "")})
    finally:
        await client.stop()

    result = await ops("lag", "--group", group)
    assert result.exit_code == 0, result.stderr
    (reported,) = result.json["groups"]
    assert reported["group"] == group and reported["lag"] == 3
    (topic,) = reported["topics"]
    assert topic["topic"] == service.prefix + TOPIC
    by_partition = {p["partition"]: p for p in topic["partitions"]}
    assert by_partition[busy.partition] == {
        "partition": busy.partition,
        "committed": 2,
        "end": 5,
        "lag": 3,
    }
    assert by_partition[1 - busy.partition]["committed"] is None

    table = await ops("lag", "--group", group, json_output=False)
    assert group in table.stdout and service.prefix + TOPIC in table.stdout

    # With no group named: every service's group, and the topics each is expected to read.
    services = await ops("lag")
    names = [g["group"] for g in services.json["groups"]]
    assert names == ["intake", "cases", "notify", "payments"]
    cases = services.json["groups"][1]
    assert service.prefix + "intake.submission.v1" in [t["topic"] for t in cases["topics"]]
