"""notify's tables (every name prefixed `notify_`: SQLModel's metadata is shared by the process)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = True, default_now: bool = False) -> Any:
    return Column(
        DateTime(timezone=True),
        nullable=nullable,
        server_default=text("now()") if default_now else None,
    )


class ResidentPreferences(SQLModel, table=True):
    """The projection of `residents.v1`: contact details and how the resident wants to hear."""

    __tablename__ = "notify_resident"

    resident_id: uuid.UUID = Field(primary_key=True)
    name: str | None = Field(default=None, sa_column=Column(String(200)))
    email: str | None = Field(default=None, sa_column=Column(String(254)))
    phone: str | None = Field(default=None, sa_column=Column(String(20)))
    uprn: str | None = Field(default=None, sa_column=Column(String(12)))
    preferred_channel: str = Field(sa_column=Column(String(10), nullable=False))
    fallback_order: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(10)), nullable=False)
    )
    round_ids: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(50)), nullable=False)
    )
    case_updates: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    disruption_alerts: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    planning_alerts: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    # None: the default radius (DEFAULT_PLANNING_ALERT_RADIUS_METRES).
    planning_alert_radius_metres: int | None = Field(default=None, sa_column=Column(Integer))
    home_latitude: float | None = Field(default=None, sa_column=Column(Float))
    home_longitude: float | None = Field(default=None, sa_column=Column(Float))
    # When the resident last changed their choices through notify's API (see the README).
    choices_changed_at: datetime | None = Field(default=None, sa_column=_ts())
    push_subscription: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    erased: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    updated_at: datetime = Field(sa_column=_ts(nullable=False, default_now=True))


class TemplateVersion(SQLModel, table=True):
    """One version of a template on one channel; the highest version is the one in use."""

    __tablename__ = "notify_template"

    name: str = Field(sa_column=Column(String(120), primary_key=True))
    channel: str = Field(sa_column=Column(String(10), primary_key=True))
    version: int = Field(sa_column=Column(Integer, primary_key=True))
    subject: str | None = Field(default=None, sa_column=Column(Text))
    body: str = Field(sa_column=Column(Text, nullable=False))
    link: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=_ts(nullable=False, default_now=True))


class Notification(SQLModel, table=True):
    """One message to one resident for one purpose, whatever channels it goes through.

    `(caused_by, resident_id, purpose)` is unique: however often its event is delivered, a
    resident hears once. `status` is `pending` (waiting, perhaps for the morning) → `sending`
    (claimed; the provider may have it) → `sent` → `delivered` | a failure; `suppressed` when
    the resident opted out or cannot be reached.
    """

    __tablename__ = "notify_notification"
    __table_args__ = (
        UniqueConstraint("caused_by", "resident_id", "purpose", name="uq_notify_notification_once"),
        Index(
            "ix_notify_notification_due",
            "not_before",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        Index("ix_notify_notification_resident", "resident_id"),
        Index("ix_notify_notification_broadcast", "broadcast_id"),
        # The reconciliation poll, on every idle dispatcher pass: handed over, no receipt yet.
        Index(
            "ix_notify_notification_unreceipted",
            "sent_at",
            postgresql_where=text("status = 'sent'"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    caused_by: uuid.UUID = Field(nullable=False)
    resident_id: uuid.UUID = Field(nullable=False)
    purpose: str = Field(sa_column=Column(String(120), nullable=False))
    subject: str = Field(sa_column=Column(String(100), nullable=False))  # the case reference
    template_name: str = Field(sa_column=Column(String(120), nullable=False))
    personalisation: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # The address it goes to instead of the resident's details on record ({name, email, phone}):
    # the link confirming an address a resident with none confirmed has just given. Personal data.
    destination: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    channel: str | None = Field(default=None, sa_column=Column(String(10)))
    tried_channels: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(10)), nullable=False)
    )
    template_version: int | None = Field(default=None, sa_column=Column(Integer))
    status: str = Field(sa_column=Column(String(30), nullable=False))
    provider: str | None = Field(default=None, sa_column=Column(String(30)))
    provider_reference: str | None = Field(default=None, sa_column=Column(String(100)))
    urgent: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    not_before: datetime = Field(sa_column=_ts(nullable=False, default_now=True))
    lease_until: datetime | None = Field(default=None, sa_column=_ts())
    history: list[Any] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    detail: str | None = Field(default=None, sa_column=Column(String(500)))
    broadcast_id: uuid.UUID | None = Field(default=None)
    # When what the resident is told about happened (the event's `triggered_at`, else its
    # `occurred_at`): the start of the time to tell.
    triggered_at: datetime | None = Field(default=None, sa_column=_ts())
    # The W3C trace context of the consumer that created it: the provider call, made later by the
    # dispatcher, joins that trace (for a broadcast, links to it).
    traceparent: str | None = Field(default=None, sa_column=Column(String(55)))
    tracestate: str | None = Field(default=None, sa_column=Column(String(512)))
    created_at: datetime = Field(sa_column=_ts(nullable=False, default_now=True))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    completed_at: datetime | None = Field(default=None, sa_column=_ts())


class RoundHousehold(SQLModel, table=True):
    """The waste contractor's round data: which property is on which round (loaded from CSV)."""

    __tablename__ = "notify_round_household"

    uprn: str = Field(sa_column=Column(String(12), primary_key=True))
    round_id: str = Field(sa_column=Column(String(50), nullable=False, index=True))
    collection_day: str | None = Field(default=None, sa_column=Column(String(10)))


