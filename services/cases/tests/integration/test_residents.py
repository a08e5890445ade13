"""Residents: matched by email or phone, never by name alone; erasure keeps anonymised history."""

from __future__ import annotations

from typing import Any

import pytest
from cases_factories import bearer, contact, form_submitted
from civic_events.residents import ContactPreferencesChanged, ResidentErased, ResidentUpserted

pytestmark = pytest.mark.integration


async def test_residents_are_matched_by_email_or_phone_but_not_by_name(kit: Any) -> None:
    first = contact(phone="+447700900001")
    same_email = contact(name="A. Resident", email=first.email.upper(), phone=None)
    same_phone = contact(name="Someone", email=None, phone="+447700900001")
    same_name_only = contact(name=first.name, phone=None)
    submissions = [
        form_submitted(contact=c) for c in (first, same_email, same_phone, same_name_only)
    ]
    async with kit.running() as (app, client):
        rows = [await kit.open_case(app, s) for s in submissions]
        residents = [row.resident_id for row in rows]
        assert residents[0] == residents[1] == residents[2]
        assert residents[3] != residents[0]
        # Each submission's link went to an address on record that it gave (the third gave
        # only the phone number: by text); the resident confirms them all.
        assert await kit.confirm_contacts(app, client, residents[0]) == 3
        upserts = [
            e for e in await kit.events("residents.v1", 7) if isinstance(e, ResidentUpserted)
        ]
        latest = [u for u in upserts if u.resident_id == residents[0]][-1]
        assert (latest.contact.email, latest.contact.phone) == (first.email.lower(), first.phone)

        chosen = await client.put(
            f"/v1/residents/{residents[0]}/preferences",
            headers=bearer("waste-officer"),
            json={"preferred_channel": "sms", "disruption_alerts": True, "source": "phone call"},
        )
        assert chosen.status_code == 200, chosen.text
        body = chosen.json()
        assert (body["preferred_channel"], body["disruption_alerts"]) == ("sms", True)
        changed = [
            e
            for e in await kit.events("residents.v1", 8)
            if isinstance(e, ContactPreferencesChanged)
        ]
        assert [(e.resident_id, e.preferred_channel, e.case_updates) for e in changed] == [
            (residents[0], "sms", True)
        ]


async def test_erasure_forgets_the_person_and_keeps_the_anonymised_case(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted(description="The bin at my house was missed again")
    reference = submitted.subject
    async with kit.running() as (app, client):
        row = await kit.open_case(app, submitted)
        resident_id = row.resident_id
        note = await client.post(
            f"/v1/cases/{reference}/notes",
            headers=bearer("waste-officer"),
            json={"text": "Spoke to Alex on 07700 900001"},
        )
        assert note.status_code == 201
        refused = await client.post(
            f"/v1/residents/{resident_id}/erasure", headers=bearer("waste-officer"), json={}
        )
        assert refused.status_code == 403
        erased = await client.post(
            f"/v1/residents/{resident_id}/erasure",
            headers=bearer("waste-lead"),
            json={"reason": "resident_request"},
        )
        assert erased.status_code == 202
        events = [e for e in await kit.events("residents.v1", 2) if isinstance(e, ResidentErased)]
        assert [e.resident_id for e in events] == [resident_id]

        resident = (
            await client.get(f"/v1/residents/{resident_id}", headers=bearer("waste-lead"))
        ).json()
        assert resident["erased"] is True
        assert (resident["name"], resident["email"], resident["phone"], resident["address"]) == (
            None,
        ) * 4
        case = (await client.get(f"/v1/cases/{reference}", headers=bearer("waste-lead"))).json()
        assert (case["case_type"], case["status"]) == ("missed_bin", "received")
        assert (case["address"], case["postcode"], case["description"], case["answers"]) == (
            None,
            None,
            None,
            {},
        )
        notes = [e["summary"] for e in case["timeline"] if e["kind"] == "note"]
        assert notes == ["[erased]"]
        assert [e["kind"] for e in case["timeline"]][:1] == ["submission"]
        # The person is forgotten: their email no longer proves the case is theirs.
        status = await client.post(
            f"/v1/status/{reference}", json={"email": submitted.contact.email}
        )
        assert status.status_code == 404


async def test_an_officer_subscribes_a_resident_to_planning_applications_near_home(
    kit: Any,
) -> None:
    submitted = form_submitted()
    async with kit.running() as (app, client):
        resident_id = (await kit.open_case(app, submitted)).resident_id
        home = {"latitude": 51.33, "longitude": -0.27}
        chosen = await client.put(
            f"/v1/residents/{resident_id}/preferences",
            headers=bearer("waste-officer"),
            json={
                "preferred_channel": "email",
                "planning_alerts": True,
                "planning_alert_radius_metres": 800,
                "home_coordinates": home,
            },
        )
        assert chosen.status_code == 200, chosen.text
        body = chosen.json()
        assert (body["planning_alert_radius_metres"], body["home_latitude"]) == (800, 51.33)
        events = await kit.events("residents.v1", 3)
        assert [type(e).__name__ for e in events] == [
            "ContactChangeRequested",  # a new resident: confirm the address given
            "ResidentUpserted",
            "ContactPreferencesChanged",
        ]
        assert events[1].home_coordinates is not None
        assert events[1].home_coordinates.model_dump() == home
        assert (events[2].planning_alerts, events[2].planning_alert_radius_metres) == (True, 800)

        too_far = await client.put(
            f"/v1/residents/{resident_id}/preferences",
            headers=bearer("planning-officer"),
            json={"preferred_channel": "email", "planning_alert_radius_metres": 50_000},
        )
        assert too_far.status_code == 422
        assert too_far.headers["content-type"].startswith("application/problem+json")
