"""Events as the other parties send them, with sensible defaults (one factory style for all tests)."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from civic_events.contact import Contact, Location
from civic_events.intake import FormSubmitted
from civic_events.notify import NotificationDelivered, NotificationSent
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentSucceeded
from civic_events.planning import (
    ApplicationReceived,
    ApplicationValidated,
    ConsultationStarted,
    DecisionIssued,
)
from civic_events.waste import BinNotPresented, CollectionCompleted, ReturnVisitScheduled

OFFICER_TOKENS = {
    "waste-officer": "token-waste-officer-0123456789abcdef",
    "waste-lead": "token-waste-lead-0123456789abcdef",
    "planning-officer": "token-planning-officer-0123456789abcdef",
    "planning-lead": "token-planning-lead-0123456789abcdef",
    "information-officer": "token-information-officer-0123456789abcdef",
}
ROLES = {
    "waste-officer": ("officer", ["waste"]),
    "waste-lead": ("team_lead", ["waste", "environment"]),
    "planning-officer": ("officer", ["planning"]),
    "planning-lead": ("team_lead", ["planning"]),
    "information-officer": ("officer", ["information"]),
}


def officers_setting() -> list[dict[str, Any]]:
    return [
        {
            "officer_id": officer,
            "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
            "role": ROLES[officer][0],
            "teams": ROLES[officer][1],
        }
        for officer, token in OFFICER_TOKENS.items()
    ]


def bearer(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {OFFICER_TOKENS[officer]}"}


_numbers = itertools.count(1)
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def new_reference(prefix: str = "WST") -> str:
    return f"{prefix}-2026-{uuid.uuid4().int % 1_000_000:06d}"


def contact(**overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "name": "Alex Resident",
        "email": f"resident{next(_numbers)}-{uuid.uuid4().hex[:6]}@example.org",
        "phone": None,
        "address": "1 High Street, Exampleton EX1 2AB",
        "uprn": "100012345678",
    }
    values.update(overrides)
    return Contact(**values)


def form_submitted(
    reference: str | None = None,
    *,
    form_id: str = "missed-bin",
    at: datetime = T0,
    answers: dict[str, Any] | None = None,
    **overrides: Any,
) -> FormSubmitted:
    values: dict[str, Any] = {
        "source": "intake",
        "subject": reference or new_reference(),
        "occurred_at": at,
        "form_id": form_id,
        "form_version": 3,
        "submitted_via": "web",
        "answers": answers or {"bin_type": "refuse"},
        "location": Location(uprn="100012345678", address="1 High Street, Exampleton EX1 2AB"),
        "contact": contact(),
        "preferred_channel": "email",
    }
    values.update(overrides)
    return FormSubmitted(**values)


def _job(reference: str, at: datetime) -> dict[str, Any]:
    return {
        "source": "waste-contractor",
        "subject": reference,
        "occurred_at": at,
        "job_reference": f"JOB-{next(_numbers)}",
        "uprn": "100012345678",
        "round_id": "R12",
        "bin_type": "refuse",
    }


def return_visit_scheduled(
    reference: str, *, at: datetime = T0 + timedelta(hours=2)
) -> ReturnVisitScheduled:
    return ReturnVisitScheduled(
        **_job(reference, at),
        missed_collection_date=date(2026, 11, 23),
        scheduled_for=date(2026, 11, 24),
    )


def collection_completed(
    reference: str, *, at: datetime = T0 + timedelta(days=1)
) -> CollectionCompleted:
    return CollectionCompleted(
        **_job(reference, at), collection_date=at.date(), completed_at=at, return_visit=True
    )


def bin_not_presented(reference: str, *, at: datetime = T0 + timedelta(days=1)) -> BinNotPresented:
    return BinNotPresented(**_job(reference, at), collection_date=at.date(), recorded_at=at)


def _payment(reference: str, request_id: uuid.UUID, amount: int, at: datetime) -> dict[str, Any]:
    """What every payments event about one payment of a request carries."""
    return {
        "source": "payments",
        "subject": reference,
        "occurred_at": at,
        "payment_request_id": request_id,
        "payment_id": f"pay{next(_numbers)}",
        "amount": amount,
    }


def payment_succeeded(
    reference: str, request_id: uuid.UUID, amount: int, *, at: datetime = T0 + timedelta(minutes=5)
) -> PaymentSucceeded:
    return PaymentSucceeded(**_payment(reference, request_id, amount, at))


def payment_created(
    reference: str, request_id: uuid.UUID, amount: int, *, at: datetime = T0 + timedelta(minutes=6)
) -> PaymentCreated:
    return PaymentCreated(
        **_payment(reference, request_id, amount, at),
        next_url="http://127.0.0.1:8103/secure/retry",
        expires_at=at + timedelta(minutes=90),
    )


def payment_failed(
    reference: str, request_id: uuid.UUID, amount: int, *, at: datetime = T0 + timedelta(minutes=5)
) -> PaymentFailed:
    return PaymentFailed(
        **_payment(reference, request_id, amount, at), state="failed", failure_code="P0010"
    )


def application_received(
    reference: str, *, at: datetime = T0, **overrides: Any
) -> ApplicationReceived:
    values: dict[str, Any] = {
        "source": "planning-back-office",
        "subject": reference,
        "occurred_at": at,
        "application_type": "householder",
        "proposal": "Single-storey rear extension",
        "site": Location(uprn="100012345679", address="3 Mill Lane, Exampleton EX2 3CD"),
        "applicant": contact(address="3 Mill Lane, Exampleton EX2 3CD"),
        "agent": contact(name="Agent Architects"),
        "received_on": at.date(),
    }
    values.update(overrides)
    return ApplicationReceived(**values)


def application_validated(reference: str, *, at: datetime) -> ApplicationValidated:
    return ApplicationValidated(
        source="planning-back-office",
        subject=reference,
        occurred_at=at,
        validated_on=at.date(),
        determination_deadline=at.date() + timedelta(weeks=8),
    )


def consultation_started(reference: str, *, at: datetime) -> ConsultationStarted:
    return ConsultationStarted(
        source="planning-back-office",
        subject=reference,
        occurred_at=at,
        starts_on=at.date(),
        ends_on=at.date() + timedelta(days=21),
    )


def decision_issued(reference: str, *, at: datetime, decision: str = "granted") -> DecisionIssued:
    return DecisionIssued(
        source="planning-back-office",
        subject=reference,
        occurred_at=at,
        decision=decision,
        decided_on=at.date(),
        decision_level="delegated",
    )


def notification_sent(
    reference: str, resident_id: uuid.UUID | None, *, at: datetime
) -> NotificationSent:
    return NotificationSent(
        source="notify",
        subject=reference,
        occurred_at=at,
        notification_id=uuid.uuid4(),
        resident_id=resident_id,
        channel="email",
        template_id="case-status",
        template_version=1,
        provider="govuk-notify",
    )


def notification_delivered(
    reference: str, resident_id: uuid.UUID | None, notification_id: uuid.UUID, *, at: datetime
) -> NotificationDelivered:
    return NotificationDelivered(
        source="notify",
        subject=reference,
        occurred_at=at,
        notification_id=notification_id,
        resident_id=resident_id,
        channel="email",
    )