class Broadcast(SQLModel, table=True):
    """A service-disruption broadcast: a resumable job over the residents on a round."""

    __tablename__ = "notify_broadcast"

    id: uuid.UUID = Field(primary_key=True)
    caused_by: uuid.UUID = Field(unique=True)
    round_id: str = Field(sa_column=Column(String(50), nullable=False))
    disruption_id: str = Field(sa_column=Column(String(100), nullable=False))
    personalisation: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))  # fanning_out, sending, done
    recipients: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=_ts(nullable=False, default_now=True))
    completed_at: datetime | None = Field(default=None, sa_column=_ts())


class ProviderRateLimit(SQLModel, table=True):
    """A provider's token bucket, shared by every instance (see adapters/providers/rate_limit.py)."""

    __tablename__ = "notify_rate_limit"

    provider: str = Field(sa_column=Column(String(30), primary_key=True))
    tokens: float = Field(sa_column=Column(Float, nullable=False))
    updated_at: datetime = Field(sa_column=_ts(nullable=False, default_now=True))
    # What the last take granted (an UPDATE's RETURNING sees only the new row).
    last_granted: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class ResidentCaseType(SQLModel, table=True):
    """A type of case a resident has (as its resident or another told, e.g. an agent), from
    CaseOpened: which officers' teams may see the resident through this API."""

    __tablename__ = "notify_resident_case_type"

    resident_id: uuid.UUID = Field(primary_key=True)
    case_type: str = Field(sa_column=Column(String(50), primary_key=True))


class RecipientMessage(SQLModel, table=True):
    """A message handed over to a recipient: what the limit per recipient and hour counts, for
    every instance (see service_layer/recipient_limits.py). The recipient (an email address, a
    phone number) is kept only as a SHA-256, and a row only for the hour it counts in."""

    __tablename__ = "notify_recipient_message"
    __table_args__ = (Index("ix_notify_recipient_message_counted_at", "counted_at"),)

    recipient_key: str = Field(sa_column=Column(String(64), primary_key=True))
    notification_id: uuid.UUID = Field(primary_key=True)
    counted_at: datetime = Field(sa_column=_ts(nullable=False))


NOTIFY_TABLES = [
    ResidentPreferences.__table__,  # type: ignore[attr-defined]
    TemplateVersion.__table__,  # type: ignore[attr-defined]
    Notification.__table__,  # type: ignore[attr-defined]
    RoundHousehold.__table__,  # type: ignore[attr-defined]
    Broadcast.__table__,  # type: ignore[attr-defined]
    ProviderRateLimit.__table__,  # type: ignore[attr-defined]
    RecipientMessage.__table__,  # type: ignore[attr-defined]
    ResidentCaseType.__table__,  # type: ignore[attr-defined]
]
