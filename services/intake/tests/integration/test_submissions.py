"""Submissions against real PostgreSQL and Kafka: 202 only when durable, field-level errors,
idempotency, limits, and the database down."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from civic_events.envelope import decode
from civic_events.intake import FormSubmitted
from intake_factories import (
    INVALID_ANSWERS,
    OUTSIDE_DISTRICT,
    UPRN,
    VALID_SUBMISSIONS,
    IntakeHarness,
    london_today,
    submission,
)

pytestmark = pytest.mark.integration

REFERENCE = re.compile(r"^[A-Z]{3}-20[0-9]{2}-[0-9]{6}$")


async def test_a_missed_bin_is_accepted_with_a_reference_and_announced_on_kafka(
    intake: IntakeHarness, read_records: Any
) -> None:
    await intake.set_collection(
        uprn=UPRN, bin_type="refuse", day=london_today(), status="completed"
    )
    response = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin")
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert REFERENCE.match(body["reference"]) and body["reference"].startswith("WST-")
    assert (
        response.headers["location"] == body["status_url"] == f"/v1/submissions/{body['reference']}"
    )

    records = await read_records(intake.topic_prefix + "intake.submission.v1", 1)
    event = decode(records[0].headers, records[0].value)
    assert isinstance(event, FormSubmitted)
    assert records[0].key == body["reference"].encode()
    assert event.subject == body["reference"]
    assert event.form_id == "missed-bin" and event.form_version == 1
    assert event.contact is not None
    assert event.contact.email == "Ada@example.org"  # domain lower-cased by email-validator
    assert event.contact.phone == "+447911123456"
    assert event.preferred_channel == "email"
    assert event.location is not None and event.location.uprn == UPRN

    status = await intake.client.get(
        body["status_url"], headers={"Authorization": f"Bearer {body['status_token']}"}
    )
    assert status.status_code == 200
    assert status.json()["status"] == "open"
    assert "email" not in status.text


@pytest.mark.parametrize("form_id", sorted(VALID_SUBMISSIONS))
async def test_every_form_accepts_a_valid_submission(intake: IntakeHarness, form_id: str) -> None:
    if form_id == "missed-bin":
        await intake.set_collection(
            uprn=UPRN, bin_type="refuse", day=london_today(), status="completed"
        )
    response = await intake.client.post(
        f"/v1/forms/{form_id}/submissions", json=submission(form_id)
    )
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("form_id", sorted(INVALID_ANSWERS))
async def test_every_form_names_the_failing_field_and_rule(
    intake: IntakeHarness, form_id: str
) -> None:
    answers, field, rule = INVALID_ANSWERS[form_id]
    response = await intake.client.post(
        f"/v1/forms/{form_id}/submissions", json=submission(form_id, answers=answers)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in errors
    ]
    assert all(e["message"] for e in errors)


async def test_contact_channel_consent_and_location_are_checked(intake: IntakeHarness) -> None:
    body = submission(
        "fly-tipping",
        contact={"email": "not-an-email", "phone": "12"},
        preferred_channel="sms",
        consent=False,
        location=OUTSIDE_DISTRICT,
    )
    response = await intake.client.post("/v1/forms/fly-tipping/submissions", json=body)
    assert response.status_code == 422
    named = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert {
        ("contact.email", "email"),
        ("contact.phone", "phone"),
        ("consent", "required"),
        ("location.coordinates", "district"),
    } <= named


async def test_the_same_idempotency_key_and_body_returns_the_first_response_only_once(
    intake: IntakeHarness, read_records: Any
) -> None:
    body = submission("street-cleansing")
    headers = {"Idempotency-Key": "retry-me-1"}
    first, second = await asyncio.gather(
        intake.client.post("/v1/forms/street-cleansing/submissions", json=body, headers=headers),
        intake.client.post("/v1/forms/street-cleansing/submissions", json=body, headers=headers),
    )
    third = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=body, headers=headers
    )
    assert first.status_code == second.status_code == third.status_code == 202
    assert first.json() == second.json() == third.json()
    assert third.headers["idempotent-replayed"] == "true"
    # A different key makes a second submission; the first key's event exists exactly once.
    other = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=body, headers={"Idempotency-Key": "k2"}
    )
    assert other.json()["reference"] != first.json()["reference"]
    records = await read_records(intake.topic_prefix + "intake.submission.v1", 2)
    subjects = [decode(r.headers, r.value).subject for r in records]
    assert sorted(subjects) == sorted([first.json()["reference"], other.json()["reference"]])


async def test_the_same_idempotency_key_with_a_different_body_is_refused(
    intake: IntakeHarness,
) -> None:
    headers = {"Idempotency-Key": "retry-me-2"}
    first = await intake.client.post(
        "/v1/forms/street-cleansing/submissions",
        json=submission("street-cleansing"),
        headers=headers,
    )
    assert first.status_code == 202
    changed = submission("street-cleansing", answers={"problem": "litter"})
    second = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=changed, headers=headers
    )
    assert second.status_code == 422
    assert second.json()["type"].endswith("/idempotency-key-reused")


async def test_oversized_bodies_wrong_types_and_bad_json_are_refused(intake: IntakeHarness) -> None:
    url = "/v1/forms/general-enquiry/submissions"
    huge = await intake.client.post(
        url, content=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/problem+json"
    text = await intake.client.post(url, content=b"hello", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    broken = await intake.client.post(
        url, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    unknown = await intake.client.post("/v1/forms/no-such-form/submissions", json={})
    assert unknown.status_code == 404


async def test_database_unreachable_gives_503_with_retry_after_and_no_event(
    intake: IntakeHarness,
) -> None:
    from civic_runtime.db import create_engine, create_session_factory

    runtime = intake.app.state.runtime
    healthy = runtime.session_factory
    dead_engine = create_engine(
        runtime.settings.model_copy(
            update={"database_url": "postgresql+asyncpg://civic:civic@127.0.0.1:1/x"}
        )
    )
    # The submission's transaction runs on a Core connection from the engine, the rest on sessions.
    healthy_engine = runtime.engine
    runtime.session_factory = create_session_factory(dead_engine)
    runtime.engine = dead_engine
    try:
        response = await intake.client.post(
            "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
        )
    finally:
        runtime.session_factory = healthy
        runtime.engine = healthy_engine
        await dead_engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_overloaded_instance_answers_503_at_once_rather_than_queueing(
    intake: IntakeHarness,
) -> None:
    state = intake.app.state.intake
    state.in_flight = state.settings.max_in_flight_submissions
    try:
        response = await intake.client.post(
            "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
        )
    finally:
        state.in_flight = 0
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert (
        await intake.client.post(
            "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
        )
    ).status_code == 202


async def test_references_grow_past_six_digits_without_losing_any(intake: IntakeHarness) -> None:
    import sqlalchemy as sa

    async with intake.app.state.runtime.unit_of_work() as uow:
        await uow.session.execute(sa.text("SELECT setval('intake_reference_env_seq', 999999)"))
    response = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
    )
    assert response.status_code == 202, response.text
    assert response.json()["reference"].endswith("-1000000")
    assert "token" not in response.json()
