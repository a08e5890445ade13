"""What each event asks residents to be told: the purpose, the template and its personalisation.

The personalisation holds the event's facts only; the resident's first name and the signed link to
their status page are added when the message is rendered (so an erasure leaves nothing behind).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote
from uuid import UUID

from civic_events.base import Event
from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.payments import PaymentCreated, PaymentFailed
from civic_events.planning import ConsultationStarted
from civic_events.residents import ContactChangeRequested
from civic_events.waste import ServiceDisruption

from notify.domain.preferences import LONDON, Category


@dataclass(frozen=True)
class MessageRequest:
    caused_by: UUID
    resident_id: UUID
    purpose: str
    subject: str  # the case reference (or round): the key of its delivery events
    template_name: str
    category: Category
    personalisation: dict[str, str] = field(default_factory=dict)
    urgent: bool = False
    # When what the resident hears about happened: the start of the time to tell.
    triggered_at: datetime | None = None
    # Where it goes instead of the resident's details on record ({name, email, phone}).
    send_to: dict[str, str] | None = None


def _words(code: str) -> str:
    return code.replace("_", " ")


def _request(
    event: Event,
    resident_id: UUID,
    purpose: str,
    personalisation: dict[str, str],
    *,
    template_name: str | None = None,
    category: Category = "case_updates",
    urgent: bool = False,
    triggered_at: datetime | None = None,
) -> MessageRequest:
    """The message an event asks for, keyed by the event's subject; the time to tell starts at
    `triggered_at` when the event carries one, else when the event occurred."""
    return MessageRequest(
        caused_by=event.event_id,
        resident_id=resident_id,
        purpose=purpose,
        subject=event.subject,
        template_name=template_name or purpose,
        category=category,
        personalisation=personalisation,
        urgent=urgent,
        triggered_at=triggered_at or event.occurred_at,
    )


def _case_facts(reference: str, case_type_name: str, status_name: str) -> dict[str, str]:
    return {"reference": reference, "case_type_name": case_type_name, "status_name": status_name}


def case_opened(event: CaseOpened, resident_id: UUID) -> MessageRequest:
    return _request(
        event,
        resident_id,
        "case_opened",
        _case_facts(event.subject, _words(event.case_type), _words(event.status)),
        template_name=f"case_opened.{event.case_type}",
        triggered_at=event.triggered_at,
    )


def case_status_changed(event: CaseStatusChanged, resident_id: UUID) -> MessageRequest:
    return _request(
        event,
        resident_id,
        "case_status_changed",
        {
            **_case_facts(event.subject, _words(event.case_type), _words(event.new_status)),
            "old_status_name": _words(event.old_status),
        },
        template_name=f"case_status_changed.{event.case_type}.{event.new_status}",
        triggered_at=event.triggered_at,
    )


def case_closed(event: CaseClosed, resident_id: UUID) -> MessageRequest:
    return _request(
        event,
        resident_id,
        "case_closed",
        {
            **_case_facts(event.subject, _words(event.case_type), "closed"),
            "outcome_name": _words(event.outcome),
        },
        template_name=f"case_closed.{event.case_type}",
        triggered_at=event.triggered_at,
    )


def _booking_facts(event: PaymentCreated | PaymentFailed) -> dict[str, str]:
    return {
        **_case_facts(event.subject, "booking", "awaiting payment"),
        "amount": pounds(event.amount),
    }


def payment_link(event: PaymentCreated, resident_id: UUID) -> MessageRequest:
    return _request(
        event,
        resident_id,
        "payment_link",
        {
            **_booking_facts(event),
            "payment_url": str(event.next_url),
            "pay_by": london_time(event.expires_at),
        },
        # A link that expires in 90 minutes is no use in the morning.
        urgent=True,
    )


# Why a payment did not go through, in the resident's words (GOV.UK Pay's error codes).
PAYMENT_FAILURE_REASONS = {
    "P0010": "your card payment was declined",
    "P0020": "the time allowed to pay ran out",
    "P0030": "the payment was cancelled",
    "P0050": "there was a problem with the payment service",
}


def payment_failed(event: PaymentFailed, resident_id: UUID) -> MessageRequest | None:
    """A reminder that the booking is not confirmed; None when the council itself cancelled
    the payment (P0040: e.g. the booking was cancelled, so there is nothing to pay again)."""
    reason = PAYMENT_FAILURE_REASONS.get(event.failure_code)
    if reason is None:
        return None
    return _request(
        event,
        resident_id,
        "payment_failed",
        {**_booking_facts(event), "failure_reason": reason},
    )


def planning_nearby(
    event: ConsultationStarted, resident_id: UUID, *, distance_metres: float
) -> MessageRequest:
    """A neighbour's alert of an application near their home. Its placeholder is
    `application_reference`, not `reference`, so no signed link to the applicant's own status
    page is ever made for a neighbour."""
    return _request(
        event,
        resident_id,
        "planning_nearby",
        {
            "application_reference": event.subject,
            "distance": distance_words(distance_metres),
            "consultation_ends_on": event.ends_on.strftime("%A %-d %B %Y"),
        },
        category="planning_alerts",
    )


def contact_change(event: ContactChangeRequested, resident_id: UUID) -> MessageRequest:
    """The one-time link that confirms contact details, whatever the resident opted out of: to
    the details on record (the resident's channels as notify knows them), or, for a resident with
    none confirmed, to the address just given (`send_to`), as the first acknowledgement of their
    submission (`contact_confirm`, which says why it came)."""
    facts = {
        "changes": _listed([_words(detail) for detail in event.changes]),
        "confirm_url": event.confirm_url,
        "expires": london_time(event.expires_at),
        "reference": event.reference or "",
    }
    if event.send_to is None:
        return _request(event, resident_id, "contact_change", facts, category="account")
    send_to = {
        key: value
        for key, value in (
            ("name", event.send_to.name),
            ("email", event.send_to.email),
            ("phone", event.send_to.phone),
        )
        if value
    }
    return replace(
        _request(event, resident_id, "contact_confirm", facts, category="account"),
        send_to=send_to,
    )


def _listed(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def distance_words(metres: float) -> str:
    if metres < 100:
        return "less than 100 metres"
    return f"about {int(round(metres, -1)):,} metres"


_CAUSES = {
    "weather": "bad weather",
    "industrial_action": "industrial action",
    "vehicle_breakdown": "a vehicle breakdown",
    "road_closure": "a road closure",
    "other": "circumstances beyond our control",
}


def disruption_personalisation(event: ServiceDisruption) -> dict[str, str]:
    return {
        "round": event.round_id,
        "affected_date": event.affected_date.strftime("%A %-d %B"),
        "public_message": event.public_message,
        "recovery_date": (
            event.expected_recovery_date.strftime("%A %-d %B")
            if event.expected_recovery_date
            else "as soon as we can"
        ),
        "cause_name": _CAUSES[event.cause],
    }


def pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def london_time(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    hour = local.strftime("%-I:%M%p").lower().replace(":00", "")
    return f"{local.strftime('%A %-d %B %Y')}, {hour}"


def status_page_url(*, base_url: str, reference: str, secret: str, expires_at: datetime) -> str:
    """The resident's status page with the cases service's signed, expiring token:
    `<expiry unix seconds>.<hex HMAC-SHA256 of "<reference>.<expiry>">`, in the fragment: a
    browser never sends it, so no access log or trace holds it; the page reads it and POSTs it
    to the status API."""
    expires = int(expires_at.timestamp())
    signature = hmac.new(
        secret.encode(), f"{reference}.{expires}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{base_url.rstrip('/')}/{quote(reference)}#token={expires}.{signature}"
