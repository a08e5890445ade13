"""Intake's tables (SQLModel), every name prefixed `intake_`: the metadata is process-global."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _now_column(nullable: bool = False) -> Any:
    return Column(
        DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else text("now()"),
    )


class FormVersion(SQLModel, table=True):
    """One published version of a form; never changed once published."""

    __tablename__ = "intake_form_version"

    form_id: str = Field(sa_column=Column(String(50), primary_key=True))
    version: int = Field(sa_column=Column(Integer, primary_key=True))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    family: str = Field(sa_column=Column(String(3), nullable=False))
    service_code: str = Field(sa_column=Column(String(50), nullable=False))
    definition: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    loaded_at: datetime = Field(sa_column=_now_column())


class Submission(SQLModel, table=True):
    """The receipt of a submission, and its public status (from cases.lifecycle.v1) for Open311."""

    __tablename__ = "intake_submission"
    __table_args__ = (
        Index("ix_intake_submission_received_at", "received_at"),
        Index("ix_intake_submission_service_code", "service_code"),
    )

    reference: str = Field(sa_column=Column(String(30), primary_key=True))
    form_id: str = Field(sa_column=Column(String(50), nullable=False))
    form_version: int = Field(sa_column=Column(Integer, nullable=False))
    service_code: str = Field(sa_column=Column(String(50), nullable=False))
    submitted_via: str = Field(sa_column=Column(String(20), nullable=False))
    api_client_id: uuid.UUID | None = None
    event_id: uuid.UUID = Field(unique=True)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The place, never the resident's contact details: those travel once, in FormSubmitted.
    location: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    # A link to the resident's photo (Open311 `media_url`); the image itself is not kept here.
    media_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The SHA-256 of the receipt's status token (domain.status_tokens): the submitter's proof.
    status_token_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False, server_default="open"))
    status_notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    case_status: str | None = Field(default=None, sa_column=Column(String(50), nullable=True))
    received_at: datetime = Field(sa_column=_now_column())
    updated_at: datetime = Field(sa_column=_now_column())


class SubmissionUpdate(SQLModel, table=True):
    """A public status change of a submission: mySociety's `servicerequestupdates` feed."""

    __tablename__ = "intake_submission_update"
    __table_args__ = (Index("ix_intake_submission_update_updated_at", "updated_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    event_id: uuid.UUID = Field(unique=True)
    reference: str = Field(sa_column=Column(String(30), nullable=False, index=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    external_status_code: str = Field(sa_column=Column(String(50), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IdempotencyKey(SQLModel, table=True):
    """The first response to a request carrying an `Idempotency-Key`, replayed for retries."""

    __tablename__ = "intake_idempotency_key"
    __table_args__ = (Index("ix_intake_idempotency_key_expires_at", "expires_at"),)

    scope: str = Field(sa_column=Column(String(100), primary_key=True))
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    response_status: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    created_at: datetime = Field(sa_column=_now_column())
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ApiClient(SQLModel, table=True):
    """A back-office system or Open311 client: its key is stored only as a SHA-256 hash."""

    __tablename__ = "intake_api_client"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    scopes: list[str] = Field(sa_column=Column(ARRAY(String(30)), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # HMAC needs the secret itself; in production it is kept encrypted at rest by the database.
    signing_secret: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(sa_column=_now_column())
    rotated_at: datetime | None = Field(default=None, sa_column=_now_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_now_column(nullable=True))


class BackofficeReceipt(SQLModel, table=True):
    """A back-office event id already accepted: a replay is acknowledged with no second effect."""

    __tablename__ = "intake_backoffice_receipt"

    event_id: uuid.UUID = Field(primary_key=True)
    system: str = Field(sa_column=Column(String(20), nullable=False))
    api_client_id: uuid.UUID
    event_type: str = Field(sa_column=Column(String(200), nullable=False))
    received_at: datetime = Field(sa_column=_now_column())


class ClientCount(SQLModel, table=True):
    """Submissions counted against a client (an address, an API client) in an hour: the rate
    limit every instance shares. A row outlives its hour only until the retention job runs."""

    __tablename__ = "intake_client_count"

    client: str = Field(sa_column=Column(String(100), primary_key=True))
    window_start: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    requests: int = Field(sa_column=Column(Integer, nullable=False))


def table(model: type[SQLModel]) -> Table:
    result: Table = model.__table__  # type: ignore[attr-defined]
    return result


form_version = table(FormVersion)
submission = table(Submission)
submission_update = table(SubmissionUpdate)
idempotency_key = table(IdempotencyKey)
api_client = table(ApiClient)
backoffice_receipt = table(BackofficeReceipt)
client_count = table(ClientCount)
