"""The cases service's tables (all prefixed `cases_`: SQLModel's metadata is process-global)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _when(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Resident(SQLModel, table=True):
    """A resident: contact details, channel of choice and consent. Personal data."""

    __tablename__ = "cases_resident"
    __table_args__ = (
        Index(
            "ux_cases_resident_email",
            "email",
            unique=True,
            postgresql_where=text("email IS NOT NULL"),
        ),
        Index("ix_cases_resident_phone", "phone"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    uprn: str | None = Field(default=None, max_length=12)
    postcode: str | None = Field(default=None, max_length=10)
    preferred_channel: str = Field(default="email", max_length=10)
    language: str = Field(default="en", max_length=2)
    case_updates: bool = True
    disruption_alerts: bool = False
    planning_alerts: bool = False
    planning_alert_radius_metres: int | None = None
    # Where the resident lives and the rounds serving it (from the district's households).
    home_latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    home_longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    collection_round_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    consent_at: datetime | None = _when()
    consent_source: str | None = Field(default=None, max_length=100)
    # When the email address and phone number were shown to be the resident's (a link sent to
    # them came back, or the council's own records): only confirmed details are used to contact.
    email_confirmed_at: datetime | None = _when()
    phone_confirmed_at: datetime | None = _when()
    erased_at: datetime | None = _when()
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Case(SQLModel, table=True):
    """One case per submission (or planning application), keyed by its public reference."""

    __tablename__ = "cases_case"
    __table_args__ = (
        Index("ix_cases_case_resident", "resident_id"),
        Index("ix_cases_case_status_type", "case_type", "status"),
        Index(
            "ix_cases_case_sla_open",
            "sla_due_at",
            postgresql_where=text("sla_breached_at IS NULL AND closed_at IS NULL"),
        ),
        Index("ix_cases_case_payment_request", "payment_request_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    case_type: str = Field(max_length=50)
    status: str = Field(max_length=50)
    resident_id: uuid.UUID | None = Field(default=None, foreign_key="cases_resident.id")
    agent_resident_id: uuid.UUID | None = Field(default=None, foreign_key="cases_resident.id")
    form_id: str | None = Field(default=None, max_length=50)
    form_version: int | None = None
    opened_from: uuid.UUID | None = None
    uprn: str | None = Field(default=None, max_length=12)
    address: str | None = Field(default=None, max_length=500)
    postcode: str | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    assigned_to: str | None = Field(default=None, max_length=100)
    outcome: str | None = Field(default=None, max_length=50)
    payment_request_id: uuid.UUID | None = None
    amount_pence: int | None = None
    paid: bool = False
    sla_name: str | None = Field(default=None, max_length=50)
    sla_due_at: datetime | None = _when()
    sla_paused_at: datetime | None = _when()
    sla_breached_at: datetime | None = _when()
    last_update_at: datetime | None = _when()
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = _when()
    anonymised_at: datetime | None = _when()


class TimelineEntry(SQLModel, table=True):
    """One line of a case's and a resident's timeline (the CRM view), in time order."""

    __tablename__ = "cases_timeline"
    __table_args__ = (
        Index("ix_cases_timeline_case", "case_id", "occurred_at"),
        Index("ix_cases_timeline_resident", "resident_id", "occurred_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases_case.id")
    resident_id: uuid.UUID | None = Field(default=None, foreign_key="cases_resident.id")
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    kind: str = Field(max_length=30)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    event_id: uuid.UUID | None = None
    actor: str | None = Field(default=None, max_length=100)
    internal: bool = False


class StatusLookup(SQLModel, table=True):
    """Attempts at the resident status API per client and minute: a rate limit shared by instances."""

    __tablename__ = "cases_status_lookup"

    client: str = Field(sa_column=Column(String(100), primary_key=True))
    window_start: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    attempts: int = 0


class WorkOrder(SQLModel, table=True):
    """A return visit asked of the waste contractor, written with the case, sent by the sender.

    `council_reference` (the case reference) makes the contractor's API idempotent: a resend
    after a lost answer finds the same job.
    """

    __tablename__ = "cases_work_orders"
    __table_args__ = (
        Index(
            "ix_cases_work_orders_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("cases_case.id"), nullable=False))
    council_reference: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    uprn: str = Field(max_length=12)
    bin_type: str = Field(max_length=30)
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # pending → sent, or rejected (the contractor refused it: retrying cannot help).
    state: str = Field(default="pending", max_length=10)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    job_reference: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = _when()


class HeldUpdate(SQLModel, table=True):
    """A contractor's update for a case not open yet (its submission is on another topic).

    Kept until the case opens (then applied, in time order) or until `expires_at`.
    """

    __tablename__ = "cases_held_updates"
    __table_args__ = (
        Index("ix_cases_held_updates_reference", "reference", "occurred_at"),
        Index("ix_cases_held_updates_expiry", "expires_at"),
    )

    event_id: uuid.UUID = Field(primary_key=True)
    reference: str = Field(sa_column=Column(String(100), nullable=False))
    system: str = Field(max_length=50)
    event_type: str = Field(max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    held_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


CASES_TABLES = [
    Resident.__table__,  # type: ignore[attr-defined]
    Case.__table__,  # type: ignore[attr-defined]
    TimelineEntry.__table__,  # type: ignore[attr-defined]
    StatusLookup.__table__,  # type: ignore[attr-defined]
    WorkOrder.__table__,  # type: ignore[attr-defined]
    HeldUpdate.__table__,  # type: ignore[attr-defined]
]


class ContactChange(SQLModel, table=True):
    """Contact details someone gave for a resident without proving who they are: applied only
    when the resident confirms them with the one-time link sent to the details on record.
    Personal data (the proposed details); only the token's SHA-256 is kept."""

    __tablename__ = "cases_contact_change"
    __table_args__ = (Index("ix_cases_contact_change_resident", "resident_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resident_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("cases_resident.id", ondelete="CASCADE"), nullable=False)
    )
    proposed: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    token_sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    reference: str | None = Field(default=None, max_length=100)
    # For a resident with no confirmed details: where the link went ("email" or "phone", and the
    # address), confirmed by the link's coming back. None: the link went to the details on record.
    sent_to_detail: str | None = Field(default=None, max_length=10)
    sent_to: str | None = Field(default=None, max_length=254)
    requested_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_at: datetime | None = _when()
