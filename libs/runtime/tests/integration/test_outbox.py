"""The transactional outbox against the real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseStatusChanged
from civic_events.envelope import decode
from civic_runtime.consumers import EventHandlers
from civic_runtime.tables import OutboxMessage

pytestmark = pytest.mark.integration

outbox = OutboxMessage.__table__  # type: ignore[attr-defined]


def status_changed(reference: str, step: int) -> CaseStatusChanged:
    return CaseStatusChanged(
        source="cases",
        subject=reference,
        case_id=uuid.uuid5(uuid.NAMESPACE_URL, reference),
        case_type="missed_bin",
        old_status=f"step_{step}",
        new_status=f"step_{step + 1}",
        reason="test",
        notify_resident=False,
    )


async def outbox_rows(harness: Any) -> list[Any]:
    async with harness.runtime.engine.connect() as connection:
        return list((await connection.execute(sa.select(outbox).order_by(outbox.c.id))).all())


async def test_the_state_change_and_its_event_commit_together(kit: Any, read_records: Any) -> None:
    async with kit.running(kit.settings(), EventHandlers()) as harness:
        rolled_back = status_changed("WST-2026-000100", 1)
        with pytest.raises(RuntimeError):
            async with harness.runtime.unit_of_work() as uow:
                await uow.session.execute(
                    sa.insert(kit.effects).values(event_id=rolled_back.event_id, subject="x")
                )
                await uow.stage(rolled_back)
                raise RuntimeError("the officer's change failed validation")
        assert await harness.effects() == []
        assert await outbox_rows(harness) == []

        committed = status_changed("WST-2026-000100", 2)
        async with harness.runtime.unit_of_work() as uow:
            await uow.session.execute(
                sa.insert(kit.effects).values(
                    event_id=committed.event_id, subject=committed.subject
                )
            )
            await uow.stage(committed)
        (record,) = await read_records(kit.prefix + "cases.lifecycle.v1", 1)
        assert decode(record.headers, record.value) == committed
        assert record.key == b"WST-2026-000100"
        assert await harness.effects() == [(committed.event_id, committed.subject)]


async def test_an_event_committed_before_a_crash_is_published_after_restart(
    kit: Any, read_records: Any, eventually: Any
) -> None:
    event = status_changed("WST-2026-000200", 1)
    # The relay is off: the process "dies" between the commit and the publication.
    async with kit.running(kit.settings(outbox_enabled=False), EventHandlers()) as harness:
        async with harness.runtime.unit_of_work() as uow:
            await uow.stage(event)
        (row,) = await outbox_rows(harness)
        assert row.published_at is None
    with pytest.raises(AssertionError):
        await read_records(kit.prefix + "cases.lifecycle.v1", 1, timeout=1.0)

    async with kit.running(kit.settings(), EventHandlers()) as harness:
        (record,) = await read_records(kit.prefix + "cases.lifecycle.v1", 1)
        assert decode(record.headers, record.value) == event

        async def marked() -> bool:
            return all(row.published_at is not None for row in await outbox_rows(harness))

        await eventually(marked)


async def test_two_relay_instances_publish_each_event_once_in_order_per_case(
    kit: Any, read_records: Any
) -> None:
    references = [f"WST-2026-{n:06d}" for n in range(300, 310)]
    steps = 30
    async with (
        kit.running(kit.settings(), EventHandlers()) as first,
        kit.running(kit.settings(), EventHandlers()) as second,
    ):
        await asyncio.sleep(0.2)
        assert [first.runtime.relay.is_leader, second.runtime.relay.is_leader].count(True) == 1

        async def write(harness: Any, reference: str) -> None:
            for step in range(steps):
                async with harness.runtime.unit_of_work() as uow:
                    await uow.stage(status_changed(reference, step))

        # Both instances write, concurrently, events of every case.
        await asyncio.gather(
            *(
                write(first if i % 2 else second, reference)
                for i, reference in enumerate(references)
            )
        )
        total = len(references) * steps
        records = await read_records(kit.prefix + "cases.lifecycle.v1", total)
        with pytest.raises(AssertionError):  # nothing more arrives: nothing was published twice
            await read_records(kit.prefix + "cases.lifecycle.v1", total + 1, timeout=2.0)

    events = [decode(r.headers, r.value) for r in records]
    assert len(events) == len(references) * steps
    assert len({event.event_id for event in events}) == len(events)
    by_case: dict[str, list[int]] = defaultdict(list)
    for event in events:
        assert isinstance(event, CaseStatusChanged)
        by_case[event.subject].append(int(event.old_status.removeprefix("step_")))
    assert all(by_case[reference] == list(range(steps)) for reference in references)


async def test_when_the_leading_relay_stops_the_other_takes_over(
    kit: Any, read_records: Any, eventually: Any
) -> None:
    async with kit.running(kit.settings(), EventHandlers()) as first:  # noqa: SIM117 - stopped apart
        async with kit.running(kit.settings(), EventHandlers()) as second:
            await asyncio.sleep(0.2)
            leader, standby = (first, second) if first.runtime.relay.is_leader else (second, first)
            await leader.runtime.relay.stop()
            await eventually(lambda: standby.runtime.relay.is_leader, timeout=10)
            event = status_changed("WST-2026-000400", 1)
            async with leader.runtime.unit_of_work() as uow:
                await uow.stage(event)
            (record,) = await read_records(kit.prefix + "cases.lifecycle.v1", 1)
            assert decode(record.headers, record.value) == event


async def test_stage_many_keeps_the_order_given_and_cannot_deadlock_on_shared_keys(
    kit: Any,
) -> None:
    first = ["WST-2026-000700", "WST-2026-000701", "WST-2026-000702"]
    async with kit.running(kit.settings(outbox_enabled=False), EventHandlers()) as harness:
        # Two transactions staging the same keys in opposite orders: each takes the keys' locks
        # in one fixed order, so the second waits for the first instead of deadlocking.
        async def stage(references: list[str], step: int) -> None:
            async with harness.runtime.unit_of_work() as uow:
                await uow.stage_many([status_changed(r, step) for r in references])
                await asyncio.sleep(0.2)

        await asyncio.gather(stage(first, 1), stage(first[::-1], 2))
        rows = await outbox_rows(harness)
        assert len(rows) == 6
        # Each transaction's rows follow the order it gave, and one key's rows commit order.
        by_transaction: dict[bool, list[str]] = defaultdict(list)
        for row in rows:
            by_transaction[b"step_3" in bytes(row.payload)].append(row.key)
        assert by_transaction[False] == first
        assert by_transaction[True] == first[::-1]
