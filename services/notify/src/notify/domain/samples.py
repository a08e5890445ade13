"""Sample events of each kind, for previewing templates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.contact import Contact, Coordinates
from civic_events.payments import PaymentCreated, PaymentFailed
from civic_events.planning import ConsultationStarted
from civic_events.residents import ContactChangeRequested
from civic_events.waste import ServiceDisruption

from notify.domain import purposes

_RESIDENT = uuid.UUID(int=1)
_REF = "WST-2026-004211"


def sample_personalisation(kind: str) -> dict[str, str]:
    case_id = uuid.uuid4()
    if kind in ("contact_change", "contact_confirm"):
        # The same link, to the details on record or (confirming a new address) to that address.
        new_address = kind == "contact_confirm"
        return purposes.contact_change(
            ContactChangeRequested(
                source="sample",
                subject=str(_RESIDENT),
                resident_id=_RESIDENT,
                changes=("email",) if new_address else ("phone", "address"),
                confirm_url="https://council.example/contact-details/confirm/sample-token",
                expires_at=datetime.now(UTC) + timedelta(days=3),
                reference=_REF,
                send_to=Contact(name="Sam Resident", email="sam@example.org")
                if new_address
                else None,
            ),
            _RESIDENT,
        ).personalisation
    if kind == "case_opened":
        return purposes.case_opened(
            CaseOpened(
                source="sample",
                subject=_REF,
                case_id=case_id,
                case_type="missed_bin",
                status="received",
            ),
            _RESIDENT,
        ).personalisation
    if kind == "case_status_changed":
        return purposes.case_status_changed(
            CaseStatusChanged(
                source="sample",
                subject=_REF,
                case_id=case_id,
                case_type="missed_bin",
                old_status="received",
                new_status="return_visit_scheduled",
                reason="sample",
                notify_resident=True,
            ),
            _RESIDENT,
        ).personalisation
    if kind == "case_closed":
        return purposes.case_closed(
            CaseClosed(
                source="sample",
                subject=_REF,
                case_id=case_id,
                case_type="missed_bin",
                outcome="resolved",
                notify_resident=True,
            ),
            _RESIDENT,
        ).personalisation
    if kind == "payment_link":
        return purposes.payment_link(
            PaymentCreated(
                source="sample",
                subject="BLK-2026-000123",
                payment_request_id=uuid.uuid4(),
                payment_id="hu20sqlact5260q2nanm0q8u93",
                amount=3500,
                next_url="https://card.payments.service.gov.uk/secure/abc",
                expires_at=datetime.now(UTC) + timedelta(minutes=90),
            ),
            _RESIDENT,
        ).personalisation
    if kind == "payment_failed":
        request = purposes.payment_failed(
            PaymentFailed(
                source="sample",
                subject="BLK-2026-000123",
                payment_request_id=uuid.uuid4(),
                payment_id="hu20sqlact5260q2nanm0q8u93",
                amount=3500,
                state="failed",
                failure_code="P0020",
            ),
            _RESIDENT,
        )
        assert request is not None
        return request.personalisation
    if kind == "planning_nearby":
        return purposes.planning_nearby(
            ConsultationStarted(
                source="sample",
                subject="26/00123/FUL",
                starts_on=date(2026, 11, 30),
                ends_on=date(2026, 12, 21),
                site_coordinates=Coordinates(latitude=51.2362, longitude=-0.5704),
            ),
            _RESIDENT,
            distance_metres=350,
        ).personalisation
    if kind == "service_disruption":
        return purposes.disruption_personalisation(
            ServiceDisruption(
                source="sample",
                subject="ROUND-TUE-07",
                disruption_id="D-1",
                round_id="ROUND-TUE-07",
                status="started",
                cause="weather",
                affected_date=date(2026, 12, 1),
                bin_types=("refuse",),
                expected_recovery_date=date(2026, 12, 3),
                public_message="Please leave your bin out; we will collect it "
                "as soon as the roads are safe.",
            )
        )
    raise KeyError(kind)
