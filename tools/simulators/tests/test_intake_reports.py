"""Reports to intake: signed as intake checks them, retried with backoff, in order, or skipped."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from civic_simulators.intake_reports import IntakeReporter, backoff, signature_header
from intake.domain.signatures import verify
from simulator_receivers import API_KEY, SIGNING_SECRET, IntakeReceiver

pytestmark = pytest.mark.integration


def return_visit(subject: str = "WST-2026-000001", **overrides: Any) -> dict[str, Any]:
    report = {
        "type": "ReturnVisitScheduled",
        "event_id": str(uuid.uuid4()),
        "subject": subject,
        "job_reference": "MC-000001",
        "uprn": "100061000001",
        "round_id": "R101",
        "bin_type": "refuse",
        "missed_collection_date": "2026-11-27",
        "scheduled_for": "2026-11-30",
    }
    report.update(overrides)
    return report


@contextlib.asynccontextmanager
async def sending(receiver: IntakeReceiver, **overrides: Any) -> AsyncIterator[IntakeReporter]:
    """A reporter to `receiver`; leaving the block waits for its deliveries, then closes it."""
    options: dict[str, Any] = {
        "url": f"{receiver.url}/v1/backoffice/waste/events",
        "api_key": API_KEY,
        "signing_secret": SIGNING_SECRET,
        "retry_base_s": 0.01,
        "retry_attempts": 5,
    }
    sender = IntakeReporter(**(options | overrides))
    try:
        yield sender
        await sender.settle()
    finally:
        await sender.close()


@pytest.mark.unit
def test_the_signature_is_the_one_intake_verifies_and_no_other() -> None:
    body, now = b'{"a":1}', int(time.time())
    header = signature_header("whsec_x", now, body)
    assert verify(header, secret="whsec_x", body=body, now=now, tolerance_s=300) is None
    assert verify(header, secret="whsec_y", body=body, now=now, tolerance_s=300) is not None
    assert verify(header, secret="whsec_x", body=b'{"a":2}', now=now, tolerance_s=300)
    assert backoff(1.0, 4) == [1.0, 2.0, 4.0]
    assert backoff(100.0, 4, cap_s=300) == [100.0, 200.0, 300.0]


async def test_a_report_is_signed_and_accepted_by_intakes_own_checks(
    intake_receiver: IntakeReceiver,
) -> None:
    async with sending(intake_receiver) as sender:
        report = sender.send(return_visit())
    assert intake_receiver.refused == []
    assert intake_receiver.types() == ["ReturnVisitScheduled"]
    assert intake_receiver.received[0].event.source == "waste-contractor"
    assert report.status == "delivered"
    assert [a["status"] for a in report.attempts] == [202]


async def test_a_failing_receiver_gets_the_report_again_freshly_signed_until_it_answers(
    intake_receiver: IntakeReceiver,
) -> None:
    intake_receiver.fail_next = 3
    async with sending(intake_receiver) as sender:
        report = sender.send(return_visit())
    assert [a["status"] for a in report.attempts] == [503, 503, 503, 202]
    assert report.status == "delivered"
    assert intake_receiver.requests == 4 and len(intake_receiver.received) == 1


async def test_delivery_is_given_up_after_the_last_attempt(
    intake_receiver: IntakeReceiver,
) -> None:
    intake_receiver.fail_next = 100
    async with sending(intake_receiver, retry_attempts=3) as sender:
        unanswered = sender.send(return_visit())
    assert unanswered.status == "failed"
    assert [a["status"] for a in unanswered.attempts] == [503, 503, 503]


async def test_a_refusal_is_final_and_not_retried(intake_receiver: IntakeReceiver) -> None:
    async with sending(intake_receiver, api_key="ik_wrong") as sender:
        refused = sender.send(return_visit())
    assert refused.status == "failed"
    assert [a["status"] for a in refused.attempts] == [401]
    assert intake_receiver.requests == 1


async def test_reports_about_one_case_arrive_in_the_order_they_were_made(
    intake_receiver: IntakeReceiver,
) -> None:
    intake_receiver.fail_next = 2  # the first report needs retries; the second must wait for it
    async with sending(intake_receiver) as sender:
        sender.send(return_visit(type="ReturnVisitScheduled"))
        sender.send(
            {
                "type": "CollectionCompleted",
                "event_id": str(uuid.uuid4()),
                "subject": "WST-2026-000001",
                "job_reference": "MC-000001",
                "uprn": "100061000001",
                "round_id": "R101",
                "bin_type": "refuse",
                "collection_date": "2026-11-30",
                "completed_at": "2026-11-30T10:00:00+00:00",
                "return_visit": True,
            }
        )
    assert intake_receiver.types() == ["ReturnVisitScheduled", "CollectionCompleted"]


async def test_with_no_credentials_reports_are_recorded_and_skipped_not_sent(
    intake_receiver: IntakeReceiver,
) -> None:
    async with sending(intake_receiver, api_key=None, signing_secret=None) as sender:
        report = sender.send(return_visit())
    assert report.status == "skipped" and report.attempts == []
    assert intake_receiver.requests == 0
    assert report.public()["event"]["type"] == "ReturnVisitScheduled"
