"""The whole missed-bin path against real Kafka and PostgreSQL: submission → contractor → closure."""

from __future__ import annotations

from typing import Any

import pytest
from cases_factories import (
    bearer,
    collection_completed,
    form_submitted,
    notification_delivered,
    notification_sent,
    return_visit_scheduled,
)
from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.residents import ContactChangeRequested

pytestmark = pytest.mark.integration


async def test_a_missed_bin_goes_from_submission_through_the_contractor_to_closure(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted()
    reference = submitted.subject
    async with kit.running() as (_, client):
        await kit.produce(submitted)
        opened = await kit.events("cases.lifecycle.v1", 1)
        assert isinstance(opened[0], CaseOpened)
        assert (opened[0].case_type, opened[0].status) == ("missed_bin", "received")
        assert opened[0].sla_due_at is not None
        assert opened[0].triggered_at == submitted.occurred_at
        # A new resident: the link confirming their address is the first acknowledgement.
        resident_events = await kit.events("residents.v1", 1)
        assert isinstance(resident_events[0], ContactChangeRequested)
        assert resident_events[0].send_to is not None
        assert resident_events[0].send_to.email == submitted.contact.email.lower()
        resident_id = resident_events[0].resident_id
        assert opened[0].resident_id == resident_id

        visit = return_visit_scheduled(reference)
        completed = collection_completed(reference)
        await kit.produce(visit, completed)
        events = await kit.events("cases.lifecycle.v1", 5)
        assert [type(e).__name__ for e in events] == [
            "CaseOpened",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseClosed",
        ]
        moves = [
            (e.old_status, e.new_status, e.notify_resident)
            for e in events
            if isinstance(e, CaseStatusChanged)
        ]
        assert moves == [
            ("received", "return_visit_scheduled", True),
            ("return_visit_scheduled", "collected", True),
            ("collected", "closed", False),
        ]
        closed = events[-1]
        assert isinstance(closed, CaseClosed) and closed.outcome == "collected"
        # Time to tell is measured from the back-office event behind each change.
        assert [e.triggered_at for e in events] == [
            submitted.occurred_at,
            visit.occurred_at,
            completed.occurred_at,
            completed.occurred_at,
            completed.occurred_at,
        ]
        assert all(e.subject == reference and e.key == reference for e in events)

        sent = notification_sent(reference, resident_id, at=visit.occurred_at)
        await kit.produce(
            sent,
            notification_delivered(
                reference, resident_id, sent.notification_id, at=visit.occurred_at
            ),
        )

        async def timeline_complete() -> Any:
            answer = await client.get(f"/v1/cases/{reference}", headers=bearer("waste-officer"))
            kinds = [entry["kind"] for entry in answer.json()["timeline"]]
            return answer.json() if kinds.count("notification") == 2 else None

        case = await eventually(timeline_complete)
        assert case["status"] == "closed" and case["outcome"] == "collected"
        kinds = [entry["kind"] for entry in case["timeline"]]
        assert kinds[0] == "submission"
        assert kinds.count("status_changed") == 3
        resident = (
            await client.get(f"/v1/residents/{resident_id}", headers=bearer("waste-officer"))
        ).json()
        assert [c["reference"] for c in resident["cases"]] == [reference]
        assert {"submission", "status_changed", "notification"} <= {
            e["kind"] for e in resident["timeline"]
        }
        times = [e["occurred_at"] for e in resident["timeline"]]
        assert times == sorted(times)
