"""Open311 GeoReport v2 round trip: services, definition, create, read back, updates feed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseClosed, CaseStatusChanged
from civic_events.envelope import decode, encode
from civic_events.intake import FormSubmitted
from civic_runtime.producer import EventProducer
from intake.adapters.tables import submission as submission_table
from intake_factories import (
    DEMO_COUNCIL,
    IN_DISTRICT,
    UPRN,
    IntakeHarness,
    fly_tip_request,
    london_today,
)

pytestmark = pytest.mark.integration


async def test_open311_round_trip(
    intake: IntakeHarness, read_records: Any, eventually: Any, infrastructure: Any
) -> None:
    client = intake.client
    services = (await client.get("/open311/v2/services.json")).json()
    codes = {s["service_code"] for s in services}
    assert {"fly_tipping", "missed_bin", "street_cleansing"} <= codes
    assert "bulky_waste" not in codes  # its item list has no GeoReport shape
    where = {s["service_code"]: s["location"]["accepts"] for s in services}
    assert where["missed_bin"] == ["address_id"]
    assert "lat_long" in where["fly_tipping"]
    xml = ElementTree.fromstring((await client.get("/open311/v2/services.xml")).content)
    assert xml.tag == "services" and len(xml.findall("service")) == len(services)

    definition = (await client.get("/open311/v2/services/fly_tipping.json")).json()
    size = next(a for a in definition["attributes"] if a["code"] == "size")
    assert size["datatype"] == "singlevaluelist" and size["required"] is True
    assert {"key": "car_boot", "name": "Car boot"} in size["values"]
    definition_xml = ElementTree.fromstring(
        (await client.get("/open311/v2/services/fly_tipping.xml")).content
    )
    assert definition_xml.tag == "service_definition"
    assert definition["location"] == {
        "required": True,
        "accepts": ["lat_long", "address_string", "address_id"],
    }

    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    form = fly_tip_request(
        fixmystreet.api_key,
        email="reporter@example.org",
        first_name="Rita",
        last_name="Reporter",
        description="Mattress dumped by the bus stop",
        **{"attribute[witnessed]": "false"},
    )
    created = await client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    assert reference.startswith("ENV-")

    records = await read_records(intake.topic_prefix + "intake.submission.v1", 1)
    event = decode(records[0].headers, records[0].value)
    assert isinstance(event, FormSubmitted)
    assert event.submitted_via == "open311" and event.subject == reference
    assert event.answers == {"waste_type": "household", "size": "car_boot", "witnessed": False}

    read_back = (await client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
    assert read_back["status"] == "open"
    assert read_back["lat"] == IN_DISTRICT["latitude"]
    assert read_back["agency_responsible"] == DEMO_COUNCIL.name
    listed = (await client.get("/open311/v2/requests.json?service_code=fly_tipping")).json()
    assert [r["service_request_id"] for r in listed] == [reference]

    # cases reports the case's life on cases.lifecycle.v1; intake's projection follows it.
    producer = EventProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap_servers, client_id="t"
    )
    await producer.start()
    case_id = uuid.uuid4()
    try:
        changed = CaseStatusChanged(
            source="cases",
            subject=reference,
            case_id=case_id,
            case_type="fly_tipping",
            old_status="received",
            new_status="investigating",
            reason="officer assigned",
            notify_resident=True,
        )
        closed = CaseClosed(
            source="cases",
            subject=reference,
            case_id=case_id,
            case_type="fly_tipping",
            outcome="resolved",
            notify_resident=True,
        )
        for case_event in (changed, closed):
            record = encode(case_event)
            await producer.send(replace(record, topic=intake.topic_prefix + record.topic))
    finally:
        await producer.stop()

    async def closed_in_open311() -> bool:
        item = (await client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
        return bool(item["status"] == "closed")

    await eventually(closed_in_open311, timeout=30)
    updates = (await client.get("/open311/v2/servicerequestupdates.json")).json()
    assert [(u["service_request_id"], u["status"], u["external_status_code"]) for u in updates] == [
        (reference, "open", "investigating"),
        (reference, "closed", "resolved"),
    ]
    updates_xml = ElementTree.fromstring(
        (await client.get("/open311/v2/servicerequestupdates.xml")).content
    )
    assert len(updates_xml.findall("request_update")) == 2


async def test_open311_errors_are_in_the_specifications_format(intake: IntakeHarness) -> None:
    client = intake.client
    missing = await client.get("/open311/v2/requests/ENV-2026-999999.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404
    unknown = await client.get("/open311/v2/services/nope.xml")
    assert unknown.status_code == 404
    assert ElementTree.fromstring(unknown.content).tag == "errors"
    no_key = await client.post(
        "/open311/v2/requests.json",
        data={"service_code": "fly_tipping", "lat": str(IN_DISTRICT["latitude"])},
    )
    assert no_key.status_code == 403
    waste = await intake.create_client("waste-only", ["waste"])
    wrong_scope = await client.post(
        "/open311/v2/requests.json", data={"api_key": waste.api_key, "service_code": "fly_tipping"}
    )
    assert wrong_scope.status_code == 403
    fms = await intake.create_client("fms", ["open311"])
    invalid = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": fms.api_key,
            "service_code": "fly_tipping",
            "lat": "51.5",
            "long": "-0.12",
            "attribute[size]": "enormous",
        },
    )
    assert invalid.status_code == 400
    descriptions = " ".join(e["description"] for e in invalid.json())
    assert "attribute[size]" in descriptions and "attribute[waste_type]" in descriptions
    assert "outside the council's area" in descriptions


async def test_a_request_keeps_its_photo_link_and_its_token_finds_it(
    intake: IntakeHarness,
) -> None:
    client = intake.client
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    created = await client.post(
        "/open311/v2/requests.json",
        data=fly_tip_request(
            fixmystreet.api_key,
            email="reporter@example.org",
            media_url="https://photos.example.org/fly-tip/123.jpg",
            **{"attribute[witnessed]": "false"},
        ),
    )
    assert created.status_code == 201, created.text
    answer = created.json()[0]
    reference, token = answer["service_request_id"], answer["token"]
    assert token and token != reference

    read_back = (await client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
    assert read_back["media_url"] == "https://photos.example.org/fly-tip/123.jpg"
    listed = (await client.get(f"/open311/v2/requests.json?service_request_id={reference}")).json()
    assert listed[0]["media_url"] == "https://photos.example.org/fly-tip/123.jpg"
    listed_xml = ElementTree.fromstring(
        (await client.get(f"/open311/v2/requests.xml?service_request_id={reference}")).content
    )
    assert listed_xml.findtext("request/media_url") == "https://photos.example.org/fly-tip/123.jpg"

    found = await client.get(f"/open311/v2/tokens/{token}.json")
    assert found.status_code == 200
    assert found.json() == [{"token": token, "service_request_id": reference}]
    found_xml = ElementTree.fromstring(
        (await client.get(f"/open311/v2/tokens/{token}.xml")).content
    )
    assert found_xml.tag == "service_requests"
    assert found_xml.findtext("request/service_request_id") == reference
    assert found_xml.findtext("request/token") == token

    for unknown in (str(uuid.uuid4()), "not-a-token"):
        missing = await client.get(f"/open311/v2/tokens/{unknown}.json")
        assert missing.status_code == 404
        assert missing.json()[0]["code"] == 404
    assert (await client.get(f"/open311/v2/tokens/{token}.csv")).status_code == 404


async def test_a_request_without_a_photo_shows_no_media_url(intake: IntakeHarness) -> None:
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    created = await intake.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": fixmystreet.api_key,
            "service_code": "street_cleansing",
            "lat": str(IN_DISTRICT["latitude"]),
            "long": str(IN_DISTRICT["longitude"]),
            "attribute[problem]": "broken_glass",
        },
    )
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    item = (await intake.client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
    assert item["media_url"] is None


async def test_a_property_service_takes_the_uprn_beside_the_clients_map_point(
    intake: IntakeHarness,
) -> None:
    """FixMyStreet sends a map point with every report; a missed bin is for a property."""
    await intake.set_collection(uprn=UPRN, bin_type="refuse", day=london_today(), status="missed")
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    request = {
        "api_key": fixmystreet.api_key,
        "service_code": "missed_bin",
        "email": "reporter@example.org",
        "attribute[bin_type]": "refuse",
        "attribute[bin_presented]": "true",
        "lat": "52.205",  # Cambridge: outside the area, and not what a missed bin takes
        "long": "0.119",
    }
    without_property = await intake.client.post("/open311/v2/requests.json", data=request)
    assert without_property.status_code == 400
    assert "This form takes: uprn" in without_property.json()[0]["description"]
    created = await intake.client.post(
        "/open311/v2/requests.json", data={**request, "address_id": UPRN}
    )
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    async with intake.app.state.runtime.unit_of_work() as uow:
        location = (
            await uow.session.execute(
                sa.select(submission_table.c.location).where(
                    submission_table.c.reference == reference
                )
            )
        ).scalar_one()
    assert location == {"uprn": UPRN}
    # A missed bin is about a home: not a public service, so Open311 shows it to no one.
    private = await intake.client.get(f"/open311/v2/requests/{reference}.json")
    assert private.status_code == 404
