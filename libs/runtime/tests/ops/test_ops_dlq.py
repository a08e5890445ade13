"""`dlq list` and `dlq redrive` against the real broker and database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from civic_events.envelope import KafkaRecord, encode, header
from civic_runtime.ops.dlq import RedriveRequest, redrive
from civic_runtime.ops.kafka import Cluster

pytestmark = pytest.mark.integration

TOPIC = "cases.lifecycle.v1"


async def end_offsets(kafka: str, topic: str) -> dict[int, int]:
    client = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await client.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (0, 1)]
        ends = await client.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await client.stop()


def dead_lettered(record: KafkaRecord, *, prefix: str, reason: str, offset: int) -> KafkaRecord:
    """The record as the runtime writes it to `.dlq` (see EventProcessor._dead_letter)."""
    headers = list(record.headers) + [
        (f"dlq-{name}", value.encode())
        for name, value in {
            "reason": reason,
            "error": "ValueError: a status this service has never heard of",
            "original-topic": prefix + record.topic,
            "original-partition": "0",
            "original-offset": str(offset),
            "attempts": "5",
            "consumer-group": f"{prefix}opsvc",
            "failed-at": "2026-11-28T21:00:00+00:00",
        }.items()
    ]
    return KafkaRecord(prefix + record.topic + ".dlq", record.key, record.value, headers)


async def test_a_dead_letter_redriven_after_the_fix_is_applied_once_however_often_redriven(
    service: Any, ops: Any, eventually: Any, read_records: Any
) -> None:
    poisoned = service.case_opened("WST-2026-000100")
    healthy = service.case_opened("WST-2026-000101")
    service.broken.add(poisoned.event_id)
    await service.produce(encode(poisoned), encode(healthy))

    async with service.running() as runtime:
        await eventually(lambda: service.consumed(runtime, "dead_lettered") == 1)
        assert await service.applied() == [healthy.event_id]

        listed = await ops("dlq", "list", TOPIC)
        assert listed.exit_code == 0, listed.stderr
        assert listed.json["total"] == 1
        (message,) = listed.json["messages"]
        assert message["event_id"] == str(poisoned.event_id)
        assert message["key"] == "WST-2026-000100"
        assert message["dlq"]["reason"] == "rejected"
        assert message["dlq"]["original-topic"] == service.prefix + TOPIC
        assert message["dlq"]["consumer-group"] == service.group
        # The body (personal data, in general) is not shown unless asked for.
        assert "body" not in message and str(poisoned.case_id) not in listed.stdout
        shown = await ops("dlq", "list", TOPIC, "--show-body")
        assert str(poisoned.case_id) in shown.json["messages"][0]["body"]
        table = await ops("dlq", "list", TOPIC, json_output=False)
        assert "rejected" in table.stdout and "WST-2026-000100" in table.stdout

        service.broken.clear()  # the fix is deployed
        result = await ops("dlq", "redrive", TOPIC, "--all")
        assert result.exit_code == 0, result.stderr
        assert result.json["redriven"] == 1 and result.json["scanned"] == 1
        await eventually(lambda: _contains(service.applied(), poisoned.event_id), timeout=30)

        # Again, from the beginning: published again, and the inbox makes it a no-op.
        again = await ops("dlq", "redrive", TOPIC, "--all", "--from-beginning")
        assert again.json["redriven"] == 1
        await eventually(lambda: service.consumed(runtime, "duplicate") == 1)
        assert sorted(map(str, await service.applied())) == sorted(
            [str(healthy.event_id), str(poisoned.event_id)]
        )

        # Without --from-beginning, the progress group knows both runs are done.
        nothing = await ops("dlq", "redrive", TOPIC, "--all")
        assert nothing.json["redriven"] == 0 and nothing.json["scanned"] == 0

    records = await read_records(service.prefix + TOPIC, 4)
    redriven = [r for r in records if header(r.headers, "redriven-from")]
    assert len(redriven) == 2
    assert redriven[0].key == b"WST-2026-000100"
    assert redriven[0].value == encode(poisoned).value
    assert header(redriven[0].headers, "ce_id") == str(poisoned.event_id)
    assert header(redriven[0].headers, "redriven-from").startswith(service.prefix + TOPIC + ".dlq:")
    assert not [name for name, _ in redriven[0].headers if name.startswith("dlq-")]


async def _contains(applied: Any, event_id: uuid.UUID) -> bool:
    return event_id in await applied


class Interrupted(Exception):
    pass


class InterruptAfter:
    """A progress sink that stops the redrive (like Ctrl-C) once `count` messages are done."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.done >= self.count:
            raise Interrupted


