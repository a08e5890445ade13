"""Counting through references reveals nothing: a submission's status only to its submitter's
receipt token, Open311 only the services the council marks public."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from intake.adapters import repository
from intake.adapters.tables import submission as submission_table
from intake_factories import UPRN, IntakeHarness, fly_tip_request, london_today, submission

pytestmark = pytest.mark.integration

PRIVATE_DESCRIPTION = "Bin left behind the side gate of 3 Acacia Avenue"


def _neighbours(reference: str) -> list[str]:
    prefix, year, number = reference.rsplit("-", 2)
    first = max(1, int(number) - 2)
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, first + 5)]


async def test_counting_through_references_shows_no_status_without_the_receipts_token(
    intake: IntakeHarness,
) -> None:
    await intake.set_collection(uprn=UPRN, bin_type="refuse", day=london_today(), status="missed")
    submitted = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin")
    )
    assert submitted.status_code == 202, submitted.text
    receipt = submitted.json()
    reference, token = receipt["reference"], receipt["status_token"]
    assert len(token) >= 22  # at least 128 random bits, URL-safe base64

    answers = [await intake.client.get(f"/v1/submissions/{ref}") for ref in _neighbours(reference)]
    assert {a.status_code for a in answers} == {401}
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert len({a.json()["detail"] for a in answers}) == 1  # the same words for every reference
    assert not any("open" in a.text or "received_at" in a.text for a in answers)

    # A token in the query string is not read: it would end up in access logs and traces.
    in_query = await intake.client.get(
        f"/v1/submissions/{reference}", params={"status_token": token, "token": token}
    )
    assert in_query.status_code == 401

    wrong = [
        await intake.client.get(
            f"/v1/submissions/{ref}", headers={"Authorization": f"Bearer {token}"}
        )
        for ref in _neighbours(reference)
        if ref != reference
    ]
    wrong.append(
        await intake.client.get(
            f"/v1/submissions/{reference}", headers={"Authorization": "Bearer not-the-token"}
        )
    )
    assert {w.status_code for w in wrong} == {404}
    assert len({w.json()["detail"].replace(w.url.path.rsplit("/", 1)[1], "") for w in wrong}) == 1

    mine = await intake.client.get(
        receipt["status_url"], headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["reference"] == reference and mine.json()["status"] == "open"

    # Only the token's hash is kept.
    async with intake.app.state.runtime.unit_of_work() as uow:
        stored = (
            await uow.session.execute(
                sa.select(submission_table.c.status_token_hash).where(
                    submission_table.c.reference == reference
                )
            )
        ).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()


async def test_an_idempotent_retry_gets_the_same_token(intake: IntakeHarness) -> None:
    body = submission("street-cleansing")
    headers = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=body, headers=headers
    )
    again = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=body, headers=headers
    )
    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["status_token"] == again.json()["status_token"]
    status = await intake.client.get(
        first.json()["status_url"],
        headers={"Authorization": f"Bearer {again.json()['status_token']}"},
    )
    assert status.status_code == 200


async def test_open311_shows_only_the_services_the_council_marks_public(
    intake: IntakeHarness,
) -> None:
    assert set(intake.app.state.intake.council.profile.open311_public_services) == {
        "fly_tipping",
        "street_cleansing",
        "abandoned_vehicle",
    }
    await intake.set_collection(uprn=UPRN, bin_type="refuse", day=london_today(), status="missed")
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    missed = await intake.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": fixmystreet.api_key,
            "service_code": "missed_bin",
            "address_id": UPRN,
            "address_string": "3 Acacia Avenue, Epsom",
            "email": "resident@example.org",
            "description": PRIVATE_DESCRIPTION,
            "attribute[bin_type]": "refuse",
            "attribute[bin_presented]": "true",
        },
    )
    assert missed.status_code == 201, missed.text
    private = missed.json()[0]["service_request_id"]
    fly_tip = await intake.client.post(
        "/open311/v2/requests.json",
        data=fly_tip_request(fixmystreet.api_key, description="Mattress by the bus stop"),
    )
    assert fly_tip.status_code == 201, fly_tip.text
    public = fly_tip.json()[0]["service_request_id"]
    async with intake.app.state.runtime.unit_of_work() as uow:
        for reference in (private, public):
            await repository.record_status(
                session=uow.session,
                event_id=uuid.uuid4(),
                reference=reference,
                status="open",
                case_status="investigating",
                notes="An officer is looking into it",
                at=datetime.now(UTC),
            )

    def shown(text: str) -> bool:
        return private in text or "Acacia" in text or UPRN in text

    for ref in _neighbours(private):
        for fmt in ("json", "xml"):
            one = await intake.client.get(f"/open311/v2/requests/{ref}.{fmt}")
            assert one.status_code == 404 and not shown(one.text.replace(ref, "")), one.text
    for query in (
        "",
        f"?service_request_id={private},{public}",
        "?service_code=missed_bin",
        "?status=open",
    ):
        for fmt in ("json", "xml"):
            listed = await intake.client.get(f"/open311/v2/requests.{fmt}{query}")
            assert listed.status_code == 200 and not shown(listed.text), listed.text
    listed = (await intake.client.get("/open311/v2/requests.json")).json()
    assert [r["service_request_id"] for r in listed] == [public]
    assert listed[0]["description"] == "Mattress by the bus stop"

    updates = await intake.client.get("/open311/v2/servicerequestupdates.json")
    assert [u["service_request_id"] for u in updates.json()] == [public]
    updates_xml = await intake.client.get("/open311/v2/servicerequestupdates.xml")
    assert not shown(updates_xml.text)
    root = ElementTree.fromstring(updates_xml.content)
    assert [e.text for e in root.iter("service_request_id")] == [public]
