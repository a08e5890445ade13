"""Back-office updates: once each, in order, and those that do not fit change nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cases.bootstrap import check_slas
from cases_factories import (
    T0,
    bin_not_presented,
    collection_completed,
    form_submitted,
    return_visit_scheduled,
)
from civic_events.envelope import encode
from civic_runtime.consumers import ConsumedRecord

pytestmark = pytest.mark.integration


async def test_the_same_events_twice_have_one_effect(kit: Any, eventually: Any) -> None:
    submitted = form_submitted()
    reference = submitted.subject
    visit = return_visit_scheduled(reference)
    async with kit.running() as (app, _):
        await kit.open_case(app, submitted)
        await kit.produce(submitted, visit, visit)
        sentinel = bin_not_presented(reference, at=T0 + timedelta(days=1))
        await kit.produce(sentinel)

        async def closed() -> Any:
            row = await kit.case_row(app, reference)
            return row is not None and row.status == "closed"

        await eventually(closed)
        assert await kit.outbox_types(app, reference) == [
            "CaseOpened",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseClosed",
        ]
        entries = await kit.timeline(app, reference)
        assert [e.event_id for e in entries].count(visit.event_id) == 1
        assert [e.kind for e in entries].count("submission") == 1
        assert (await kit.case_row(app, reference)).outcome == "not_presented"


async def test_an_update_older_than_the_last_applied_changes_nothing_and_is_recorded(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted()
    reference = submitted.subject
    async with kit.running() as (app, _):
        newer = return_visit_scheduled(reference, at=T0 + timedelta(days=1))
        older = collection_completed(reference, at=T0 + timedelta(hours=3))
        await kit.open_case(app, submitted)
        await kit.produce(newer, older)

        async def ignored() -> Any:
            return [e for e in await kit.timeline(app, reference) if e.kind == "update_ignored"]

        entries = await eventually(ignored)
        assert "older than the last update applied" in entries[0].summary
        assert entries[0].event_id == older.event_id
        assert (await kit.case_row(app, reference)).status == "return_visit_scheduled"
        assert await kit.outbox_types(app, reference) == ["CaseOpened", "CaseStatusChanged"]


async def test_an_update_for_a_closed_case_changes_nothing_and_never_stops_the_consumer(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted()
    reference = submitted.subject
    after = submitted.occurred_at + timedelta(days=2)
    async with kit.running() as (app, _):
        late = collection_completed(reference, at=after)
        await kit.open_case(app, submitted)
        await kit.produce(collection_completed(reference), late)

        async def ignored() -> Any:
            return [e for e in await kit.timeline(app, reference) if e.kind == "update_ignored"]

        entries = await eventually(ignored)
        assert "does not fit" in entries[0].summary and entries[0].event_id == late.event_id
        assert await kit.outbox_types(app, reference) == [
            "CaseOpened",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseClosed",
        ]
        # The consumer carries on with the next case.
        following = form_submitted()
        await kit.produce(following)

        async def opened() -> Any:
            return await kit.case_row(app, following.subject)

        assert (await eventually(opened)).status == "received"


async def _held(app: Any) -> list[Any]:
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT reference, event_type FROM cases_held_updates ORDER BY occurred_at")
        )
        return list(rows)


async def test_a_routine_job_for_no_case_is_ignored(kit: Any, eventually: Any) -> None:
    async with kit.running() as (app, _):
        routine = collection_completed("JOB-2026-77")
        submitted = form_submitted()
        await kit.produce(routine, submitted)

        async def opened() -> Any:
            return await kit.case_row(app, submitted.subject)

        await eventually(opened)
        assert await kit.case_row(app, "JOB-2026-77") is None
        assert await _held(app) == []


async def test_updates_that_overtake_their_submission_apply_when_the_case_opens(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted()
    reference = submitted.subject
    async with kit.running() as (app, _):
        # The contractor's events arrive first (another topic: Kafka does not order them).
        await kit.produce(collection_completed(reference), return_visit_scheduled(reference))

        async def both_held() -> bool:
            return len(await _held(app)) == 2

        await eventually(both_held)
        await kit.produce(submitted)

        async def closed() -> Any:
            row = await kit.case_row(app, reference)
            return row if row is not None and row.status == "closed" else None

        row = await eventually(closed)
        assert row.outcome == "collected"
        assert await _held(app) == []
        assert await kit.outbox_types(app, reference) == [
            "CaseOpened",
            "CaseStatusChanged",  # return visit scheduled (it happened first)
            "CaseStatusChanged",  # collected
            "CaseStatusChanged",
            "CaseClosed",  # closed
        ]


async def test_a_held_update_whose_case_never_opens_is_dropped_in_time(
    kit: Any, eventually: Any
) -> None:
    async with kit.running(early_update_hold_s=0.2) as (app, _):
        await kit.produce(collection_completed("WST-2026-999999"))

        async def held() -> bool:
            return len(await _held(app)) == 1

        await eventually(held)
        await asyncio.sleep(0.3)
        await check_slas(app.state.runtime)
        assert await _held(app) == []
        assert await kit.case_row(app, "WST-2026-999999") is None


async def test_a_held_update_is_read_back_as_received_not_as_produced(kit: Any) -> None:
    """The contract lets a consumer read what an older producer wrote (here a control character a
    producer may no longer write): held, it must still apply when its case opens, not fail the
    submission that opens it."""
    submitted = form_submitted()
    early = encode(return_visit_scheduled(submitted.subject, at=T0 + timedelta(hours=2)))
    value = json.loads(early.value)
    value["job_reference"] = "JOB\u00072026-1"
    records = [
        ConsumedRecord(
            topic=kit.prefix + record.topic,
            partition=0,
            offset=offset,
            key=record.key,
            value=record.value,
            headers=record.headers,
        )
        for offset, record in enumerate(
            [dataclasses.replace(early, value=json.dumps(value).encode()), encode(submitted)]
        )
    ]
    async with kit.running(consumer_enabled=False) as (app, _client):
        processor = app.state.runtime.processor
        assert [await processor.process(record) for record in records] == ["applied"] * 2
        assert (await kit.case_row(app, submitted.subject)).status == "return_visit_scheduled"