async def test_an_interrupted_redrive_resumes_where_it_stopped(service: Any, ops: Any) -> None:
    events = [service.case_opened("WST-2026-000200") for _ in range(5)]
    await service.produce(
        *(
            dead_lettered(encode(e), prefix=service.prefix, reason="retries_exhausted", offset=i)
            for i, e in enumerate(events)
        )
    )
    cluster = Cluster(service.kafka, service.prefix)
    target = service.prefix + TOPIC
    assert sum((await end_offsets(service.kafka, target)).values()) == 0

    sink = InterruptAfter(2)
    with pytest.raises(Interrupted):
        await redrive(cluster, RedriveRequest(topic=TOPIC, redrive_all=True), progress=sink)
    assert sink.total == 5
    assert sum((await end_offsets(service.kafka, target)).values()) == 2

    resumed = await ops("dlq", "redrive", TOPIC, "--all")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json["redriven"] == 3 and resumed.json["scanned"] == 3
    assert sorted(resumed.json["started_at"].values()) == [0, 2]  # one partition holds all five
    assert sum((await end_offsets(service.kafka, target)).values()) == 5


async def test_redrive_selects_by_offsets_or_reason_and_a_dry_run_publishes_nothing(
    service: Any, ops: Any
) -> None:
    events = [service.case_opened("WST-2026-000300") for _ in range(4)]
    reasons = ["schema_error", "retries_exhausted", "schema_error", "rejected"]
    await service.produce(
        *(
            dead_lettered(encode(e), prefix=service.prefix, reason=r, offset=i)
            for i, (e, r) in enumerate(zip(events, reasons, strict=True))
        )
    )
    listed = await ops("dlq", "list", TOPIC)
    partition = listed.json["messages"][0]["partition"]
    target = service.prefix + TOPIC

    dry = await ops("dlq", "redrive", TOPIC, "--all", "--dry-run")
    assert dry.json["redriven"] == 4 and dry.json["dry_run"] is True
    assert sum((await end_offsets(service.kafka, target)).values()) == 0

    by_reason = await ops("dlq", "redrive", TOPIC, "--reason", "schema_error")
    assert by_reason.json["redriven"] == 2 and by_reason.json["skipped"] == 2
    assert by_reason.json["offsets"] == [f"{partition}:0", f"{partition}:2"]
    assert by_reason.json["progress_group"].endswith(".reason-schema_error")

    chosen = await ops("dlq", "redrive", TOPIC, "--offsets", f"{partition}:3")
    assert chosen.exit_code == 0
    assert chosen.json["offsets"] == [f"{partition}:3"] and chosen.json["progress_group"] is None
    assert sum((await end_offsets(service.kafka, target)).values()) == 3

    # A reason-only run did not move the place of a later --all past what it skipped.
    everything = await ops("dlq", "redrive", TOPIC, "--all")
    assert everything.json["redriven"] == 4

    missing = await ops("dlq", "redrive", TOPIC, "--offsets", f"{partition}:99")
    assert missing.exit_code == 1 and missing.json["missing"] == [f"{partition}:99"]

    unselected = await ops("dlq", "redrive", TOPIC)
    assert unselected.exit_code == 2 and "--all" in unselected.json["error"]
    unknown = await ops("dlq", "list", "cases.teleported.v1")
    assert unknown.exit_code == 2 and "unknown topic" in unknown.json["error"]
