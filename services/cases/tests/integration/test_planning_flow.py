"""A planning application: one case per application reference, applicant and agent kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from cases_factories import (
    T0,
    application_received,
    application_validated,
    bearer,
    consultation_started,
    decision_issued,
)
from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged

pytestmark = pytest.mark.integration


async def test_a_planning_application_goes_from_receipt_to_decision(
    kit: Any, eventually: Any
) -> None:
    reference = "26/00123/FUL"
    received = application_received(reference)
    async with kit.running() as (app, client):
        row = await kit.open_case(app, received)
        assert row.case_type == "planning_application" and row.agent_resident_id is not None
        await kit.produce(
            application_validated(reference, at=T0 + timedelta(days=3)),
            consultation_started(reference, at=T0 + timedelta(days=4)),
            # A duplicate receipt changes nothing.
            application_received(reference, at=T0 + timedelta(days=5)),
            decision_issued(reference, at=T0 + timedelta(days=50), decision="refused"),
        )
        events = await kit.events("cases.lifecycle.v1", 6)
        assert isinstance(events[0], CaseOpened)
        moves = [(e.old_status, e.new_status) for e in events if isinstance(e, CaseStatusChanged)]
        assert moves == [
            ("received", "validated"),
            ("validated", "consultation"),
            ("consultation", "decided"),
            ("decided", "closed"),
        ]
        row = await kit.case_row(app, reference)
        assert row.sla_name == "planning_determination"
        # The end of the deadline day, London time (midnight, UTC in winter).
        deadline = (T0 + timedelta(days=3, weeks=8)).date()
        assert row.sla_due_at == datetime.combine(deadline + timedelta(days=1), time(0), tzinfo=UTC)
        closed = events[-1]
        assert isinstance(closed, CaseClosed) and closed.outcome == "refused"
        agent = (
            await client.get(
                f"/v1/residents/{row.agent_resident_id}", headers=bearer("planning-officer")
            )
        ).json()
        assert agent["name"] == "Agent Architects"
        assert [c["reference"] for c in agent["cases"]] == [reference]
