"""Officers see and change only residents of their teams: a resident with a case of one of their
teams' case types (as resident or agent); a resident with no case at all, team leads only. Any
other resident answers as one that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cases_factories import application_received, bearer, form_submitted

pytestmark = pytest.mark.integration

PREFERENCES = {"preferred_channel": "email", "case_updates": False, "source": "phone call"}


async def test_an_officer_of_another_team_cannot_read_change_or_erase_a_resident(kit: Any) -> None:
    async with kit.running() as (app, client):
        waste_resident = (await kit.open_case(app, form_submitted())).resident_id
        for officer in ("planning-officer", "information-officer"):
            read = await client.get(f"/v1/residents/{waste_resident}", headers=bearer(officer))
            assert read.status_code == 404, (officer, read.text)
            changed = await client.put(
                f"/v1/residents/{waste_resident}/preferences",
                headers=bearer(officer),
                json=PREFERENCES,
            )
            assert changed.status_code == 404, (officer, changed.text)
        erased = await client.post(
            f"/v1/residents/{waste_resident}/erasure", headers=bearer("planning-lead"), json={}
        )
        assert erased.status_code == 404
        # The same answer as for nobody at all.
        nobody = await client.get(f"/v1/residents/{uuid.uuid4()}", headers=bearer("waste-lead"))
        assert nobody.json()["detail"] == read.json()["detail"]
        # Nothing changed, and the resident's own team still sees them.
        record = await client.get(
            f"/v1/residents/{waste_resident}", headers=bearer("waste-officer")
        )
        assert record.status_code == 200
        assert record.json()["case_updates"] is True and record.json()["erased"] is False


async def test_a_planning_agent_is_the_planning_teams_not_the_waste_teams(kit: Any) -> None:
    async with kit.running() as (app, client):
        agent = (await kit.open_case(app, application_received("26/00999/FUL"))).agent_resident_id
        assert agent is not None
        waste = await client.get(f"/v1/residents/{agent}", headers=bearer("waste-lead"))
        assert waste.status_code == 404
        planning = await client.get(f"/v1/residents/{agent}", headers=bearer("planning-officer"))
        assert planning.status_code == 200


async def test_a_resident_with_no_case_is_for_team_leads(kit: Any) -> None:
    async with kit.running() as (app, client):
        row = await kit.open_case(app, form_submitted())
        # The case goes (erased residents keep theirs; here its type moves out of every team).
        async with app.state.runtime.engine.begin() as connection:
            await connection.exec_driver_sql(
                "DELETE FROM cases_timeline WHERE case_id = $1", (row.id,)
            )
            await connection.exec_driver_sql("DELETE FROM cases_case WHERE id = $1", (row.id,))
        officer = await client.get(
            f"/v1/residents/{row.resident_id}", headers=bearer("waste-officer")
        )
        assert officer.status_code == 404
        lead = await client.get(f"/v1/residents/{row.resident_id}", headers=bearer("planning-lead"))
        assert lead.status_code == 200
