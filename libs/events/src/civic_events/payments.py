"""payments.v1: requests for payment (from cases) and their outcome (from payments).

Subject: the case reference. Amounts are integer pence; payment ids are the gateway's.
"""

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, HttpUrl

from civic_events.base import Event
from civic_events.fields import Code, Language, Line, Pence, Reference, Text
from civic_events.topics import PAYMENTS

PaymentFailureCode = Literal["P0010", "P0020", "P0030", "P0040", "P0050"]


class PaymentRequested(Event):
    """Cases asks for a payment, e.g. for a bulky-waste booking."""

    ce_type = "uk.gov.council.payments.PaymentRequested.v1"
    topic = PAYMENTS

    payment_request_id: UUID = Field(description="Payments creates one payment per request id.")
    resident_id: UUID | None = None
    amount: Pence
    description: Line = Field(
        min_length=1, max_length=255, description="Shown on the payment page; no personal data."
    )
    reference: Line = Field(min_length=1, max_length=255, description="The gateway's reference.")
    service_code: Code = Field(description='e.g. "bulky_waste".')
    language: Language = "en"


class PaymentCreated(Event):
    """The gateway created the payment; ``next_url`` is the page where the resident pays."""

    ce_type = "uk.gov.council.payments.PaymentCreated.v1"
    topic = PAYMENTS

    payment_request_id: UUID
    payment_id: Reference
    resident_id: UUID | None = None
    amount: Pence
    next_url: HttpUrl
    expires_at: AwareDatetime


class PaymentSucceeded(Event):
    """The resident paid."""

    ce_type = "uk.gov.council.payments.PaymentSucceeded.v1"
    topic = PAYMENTS

    payment_request_id: UUID
    payment_id: Reference
    resident_id: UUID | None = None
    amount: Pence


class PaymentFailed(Event):
    """The payment ended without success: rejected, expired, cancelled or an error."""

    ce_type = "uk.gov.council.payments.PaymentFailed.v1"
    topic = PAYMENTS

    payment_request_id: UUID
    payment_id: Reference
    resident_id: UUID | None = None
    amount: Pence
    state: Literal["failed", "cancelled", "error"]
    failure_code: PaymentFailureCode = Field(
        description="P0010 rejected, P0020 expired, P0030 cancelled by user, "
        "P0040 cancelled by service, P0050 provider error."
    )
    failure_message: Text | None = Field(default=None, max_length=255)


class PaymentRefunded(Event):
    """All or part of a payment was refunded."""

    ce_type = "uk.gov.council.payments.PaymentRefunded.v1"
    topic = PAYMENTS

    payment_request_id: UUID
    payment_id: Reference
    refund_id: Reference
    resident_id: UUID | None = None
    amount: Pence = Field(description="The amount refunded, in pence.")
    reason: Text | None = Field(default=None, max_length=255)
