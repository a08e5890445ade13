"""The officer API's permissions and the resident status API's proofs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cases.service_layer import status_lookup
from cases_factories import bearer, form_submitted

pytestmark = pytest.mark.integration


async def test_officers_see_and_act_only_within_their_teams(kit: Any) -> None:
    missed = form_submitted()
    fly_tipping = form_submitted(form_id="fly-tipping")
    async with kit.running() as (app, client):
        await kit.open_case(app, missed)
        await kit.open_case(app, fly_tipping)

        assert (await client.get("/v1/cases")).status_code == 401
        assert (
            await client.get("/v1/cases", headers={"Authorization": "Bearer wrong"})
        ).status_code == 401

        waste = (await client.get("/v1/cases", headers=bearer("waste-officer"))).json()
        assert [c["reference"] for c in waste["items"]] == [missed.subject]
        lead = (await client.get("/v1/cases", headers=bearer("waste-lead"))).json()
        assert {c["reference"] for c in lead["items"]} == {missed.subject, fly_tipping.subject}
        assert lead["total"] == 2
        paged = (
            await client.get(
                "/v1/cases", params={"page_size": 1, "page": 2}, headers=bearer("waste-lead")
            )
        ).json()
        assert len(paged["items"]) == 1 and paged["total"] == 2
        by_postcode = await client.get(
            "/v1/cases",
            params={"postcode": "ex1 2ab", "status": "received"},
            headers=bearer("waste-officer"),
        )
        assert [c["reference"] for c in by_postcode.json()["items"]] == [missed.subject]
        assert (
            await client.get(f"/v1/cases/{fly_tipping.subject}", headers=bearer("waste-officer"))
        ).status_code == 404
        assert (
            await client.get(f"/v1/cases/{missed.subject}", headers=bearer("planning-officer"))
        ).status_code == 404

        # An officer takes a case; only a team lead gives one to someone else.
        mine = await client.post(
            f"/v1/cases/{missed.subject}/assignment",
            headers=bearer("waste-officer"),
            json={"officer_id": "waste-officer"},
        )
        assert mine.json()["assigned_to"] == "waste-officer"
        other = await client.post(
            f"/v1/cases/{missed.subject}/assignment",
            headers=bearer("waste-officer"),
            json={"officer_id": "someone-else"},
        )
        assert other.status_code == 403
        given = await client.post(
            f"/v1/cases/{fly_tipping.subject}/assignment",
            headers=bearer("waste-lead"),
            json={"officer_id": "waste-officer"},
        )
        assert given.status_code == 200
        assigned = await client.get(
            "/v1/cases", params={"assigned_to": "waste-officer"}, headers=bearer("waste-lead")
        )
        assert assigned.json()["total"] == 2

        # Manual changes are checked by the state machine.
        refused = await client.post(
            f"/v1/cases/{missed.subject}/status",
            headers=bearer("waste-officer"),
            json={"status": "booked", "note": "wrong"},
        )
        assert refused.status_code == 409
        assert "return_visit_scheduled" in refused.json()["detail"]
        moved = await client.post(
            f"/v1/cases/{fly_tipping.subject}/status",
            headers=bearer("waste-lead"),
            json={"status": "investigating", "note": "crew sent to look"},
        )
        assert moved.json()["status"] == "investigating"
        assert await kit.outbox_types(app, fly_tipping.subject) == [
            "CaseOpened",
            "CaseStatusChanged",
        ]
        detail = (
            await client.get(f"/v1/cases/{fly_tipping.subject}", headers=bearer("waste-lead"))
        ).json()
        notes = [e for e in detail["timeline"] if e["kind"] == "note"]
        assert notes[0]["summary"] == "crew sent to look" and notes[0]["internal"] is True


async def test_the_status_api_answers_only_with_proof(kit: Any) -> None:
    mine = form_submitted()
    theirs = form_submitted()
    async with kit.running() as (app, client):
        await kit.open_case(app, mine)
        await kit.open_case(app, theirs)
        await client.post(
            f"/v1/cases/{mine.subject}/status",
            headers=bearer("waste-officer"),
            json={"status": "return_visit_scheduled", "note": "booked by phone"},
        )

        by_postcode = await client.post(f"/v1/status/{mine.subject}", json={"postcode": "ex1 2ab"})
        assert by_postcode.status_code == 200
        body = by_postcode.json()
        assert body["status"] == "return_visit_scheduled"
        assert [step["status"] for step in body["history"]] == [
            "received",
            "return_visit_scheduled",
        ]
        assert "booked by phone" not in by_postcode.text  # internal notes never shown
        assert "@" not in by_postcode.text
        by_email = await client.post(
            f"/v1/status/{mine.subject}", json={"email": mine.contact.email.upper()}
        )
        assert by_email.status_code == 200

        link = (
            await client.post(
                f"/v1/cases/{mine.subject}/status-link", headers=bearer("waste-officer")
            )
        ).json()
        path, _, fragment = link["path"].partition("#token=")
        assert fragment == link["token"]
        assert (await client.post(path, json={"token": fragment})).status_code == 200

        wrong_proof = await client.post(f"/v1/status/{mine.subject}", json={"postcode": "ZZ9 9ZZ"})
        no_case = await client.post("/v1/status/WST-2026-000000", json={"postcode": "EX1 2AB"})
        no_proof = await client.post(f"/v1/status/{mine.subject}", json={})
        others_email = await client.post(
            f"/v1/status/{theirs.subject}", json={"email": mine.contact.email}
        )
        others_token = await client.post(
            f"/v1/status/{theirs.subject}", json={"token": link["token"]}
        )
        for answer in (wrong_proof, no_case, no_proof, others_email, others_token):
            assert answer.status_code == 404
            assert answer.json()["detail"] == wrong_proof.json()["detail"]


async def test_the_status_api_limits_attempts_per_client(
    kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One fixed minute, so the window cannot roll over between the attempts.
    minute = datetime.now(UTC).replace(second=30)
    monkeypatch.setattr(status_lookup, "_now", lambda: minute)
    async with kit.running(status_lookups_per_minute=3) as (_, client):
        answers = [
            (
                await client.post(f"/v1/status/WST-2026-00000{n}", json={"postcode": "EX1 2AB"})
            ).status_code
            for n in range(5)
        ]
        assert answers[:3] == [404, 404, 404]
        assert answers[3:] == [429, 429]
