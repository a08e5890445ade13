"""The payments database: payments, refunds and the webhook log (SQLModel tables, `payments_` prefix)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

LIVE_PAYMENT_WHERE = "status NOT IN ('failed', 'cancelled', 'error')"


def _timestamp(nullable: bool = False) -> Any:
    return Column(
        DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else text("now()"),
    )


class Payment(SQLModel, table=True):
    """One payment with the gateway, made for one PaymentRequested."""

    __tablename__ = "payments_payment"
    __table_args__ = (
        # At most one live payment per case and purpose.
        Index(
            "ux_payments_payment_live",
            "case_reference",
            "service_code",
            unique=True,
            postgresql_where=text(LIVE_PAYMENT_WHERE),
        ),
        Index(
            "ix_payments_payment_unfinished",
            "next_check_at",
            postgresql_where=text("NOT finished"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    payment_request_id: uuid.UUID = Field(unique=True)
    # The latest request this payment answers (a repeated request for the same case and purpose
    # is answered with the live payment); its events carry this id, so cases can match them.
    answers_request_id: uuid.UUID
    case_reference: str = Field(sa_column=Column(String(100), nullable=False))
    service_code: str = Field(sa_column=Column(String(50), nullable=False))
    resident_id: uuid.UUID | None = None
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    description: str = Field(sa_column=Column(String(255), nullable=False))
    reference: str = Field(sa_column=Column(String(255), nullable=False))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    return_token: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    gateway_payment_id: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    next_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    finished: bool = False
    failure_code: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    failure_message: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    next_check_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Insertion order: rows of one case and purpose are made one at a time (under its lock), so
    # this orders them even when the clock gives two the same created_at.
    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), nullable=False)
    )
    # The failed payment this one replaces (the resident chose "Try again"); one retry each.
    retry_of: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("payments_payment.id"), nullable=True, unique=True),
    )


class Refund(SQLModel, table=True):
    """A refund asked of the gateway; `PaymentRefunded` goes out when it reaches `success`."""

    __tablename__ = "payments_refund"
    __table_args__ = (
        Index("ix_payments_refund_payment", "payment_id"),
        Index(
            "ix_payments_refund_submitted",
            "next_check_at",
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    payment_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("payments_payment.id"), nullable=False)
    )
    gateway_refund_id: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    # "officer:<officer id>" (ids up to 100 characters), "case" or "gateway".
    requested_by: str = Field(sa_column=Column(String(120), nullable=False))
    # Set for refunds a case asked for, so a redelivered or repeated request refunds once, and
    # for an officer's, from their Idempotency-Key, so a retried request refunds once.
    trigger_key: str | None = Field(
        default=None, sa_column=Column(String(200), nullable=True, unique=True)
    )
    # An officer's refund: the SHA-256 of what they asked, so the same key with another request
    # is refused rather than answered with this refund.
    request_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())
    confirmed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    next_check_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WebhookDelivery(SQLModel, table=True):
    """Every webhook call received, signed or not, and what was done with it."""

    __tablename__ = "payments_webhook"
    __table_args__ = (Index("ix_payments_webhook_received_at", "received_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    received_at: datetime = Field(sa_column=_timestamp())
    signature_valid: bool
    webhook_message_id: str | None = Field(
        default=None, sa_column=Column(String(100), nullable=True)
    )
    # Set only on the delivery that applied the message: replays of it find it taken.
    applied_message_id: str | None = Field(
        default=None, sa_column=Column(String(100), nullable=True, unique=True)
    )
    event_type: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    resource_id: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    outcome: str = Field(sa_column=Column(String(30), nullable=False))
    body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))


class ClosedCase(SQLModel, table=True):
    """A case cases has closed (any outcome): its payment requests are over, no retry."""

    __tablename__ = "payments_closed_case"

    case_reference: str = Field(sa_column=Column(String(100), primary_key=True))
    outcome: str = Field(sa_column=Column(String(50), nullable=False))
    closed_at: datetime = Field(sa_column=_timestamp())
