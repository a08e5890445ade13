"""The cases service's tables (all prefixed `cases_`: SQLModel's metadata is process-global)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Text, text
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
    consent_at: datetime | None = _when()
    consent_source: str | None = Field(default=None, max_length=100)
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


CASES_TABLES = [
    Resident.__table__,  # type: ignore[attr-defined]
    Case.__table__,  # type: ignore[attr-defined]
    TimelineEntry.__table__,  # type: ignore[attr-defined]
    StatusLookup.__table__,  # type: ignore[attr-defined]
]
