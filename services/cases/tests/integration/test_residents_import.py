"""Residents imported from a list become resident records, announced once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from cases.service_layer.residents_import import (
    Household,
    ImportCounts,
    ImportedResident,
    import_residents,
    imported_resident_id,
)
from cases_factories import bearer, contact, form_submitted
from civic_events.residents import ContactPreferencesChanged, ResidentUpserted

pytestmark = pytest.mark.integration


def _district(residents: int) -> dict[str, Any]:
    households = [
        {
            "uprn": f"1000610{n:05d}",
            "address": f"{n} Elm Road, Exampleton KT1 {n % 9}AB",
            "postcode": f"KT1 {n % 9}AB",
            "latitude": 51.3 + n / 10_000,
            "longitude": -0.3 - n / 10_000,
            "round_id": f"R{n % 3 + 1}",
        }
        for n in range(1, residents + 1)
    ]
    return {
        "households": households,
        "residents": [
            {
                "resident_key": f"demo-{n:05d}",
                "name": f"Demo Resident {n}",
                "email": f"demo{n}@example.org" if n % 4 else None,
                "phone": f"+4477009{n:05d}" if n % 2 else None,
                "uprn": households[n - 1]["uprn"],
                "preferred_channel": ["email", "sms", "push"][n % 3] if n % 4 else "sms",
                "case_updates": True,
                "disruption_alerts": n % 2 == 0,
                "planning_alerts": n % 5 == 0,
                "planning_alert_radius_metres": 500 if n % 5 == 0 else None,
            }
            for n in range(1, residents + 1)
        ],
    }


async def _import(app: Any, district: dict[str, Any], *, batch_size: int) -> ImportCounts:
    """As an import command does: a transaction per batch."""
    households = {h["uprn"]: Household.model_validate(h) for h in district["households"]}
    residents = [ImportedResident.model_validate(r) for r in district["residents"]]
    counts = ImportCounts()
    for start in range(0, len(residents), batch_size):
        async with app.state.runtime.unit_of_work() as uow:
            done = await import_residents(
                uow,
                residents=residents[start : start + batch_size],
                households=households,
                consent_source="a test list",
            )
        counts.add(done)
    return counts


async def _outbox(app: Any) -> list[str]:
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT event_type FROM outbox ORDER BY id"))
        return [row.event_type.split(".")[-2] for row in rows]


async def test_residents_are_imported_once_and_changes_announced(kit: Any) -> None:
    district = _district(12)
    # Someone already reported a missed bin with demo resident 1's email.
    district["residents"][0]["email"] = "taken@example.org"
    taken = form_submitted(contact=contact(email="taken@example.org"))
    async with kit.running(consumer_enabled=True, outbox_enabled=False) as (app, client):
        await kit.open_case(app, taken)
        first = await _import(app, district, batch_size=5)
        assert (first.created, first.updated, first.unchanged) == (12, 0, 0)
        events = await _outbox(app)
        # The reporter of the missed bin is not announced: their address is not confirmed.
        assert events.count("ResidentUpserted") == 12
        assert events.count("ContactChangeRequested") == 1
        assert events.count("ContactPreferencesChanged") == 12

        # Unchanged: nothing announced.
        second = await _import(app, district, batch_size=5)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 12)
        assert len(await _outbox(app)) == len(events)

        # Only the resident whose radius changed is announced, and only their preferences.
        district["residents"][4]["planning_alert_radius_metres"] = 1000
        third = await _import(app, district, batch_size=5)
        assert (third.updated, third.unchanged) == (1, 11)
        assert (await _outbox(app))[len(events) :] == ["ContactPreferencesChanged"]

        five = imported_resident_id("demo-00005")
        assert five == uuid.uuid5(uuid.NAMESPACE_URL, "civic-events:demo-resident:demo-00005")
        record = (await client.get(f"/v1/residents/{five}", headers=bearer("waste-lead"))).json()
        assert record["planning_alerts"] is True
        assert record["planning_alert_radius_metres"] == 1000
        assert record["collection_round_ids"] == ["R3"]
        assert (record["home_latitude"], record["home_longitude"]) == (51.3005, -0.3005)
        assert record["address"] == "5 Elm Road, Exampleton KT1 5AB"
        one = (
            await client.get(
                f"/v1/residents/{imported_resident_id('demo-00001')}", headers=bearer("waste-lead")
            )
        ).json()
        assert one["email"] is None and one["preferred_channel"] == "sms"

    # The relay announces them on residents.v1, with homes and rounds.
    async with kit.running():
        published = await kit.events("residents.v1", 12 + 1 + 12 + 1)
    upserted = {e.resident_id: e for e in published if isinstance(e, ResidentUpserted)}
    assert upserted[five].home_coordinates is not None
    assert upserted[five].home_coordinates.latitude == 51.3005
    assert upserted[five].collection_round_ids == ("R3",)
    radii = [
        e.planning_alert_radius_metres
        for e in published
        if isinstance(e, ContactPreferencesChanged) and e.resident_id == five
    ]
    assert radii == [500, 1000]
