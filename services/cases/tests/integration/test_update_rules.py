"""Back-office updates: once each, in order, and those that do not fit change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cases_factories import (
    T0,
    bin_not_presented,
    collection_completed,
    form_submitted,
    return_visit_scheduled,
)

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


async def test_an_update_for_an_unknown_case_is_ignored(kit: Any, eventually: Any) -> None:
    async with kit.running() as (app, _):
        stray = collection_completed("WST-2026-999999")
        submitted = form_submitted()
        await kit.produce(stray, submitted)

        async def opened() -> Any:
            return await kit.case_row(app, submitted.subject)

        await eventually(opened)
        assert await kit.case_row(app, "WST-2026-999999") is None
