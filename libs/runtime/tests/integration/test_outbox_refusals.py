"""An outbox row Kafka refuses for good is moved to its topic's `.dlq` with the reason, counted
for the alert, and the rows behind it are published (against the real broker)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from civic_events.cases import CaseStatusChanged
from civic_events.envelope import decode
from civic_runtime.consumers import EventHandlers
from civic_runtime.outbox import outbox_entry
from civic_runtime.tables import OutboxMessage

pytestmark = pytest.mark.integration

outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
TOPIC = "cases.lifecycle.v1"


def status_changed(reference: str, step: int, *, reason: str = "test") -> CaseStatusChanged:
    return CaseStatusChanged(
        source="cases",
        subject=reference,
        case_id=uuid.uuid5(uuid.NAMESPACE_URL, reference),
        case_type="missed_bin",
        old_status=f"step_{step}",
        new_status=f"step_{step + 1}",
        reason=reason,
        notify_resident=False,
        other_resident_ids=tuple(uuid.uuid4() for _ in range(10)) if len(reason) > 100 else (),
    )


def encoded_size(event: CaseStatusChanged) -> int:
    entry = outbox_entry(event)
    return len(entry.payload) + len(entry.headers) + len(event.key)


async def limit_record_size(kafka: str, topic: str, max_bytes: int, eventually: Any) -> None:
    """This topic's broker-side limit (`max.message.bytes`), once the broker applies it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, client_id="test-admin")
    await admin.start()
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    try:
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": str(max_bytes)}
                )
            ]
        )

        async def applied() -> bool:
            (described,) = await admin.describe_configs([resource])
            entries = described.resources[0][4]
            return any(e[0] == "max.message.bytes" and e[1] == str(max_bytes) for e in entries)

        await eventually(applied, timeout=10)
    finally:
        await admin.close()


async def test_a_row_kafka_refuses_goes_to_the_dlq_and_the_rows_behind_it_are_published(
    kit: Any, read_records: Any, eventually: Any
) -> None:
    refused = status_changed("WST-2026-000901", 1, reason="r" * 500)
    behind = [status_changed(f"WST-2026-00091{n}", n) for n in range(6)]
    small = max(encoded_size(event) for event in behind)
    assert encoded_size(refused) > small + 800
    await limit_record_size(kit.kafka, kit.prefix + TOPIC, small + 300, eventually)

    # Staged while the relay is off, so the refused row is first in line.
    async with (
        kit.running(kit.settings(outbox_enabled=False), EventHandlers()) as harness,
        harness.runtime.unit_of_work() as uow,
    ):
        await uow.stage_many([refused, *behind])

    async with kit.running(kit.settings(), EventHandlers()) as harness:
        records = await read_records(kit.prefix + TOPIC, len(behind))
        assert sorted(decode(r.headers, r.value).event_id for r in records) == sorted(
            event.event_id for event in behind
        )

        (letter,) = await read_records(kit.prefix + TOPIC + ".dlq", 1)
        headers = {name: value.decode() for name, value in letter.headers}
        assert headers["ce_id"] == str(refused.event_id)
        assert headers["dlq-reason"] == "refused_by_kafka"
        assert headers["dlq-error"].startswith("MessageSizeTooLargeError")
        assert headers["dlq-attempts"] == "3"
        assert headers["dlq-original-topic"] == kit.prefix + TOPIC
        assert decode(letter.headers, letter.value) == refused

        async def all_marked() -> bool:
            async with harness.runtime.engine.connect() as connection:
                rows = (await connection.execute(sa.select(outbox.c.published_at))).all()
            return len(rows) == 7 and all(row.published_at is not None for row in rows)

        await eventually(all_marked)
        metrics = harness.runtime.metrics.registry
        assert metrics.get_sample_value(
            "civic_outbox_dead_lettered_total", {"topic": TOPIC}
        ) == pytest.approx(1)
        # Each row went out once: nothing behind the refused row was sent twice while it waited.
        with pytest.raises(AssertionError):
            await read_records(kit.prefix + TOPIC, len(behind) + 1, timeout=2.0)
