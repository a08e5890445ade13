"""The runtime's own tables, present in every service's database: the outbox and the inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published, written in the same transaction as the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index("ix_outbox_published_at", "published_at"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    event_id: uuid.UUID = Field(unique=True)
    event_type: str = Field(sa_column=Column(String(200), nullable=False))
    topic: str = Field(sa_column=Column(String(200), nullable=False))
    key: str = Field(sa_column=Column(String(200), nullable=False))
    headers: list[Any] = Field(sa_column=Column(JSONB, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InboxEntry(SQLModel, table=True):
    """An event a handler has applied; its presence makes a redelivery a no-op."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_processed_at", "processed_at"),)

    handler: str = Field(sa_column=Column(String(200), primary_key=True))
    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str = Field(sa_column=Column(String(200), nullable=False))
    topic: str = Field(sa_column=Column(String(200), nullable=False))
    partition: int
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    processed_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


RUNTIME_TABLES = [OutboxMessage.__table__, InboxEntry.__table__]  # type: ignore[attr-defined]
