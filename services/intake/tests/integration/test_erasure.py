"""An erased resident's submissions are forgotten: what they said and where, in the receipts
Open311 serves and in the outbox's copies of their FormSubmitted; others' stay."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.envelope import encode
from civic_events.residents import ResidentErased
from civic_runtime.producer import EventProducer
from intake_factories import DEMO_ADDRESS, IntakeHarness, fly_tip_request, submission

pytestmark = pytest.mark.integration


async def _everything(intake: IntakeHarness) -> str:
    """Every row of every table of intake's database, as text (bytes as their hex)."""
    async with intake.app.state.runtime.engine.connect() as connection:
        tables = (
            await connection.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ).scalars()
        rows = []
        for table in list(tables):
            rows += (
                await connection.execute(sa.text(f'SELECT t::text FROM "{table}" t'))
            ).scalars()
    return "\n".join(rows)


def _findable(text: str) -> tuple[str, str]:
    return text, text.encode().hex()


async def test_an_erasure_forgets_the_residents_submissions_and_their_outbox_copies(
    intake: IntakeHarness, infrastructure: Any, read_records: Any, eventually: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    digits = f"{uuid.uuid4().int % 1000:03d}"
    email, phone = f"erased-{tag}@example.org", f"+447911123{digits}"
    address, said = f"{tag} Forgotten Lane, EX1 2AB", f"Mattress dumped by {tag}"
    contact = {
        "name": f"Erased {tag}",
        "email": email,
        "phone": f"07911 123{digits}",
        "address": address,
    }
    web = await intake.client.post(
        "/v1/forms/assisted-collection/submissions",
        json=submission("assisted-collection", contact=contact),
    )
    assert web.status_code == 202, web.text
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    reported = await intake.client.post(
        "/open311/v2/requests.json",
        data=fly_tip_request(
            fixmystreet.api_key,
            email=email,
            phone=phone,
            description=said,
            address_string=address,
        ),
    )
    assert reported.status_code == 201, reported.text
    kept_tag = uuid.uuid4().hex[:8]
    kept_email = f"kept-{kept_tag}@example.org"
    other = await intake.client.post(
        "/v1/forms/assisted-collection/submissions",
        json=submission("assisted-collection", contact={"name": "Kept", "email": kept_email}),
    )
    assert other.status_code == 202, other.text
    references = [web.json()["reference"], reported.json()[0]["service_request_id"]]
    await read_records(intake.topic_prefix + "intake.submission.v1", 3)
    before = await _everything(intake)
    assert email.encode().hex() in before and DEMO_ADDRESS in before

    erasure = ResidentErased(
        source="cases",
        subject=str(uuid.uuid4()),
        resident_id=uuid.uuid4(),
        reason="resident_request",
        references=tuple(references),
    )
    producer = EventProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap_servers, client_id="cases-erasure"
    )
    await producer.start()
    try:
        record = encode(erasure)
        await producer.send(replace(record, topic=intake.topic_prefix + record.topic))
    finally:
        await producer.stop()

    async def forgotten() -> bool:
        everything = await _everything(intake)
        return not any(
            found in everything
            for text in (email, phone, address, said)
            for found in _findable(text)
        )

    await eventually(forgotten, timeout=30)
    everything = await _everything(intake)
    assert kept_email.encode().hex() in everything, "another resident's submission stays"
    read_back = await intake.client.get(f"/open311/v2/requests/{references[1]}.json")
    assert read_back.status_code == 200, read_back.text
    (request,) = read_back.json()
    assert request["service_request_id"] == references[1]
    assert said not in read_back.text and address not in read_back.text
    as_xml = await intake.client.get(f"/open311/v2/requests/{references[1]}.xml")
    assert as_xml.status_code == 200 and said not in as_xml.text
