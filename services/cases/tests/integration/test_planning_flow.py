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
from civic_events.contact import Contact

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
        # The agent hears what the applicant hears: named on every lifecycle event.
        assert row.agent_resident_id != row.resident_id
        assert [e.other_resident_ids for e in events] == [(row.agent_resident_id,)] * 6
        agent = (
            await client.get(
                f"/v1/residents/{row.agent_resident_id}", headers=bearer("planning-officer")
            )
        ).json()
        assert agent["name"] == "Agent Architects"
        assert [c["reference"] for c in agent["cases"]] == [reference]
        # Planning references carry slashes; officers still open the case by its reference.
        case = await client.get(f"/v1/cases/{reference}", headers=bearer("planning-officer"))
        assert case.status_code == 200 and case.json()["reference"] == reference
        noted = await client.post(
            f"/v1/cases/{reference}/notes",
            headers=bearer("planning-officer"),
            json={"text": "Site visit booked"},
        )
        assert noted.status_code == 201, noted.text


async def test_without_an_agent_or_once_erased_no_one_else_is_told_and_an_agent_alone_is(
    kit: Any, eventually: Any
) -> None:
    alone, erased, agent_only = "26/00124/HOU", "26/00125/HOU", "26/00126/HOU"
    async with kit.running() as (app, client):
        await kit.open_case(app, application_received(alone, agent=None))
        # An applicant who gave no contact details: the agent is the only one to tell.
        row = await kit.open_case(app, application_received(agent_only, applicant=Contact()))
        assert row.resident_id is None and row.agent_resident_id is not None
        agent_id = (await kit.open_case(app, application_received(erased))).agent_resident_id
        assert agent_id is not None
        # The agent asks to be forgotten; the applicant's case goes on.
        answer = await client.post(
            f"/v1/residents/{agent_id}/erasure", headers=bearer("planning-lead"), json={}
        )
        assert answer.status_code == 202, answer.text
        await kit.produce(
            application_validated(alone, at=T0 + timedelta(days=3)),
            application_validated(erased, at=T0 + timedelta(days=3)),
            application_validated(agent_only, at=T0 + timedelta(days=3)),
        )
        events = [
            e
            for e in await kit.events("cases.lifecycle.v1", 6)
            if isinstance(e, CaseOpened | CaseStatusChanged | CaseClosed)
        ]
        told = {(e.subject, type(e).__name__): e.other_resident_ids for e in events}
        assert told == {
            (alone, "CaseOpened"): (),
            (alone, "CaseStatusChanged"): (),
            (erased, "CaseOpened"): (agent_id,),
            (erased, "CaseStatusChanged"): (),
            (agent_only, "CaseOpened"): (row.agent_resident_id,),
            (agent_only, "CaseStatusChanged"): (row.agent_resident_id,),
        }
        # Each validation is worth telling: to the applicant, or to the agent when there is none.
        notified = {
            e.subject: e.notify_resident for e in events if isinstance(e, CaseStatusChanged)
        }
        assert notified == {alone: True, erased: True, agent_only: True}
