"""One factory per event type, each returning a valid, realistic example.

Call with keyword overrides: ``case_status_changed(new_status="closed")``.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from civic_events.base import Event
from civic_events.cases import CaseClosed, CaseOpened, CaseSlaBreached, CaseStatusChanged
from civic_events.contact import Contact, Coordinates, Location
from civic_events.intake import FormSubmitted
from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from civic_events.payments import (
    PaymentCreated,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentSucceeded,
)
from civic_events.planning import (
    ApplicationInvalid,
    ApplicationReceived,
    ApplicationValidated,
    ApplicationWithdrawn,
    ConsultationStarted,
    DecisionIssued,
)
from civic_events.residents import (
    ContactChangeRequested,
    ContactPreferencesChanged,
    ResidentErased,
    ResidentUpserted,
)
from civic_events.waste import (
    BinNotPresented,
    CollectionCompleted,
    CollectionMissed,
    ReturnVisitScheduled,
    ServiceDisruption,
)

CASE_REFERENCE = "WST-2026-004211"
BULKY_REFERENCE = "BLK-2026-000318"
APPLICATION_REFERENCE = "26/00123/FUL"
ROUND_ID = "MON-REFUSE-3"
UPRN = "100023336956"
RESIDENT_ID = UUID("3f2b8c1e-6a4d-4e0b-9a51-2c7d8e9f0a11")
CASE_ID = UUID("9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5")
PAYMENT_REQUEST_ID = UUID("5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e")
NOTIFICATION_ID = UUID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
OCCURRED_AT = datetime(2026, 3, 2, 9, 15, 7, 123456, tzinfo=UTC)

RESIDENT = Contact(
    name="Alex Example",
    email="alex@example.org",
    phone="+447700900123",
    address="12 Station Road, Exampleton, EX1 2AB",
    uprn=UPRN,
)


def _build(model: type[Event], defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    fields = {"occurred_at": OCCURRED_AT, **defaults, **overrides}
    return model(**fields)


def form_submitted(**overrides: Any) -> FormSubmitted:
    return _build(
        FormSubmitted,
        {
            "source": "intake",
            "subject": CASE_REFERENCE,
            "form_id": "missed-bin",
            "form_version": 3,
            "service_code": "missed_bin",
            "submitted_via": "open311",
            "api_client_id": "fixmystreet",
            "answers": {"bin_type": "refuse", "collection_date": "2026-03-02", "side_waste": False},
            "description": "Bin not emptied, left at the kerb as usual.",
            "media_urls": ["https://media.example.org/reports/4211.jpg"],
            "location": Location(
                uprn=UPRN, coordinates=Coordinates(latitude=51.5072, longitude=-0.1276)
            ),
            "contact": RESIDENT,
            "preferred_channel": "sms",
        },
        overrides,
    )


def _waste_job(**extra: Any) -> dict[str, Any]:
    return {
        "source": "waste-contractor",
        "subject": CASE_REFERENCE,
        "job_reference": "JOB-884120",
        "uprn": UPRN,
        "round_id": ROUND_ID,
        "bin_type": "refuse",
        **extra,
    }


def collection_completed(**overrides: Any) -> CollectionCompleted:
    defaults = _waste_job(
        collection_date=date(2026, 3, 4),
        completed_at=datetime(2026, 3, 4, 10, 2, tzinfo=UTC),
        return_visit=True,
    )
    return _build(CollectionCompleted, defaults, overrides)


def collection_missed(**overrides: Any) -> CollectionMissed:
    defaults = _waste_job(
        collection_date=date(2026, 3, 2), reason="crew_missed", reported_by="resident"
    )
    return _build(CollectionMissed, defaults, overrides)


def bin_not_presented(**overrides: Any) -> BinNotPresented:
    defaults = _waste_job(
        collection_date=date(2026, 3, 2),
        recorded_at=datetime(2026, 3, 2, 7, 41, tzinfo=UTC),
        evidence_url="https://contractor.example.com/photos/884120.jpg",
    )
    return _build(BinNotPresented, defaults, overrides)


def return_visit_scheduled(**overrides: Any) -> ReturnVisitScheduled:
    defaults = _waste_job(missed_collection_date=date(2026, 3, 2), scheduled_for=date(2026, 3, 4))
    return _build(ReturnVisitScheduled, defaults, overrides)


def service_disruption(**overrides: Any) -> ServiceDisruption:
    return _build(
        ServiceDisruption,
        {
            "source": "waste-contractor",
            "subject": ROUND_ID,
            "disruption_id": "DIS-2026-017",
            "round_id": ROUND_ID,
            "status": "started",
            "cause": "weather",
            "affected_date": date(2026, 1, 12),
            "bin_types": ["refuse", "food"],
            "expected_recovery_date": date(2026, 1, 14),
            "public_message": "Snow: Monday's refuse and food collections will be made by Wednesday.",
        },
        overrides,
    )


def _application(**extra: Any) -> dict[str, Any]:
    return {"source": "planning-back-office", "subject": APPLICATION_REFERENCE, **extra}


def application_received(**overrides: Any) -> ApplicationReceived:
    defaults = _application(
        application_type="householder",
        proposal="Single-storey rear extension.",
        site=Location(uprn=UPRN, address="12 Station Road, Exampleton, EX1 2AB"),
        applicant=RESIDENT,
        agent=Contact(name="Plans & Co", email="agent@plans.example.com", phone="+441632960001"),
        received_on=date(2026, 2, 20),
        ward="Station",
        fee=25_800,
    )
    return _build(ApplicationReceived, defaults, overrides)


def application_validated(**overrides: Any) -> ApplicationValidated:
    defaults = _application(
        validated_on=date(2026, 2, 27),
        determination_deadline=date(2026, 4, 24),
        case_officer_id="officer-0042",
    )
    return _build(ApplicationValidated, defaults, overrides)


def application_invalid(**overrides: Any) -> ApplicationInvalid:
    defaults = _application(
        reasons=["Site location plan missing a red line boundary."],
        response_due=date(2026, 3, 19),
        validation_request_ids=["VR-311"],
    )
    return _build(ApplicationInvalid, defaults, overrides)


def consultation_started(**overrides: Any) -> ConsultationStarted:
    defaults = _application(
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 23),
        site_uprn=UPRN,
        site_coordinates=Coordinates(latitude=51.5072, longitude=-0.1276),
    )
    return _build(ConsultationStarted, defaults, overrides)


def decision_issued(**overrides: Any) -> DecisionIssued:
    defaults = _application(
        decision="granted",
        decided_on=date(2026, 4, 20),
        decision_level="delegated",
        decision_notice_url="https://planning.example.gov.uk/26-00123-FUL/decision.pdf",
    )
    return _build(DecisionIssued, defaults, overrides)


def application_withdrawn(**overrides: Any) -> ApplicationWithdrawn:
    defaults = _application(withdrawn_on=date(2026, 3, 30), reason="Applicant's request.")
    return _build(ApplicationWithdrawn, defaults, overrides)


def _payment(**extra: Any) -> dict[str, Any]:
    return {
        "source": "payments",
        "subject": BULKY_REFERENCE,
        "payment_request_id": PAYMENT_REQUEST_ID,
        "resident_id": RESIDENT_ID,
        "amount": 3_500,
        **extra,
    }


def payment_requested(**overrides: Any) -> PaymentRequested:
    defaults = _payment(
        source="cases",
        description="Bulky waste collection: 3 items",
        reference=BULKY_REFERENCE,
        service_code="bulky_waste",
    )
    return _build(PaymentRequested, defaults, overrides)


def payment_created(**overrides: Any) -> PaymentCreated:
    defaults = _payment(
        payment_id="hu20sqlact5260q2nanm0q8u93",
        next_url="https://card.payments.service.gov.uk/secure/ef1b6ff1-db34-4c62-b854-3ed4ba3c4049",
        expires_at=datetime(2026, 3, 2, 10, 45, 7, tzinfo=UTC),
    )
    return _build(PaymentCreated, defaults, overrides)


def payment_succeeded(**overrides: Any) -> PaymentSucceeded:
    return _build(PaymentSucceeded, _payment(payment_id="hu20sqlact5260q2nanm0q8u93"), overrides)


def payment_failed(**overrides: Any) -> PaymentFailed:
    defaults = _payment(
        payment_id="hu20sqlact5260q2nanm0q8u93",
        state="failed",
        failure_code="P0020",
        failure_message="Payment expired",
    )
    return _build(PaymentFailed, defaults, overrides)


def payment_refunded(**overrides: Any) -> PaymentRefunded:
    defaults = _payment(
        payment_id="hu20sqlact5260q2nanm0q8u93",
        refund_id="j6se0f2o427g28g8yg3u3i",
        reason="Booking cancelled",
    )
    return _build(PaymentRefunded, defaults, overrides)


def _case(**extra: Any) -> dict[str, Any]:
    return {
        "source": "cases",
        "subject": CASE_REFERENCE,
        "case_id": CASE_ID,
        "case_type": "missed_bin",
        "resident_id": RESIDENT_ID,
        **extra,
    }


def case_opened(**overrides: Any) -> CaseOpened:
    defaults = _case(
        status="received",
        sla_due_at=datetime(2026, 3, 4, 17, 0, tzinfo=UTC),
        opened_from=UUID("7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a"),
    )
    return _build(CaseOpened, defaults, overrides)


def case_status_changed(**overrides: Any) -> CaseStatusChanged:
    defaults = _case(
        old_status="received",
        new_status="return_visit_scheduled",
        reason="ReturnVisitScheduled",
        notify_resident=True,
        changed_by="system",
    )
    return _build(CaseStatusChanged, defaults, overrides)


def case_closed(**overrides: Any) -> CaseClosed:
    return _build(CaseClosed, _case(outcome="resolved", notify_resident=True), overrides)


def case_sla_breached(**overrides: Any) -> CaseSlaBreached:
    defaults = _case(
        sla="missed_bin_return_2_working_days",
        due_at=datetime(2026, 3, 4, 17, 0, tzinfo=UTC),
        status="return_visit_scheduled",
    )
    return _build(CaseSlaBreached, defaults, overrides)


def _resident(**extra: Any) -> dict[str, Any]:
    return {"source": "cases", "subject": str(RESIDENT_ID), "resident_id": RESIDENT_ID, **extra}


def resident_upserted(**overrides: Any) -> ResidentUpserted:
    defaults = _resident(contact=RESIDENT, preferred_channel="sms", collection_round_ids=[ROUND_ID])
    return _build(ResidentUpserted, defaults, overrides)


def contact_preferences_changed(**overrides: Any) -> ContactPreferencesChanged:
    defaults = _resident(
        preferred_channel="email",
        case_updates=True,
        disruption_alerts=True,
        planning_alerts=True,
        planning_alert_radius_metres=500,
    )
    return _build(ContactPreferencesChanged, defaults, overrides)


def contact_change_requested(**overrides: Any) -> ContactChangeRequested:
    defaults = _resident(
        changes=["phone", "address"],
        confirm_url="https://council.example/confirm-contact/a-one-time-token",
        expires_at=datetime(2026, 1, 4, 9, 0, tzinfo=UTC),
        reference="WST-2026-000001",
    )
    return _build(ContactChangeRequested, defaults, overrides)


def resident_erased(**overrides: Any) -> ResidentErased:
    return _build(ResidentErased, _resident(reason="resident_request"), overrides)


def _notification(**extra: Any) -> dict[str, Any]:
    return {
        "source": "notify",
        "subject": CASE_REFERENCE,
        "notification_id": NOTIFICATION_ID,
        "resident_id": RESIDENT_ID,
        "channel": "sms",
        "provider_reference": "740e5834-3a29-46b4-9a6f-16142fde533a",
        **extra,
    }


def notification_sent(**overrides: Any) -> NotificationSent:
    defaults = _notification(
        template_id="missed-bin-return-visit",
        template_version=2,
        provider="govuk-notify",
        caused_by=UUID("1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"),
    )
    return _build(NotificationSent, defaults, overrides)


def notification_delivered(**overrides: Any) -> NotificationDelivered:
    return _build(NotificationDelivered, _notification(), overrides)


def notification_failed(**overrides: Any) -> NotificationFailed:
    defaults = _notification(failure="permanent-failure", detail="Number not in service")
    return _build(NotificationFailed, defaults, overrides)


FACTORIES: dict[type[Event], Callable[..., Event]] = {
    FormSubmitted: form_submitted,
    CollectionCompleted: collection_completed,
    CollectionMissed: collection_missed,
    BinNotPresented: bin_not_presented,
    ReturnVisitScheduled: return_visit_scheduled,
    ServiceDisruption: service_disruption,
    ApplicationReceived: application_received,
    ApplicationValidated: application_validated,
    ApplicationInvalid: application_invalid,
    ConsultationStarted: consultation_started,
    DecisionIssued: decision_issued,
    ApplicationWithdrawn: application_withdrawn,
    PaymentRequested: payment_requested,
    PaymentCreated: payment_created,
    PaymentSucceeded: payment_succeeded,
    PaymentFailed: payment_failed,
    PaymentRefunded: payment_refunded,
    CaseOpened: case_opened,
    CaseStatusChanged: case_status_changed,
    CaseClosed: case_closed,
    CaseSlaBreached: case_sla_breached,
    ResidentUpserted: resident_upserted,
    ContactPreferencesChanged: contact_preferences_changed,
    ContactChangeRequested: contact_change_requested,
    ResidentErased: resident_erased,
    NotificationSent: notification_sent,
    NotificationDelivered: notification_delivered,
    NotificationFailed: notification_failed,
}


def example(model: type[Event]) -> Event:
    return FACTORIES[model]()
