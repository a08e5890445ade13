"""intake's business metrics on /metrics: counted once per durably accepted submission or event."""

from __future__ import annotations

import uuid

import pytest
from civic_events.waste import ReturnVisitScheduled
from intake_factories import IntakeHarness, fly_tip_request, return_visit, submission
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


async def samples(intake: IntakeHarness, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of counter `name` as served on /metrics, by their sorted labels."""
    text = (await intake.client.get("/metrics")).text
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_submissions_are_counted_by_form_and_channel_once_accepted(
    intake: IntakeHarness,
) -> None:
    client = intake.client
    sent = [
        ("street-cleansing", "email"),
        ("street-cleansing", "email"),
        ("street-cleansing", "sms"),
        ("general-enquiry", "none"),
    ]
    for form_id, channel in sent:
        response = await client.post(
            f"/v1/forms/{form_id}/submissions",
            json=submission(form_id, preferred_channel=channel),
        )
        assert response.status_code == 202, response.text
    # Refused and replayed submissions are not new submissions.
    refused = await client.post(
        "/v1/forms/street-cleansing/submissions",
        json=submission("street-cleansing", answers={"problem": "not-a-problem"}),
    )
    assert refused.status_code == 422
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = submission("street-cleansing", preferred_channel="push")
    for _ in range(2):
        again = await client.post("/v1/forms/street-cleansing/submissions", json=body, headers=key)
        assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    # Open311 counts as the same front door.
    fixmystreet = await intake.create_client("fixmystreet", ["open311"])
    created = await client.post(
        "/open311/v2/requests.json",
        data=fly_tip_request(fixmystreet.api_key, phone="07911 123456"),
    )
    assert created.status_code == 201, created.text

    def labels(form_id: str, channel: str) -> tuple[tuple[str, str], ...]:
        return (("channel", channel), ("form_id", form_id))

    assert await samples(intake, "civic_intake_submissions_total") == {
        labels("street-cleansing", "email"): 2,
        labels("street-cleansing", "sms"): 1,
        labels("street-cleansing", "push"): 1,
        labels("general-enquiry", "none"): 1,
        labels("fly-tipping", "sms"): 1,
    }


async def test_backoffice_events_are_counted_by_system_and_type_without_duplicates(
    intake: IntakeHarness,
) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])

    batch = {
        "events": [return_visit(subject="WST-2026-000001"), return_visit(subject="WST-2026-000002")]
    }
    for _ in range(2):  # the second is a replay: duplicates only
        response = await intake.post_signed("waste", batch, waste)
        assert response.status_code == 202, response.text
    invalid = await intake.post_signed("waste", {"type": "ReturnVisitScheduled"}, waste)
    assert invalid.status_code == 422

    assert await samples(intake, "civic_intake_backoffice_events_total") == {
        (("event_type", ReturnVisitScheduled.ce_type), ("system", "waste")): 2
    }
