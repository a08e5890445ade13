"""Consumers against the real broker and database: inbox, retries, dead letters, poison messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.base import Event
from civic_events.cases import CaseOpened
from civic_events.envelope import KafkaRecord, decode, encode, header
from civic_runtime.consumers import EventHandlers, PermanentError
from civic_runtime.uow import UnitOfWork
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

pytestmark = pytest.mark.integration


def recording_handlers(
    kit: Any, *, failures: int = 0, error: type[Exception] = RuntimeError
) -> tuple[EventHandlers, list[uuid.UUID]]:
    """Handlers that record the event in `effects`, after failing `failures` times."""
    handlers = EventHandlers()
    calls: list[uuid.UUID] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        calls.append(event.event_id)
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )
        if len(calls) <= failures:
            raise error(f"failure {len(calls)} of {failures}")

    return handlers, calls


def count(harness: Any, outcome: str) -> float:
    value = harness.runtime.metrics.registry.get_sample_value(
        "civic_consumer_events_total",
        {
            "topic": harness.runtime.settings.topic_prefix + "cases.lifecycle.v1",
            "event_type": CaseOpened.ce_type,
            "outcome": outcome,
        },
    )
    return value or 0.0


async def test_a_cloudevent_is_produced_and_consumed_back_through_faststream(
    kit: Any, eventually: Any
) -> None:
    sent = kit.case_opened()
    received: list[Event] = []
    broker = KafkaBroker(kit.kafka)

    @broker.subscriber(
        kit.prefix + sent.topic.name, group_id=f"{kit.prefix}plain", auto_offset_reset="earliest"
    )
    async def handle(body: dict[str, Any], message: KafkaMessage) -> None:
        raw = message.raw_message
        assert body["case_type"] == "missed_bin"  # FastStream decoded the JSON body itself
        received.append(decode(raw.headers, raw.value))

    async with broker:
        await broker.start()
        await kit.produce(encode(sent))
        await eventually(lambda: received)
    assert received == [sent]


async def test_the_same_event_delivered_twice_has_one_effect(kit: Any, eventually: Any) -> None:
    handlers, calls = recording_handlers(kit)
    record = encode(kit.case_opened())
    await kit.produce(record, record)
    async with kit.running(kit.settings(), handlers) as harness:
        await eventually(lambda: count(harness, "duplicate") == 1)
        assert count(harness, "applied") == 1
        assert len(await harness.effects()) == 1
    assert len(calls) == 1


async def test_a_poison_message_goes_to_the_dlq_and_the_next_on_its_partition_is_processed(
    kit: Any, eventually: Any, read_records: Any
) -> None:
    handlers, _ = recording_handlers(kit)
    good = kit.case_opened("WST-2026-000042")
    template = encode(good)
    undecodable = KafkaRecord(template.topic, template.key, b"{not json", template.headers)
    unknown_type = KafkaRecord(
        template.topic,
        template.key,
        template.value,
        [
            (n, b"uk.gov.council.cases.CaseTeleported.v1" if n == "ce_type" else v)
            for n, v in template.headers
        ],
    )
    bad_schema = KafkaRecord(
        template.topic, template.key, b'{"case_type": "missed_bin"}', template.headers
    )
    await kit.produce(undecodable, unknown_type, bad_schema, template)

    async with kit.running(kit.settings(), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 1)
        assert await harness.effects() == [(good.event_id, good.subject)]

    dead = await read_records(kit.prefix + "cases.lifecycle.v1.dlq", 3)
    reasons = [header(r.headers, "dlq-reason") for r in dead]
    assert reasons == ["invalid_json", "unknown_event_type", "schema_error"]
    first = dict(dead[0].headers)
    assert first["dlq-original-topic"] == (kit.prefix + "cases.lifecycle.v1").encode()
    assert first["dlq-original-offset"] == b"0"
    assert first["dlq-attempts"] == b"0"
    assert first["dlq-consumer-group"] == f"{kit.prefix}testsvc".encode()
    assert b"dlq-error" in {name.encode() for name, _ in dead[2].headers}
    assert dead[0].value == b"{not json"
    assert dead[0].key == good.subject.encode()


async def test_a_transient_failure_is_retried_with_backoff_then_succeeds(
    kit: Any, eventually: Any
) -> None:
    handlers, calls = recording_handlers(kit, failures=2)
    event = kit.case_opened()
    await kit.produce(encode(event))
    async with kit.running(kit.settings(retry_max_attempts=5), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 1)
        retries = harness.runtime.metrics.registry.get_sample_value(
            "civic_consumer_retries_total",
            {"topic": kit.prefix + "cases.lifecycle.v1", "kind": "error"},
        )
        # The two failed attempts rolled back their effects: one row, from the third.
        assert await harness.effects() == [(event.event_id, event.subject)]
    assert retries == 2
    assert len(calls) == 3


async def test_a_handler_failing_every_time_ends_on_the_dlq_and_the_consumer_carries_on(
    kit: Any, eventually: Any, read_records: Any
) -> None:
    handlers = EventHandlers()
    poisoned, healthy = kit.case_opened("WST-2026-000007"), kit.case_opened("WST-2026-000007")
    applied: list[uuid.UUID] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        if event.event_id == poisoned.event_id:
            raise ValueError("a status this service has never heard of")
        applied.append(event.event_id)

    await kit.produce(encode(poisoned), encode(healthy))
    async with kit.running(kit.settings(retry_max_attempts=3), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 1)
        assert count(harness, "dead_lettered") == 1
    assert applied == [healthy.event_id]
    (dead,) = await read_records(kit.prefix + "cases.lifecycle.v1.dlq", 1)
    assert header(dead.headers, "dlq-reason") == "retries_exhausted"
    assert header(dead.headers, "dlq-attempts") == "3"
    assert "ValueError" in (header(dead.headers, "dlq-error") or "")
    assert header(dead.headers, "ce_id") == str(poisoned.event_id)


async def test_a_permanent_error_goes_to_the_dlq_without_retries(
    kit: Any, eventually: Any, read_records: Any
) -> None:
    handlers, calls = recording_handlers(kit, failures=100, error=PermanentError)
    await kit.produce(encode(kit.case_opened()))
    async with kit.running(kit.settings(), handlers) as harness:
        await eventually(lambda: count(harness, "dead_lettered") == 1)
        assert await harness.effects() == []
    (dead,) = await read_records(kit.prefix + "cases.lifecycle.v1.dlq", 1)
    assert header(dead.headers, "dlq-reason") == "rejected"
    assert len(calls) == 1


async def test_offsets_are_committed_so_a_restart_does_not_reapply(
    kit: Any, eventually: Any
) -> None:
    handlers, calls = recording_handlers(kit)
    await kit.produce(encode(kit.case_opened()), encode(kit.case_opened()))
    async with kit.running(kit.settings(), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 2)
    third = kit.case_opened()
    await kit.produce(encode(third))
    async with kit.running(kit.settings(), handlers) as harness:
        await eventually(lambda: count(harness, "applied") == 1)
        assert count(harness, "duplicate") == 0
    assert len(calls) == 3 and calls[-1] == third.event_id
