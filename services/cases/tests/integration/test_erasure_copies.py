"""An erasure reaches the copies cases does not hold itself: ResidentErased names the resident's
cases for the services that know them only by reference, and cases' own outbox forgets them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from cases_factories import bearer, contact, form_submitted
from civic_events.residents import ResidentErased

pytestmark = pytest.mark.integration


async def test_an_erasure_names_the_residents_cases_and_scrubs_cases_outbox(kit: Any) -> None:
    details = contact(phone="+447700900321")
    first, second = form_submitted(contact=details), form_submitted(contact=details)
    async with kit.running() as (app, client):
        resident_id = (await kit.open_case(app, first)).resident_id
        assert (await kit.open_case(app, second)).resident_id == resident_id
        erased = await client.post(
            f"/v1/residents/{resident_id}/erasure",
            headers=bearer("waste-lead"),
            json={"reason": "resident_request"},
        )
        assert erased.status_code == 202, erased.text

        async with app.state.runtime.engine.connect() as connection:
            payloads = (
                await connection.execute(
                    sa.text("SELECT event_type, payload FROM outbox WHERE key = :key"),
                    {"key": str(resident_id)},
                )
            ).all()
        assert len(payloads) >= 2, "what cases told of the resident, and their erasure"
        told = await kit.events("residents.v1", len(payloads))
        erasures = [e for e in told if isinstance(e, ResidentErased)]
        assert [(e.resident_id, e.references) for e in erasures] == [
            (resident_id, tuple(sorted((first.subject, second.subject))))
        ]
        for row in payloads:
            assert details.email is not None and details.email.encode() not in row.payload
            assert b"+447700900321" not in row.payload
