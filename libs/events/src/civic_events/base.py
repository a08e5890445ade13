"""The base of every event: the fields all events share and their CloudEvents metadata."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from civic_events.fields import Line
from civic_events.topics import Topic

COMMON_FIELDS: frozenset[str] = frozenset(
    {"event_id", "occurred_at", "source", "subject", "schema_version"}
)


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Something that happened, told once, never changed.

    Subclasses set ``ce_type`` (the versioned CloudEvents type) and ``topic``.
    Unknown fields are ignored rather than rejected, so a consumer built against an older
    model keeps working when a producer adds an optional field.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    ce_type: ClassVar[str]
    topic: ClassVar[Topic]

    event_id: UUID = Field(
        default_factory=uuid4, description="Unique id; consumers use it to drop duplicates."
    )
    occurred_at: AwareDatetime = Field(
        default_factory=_now, description="When it happened; timezone-aware, stored in UTC."
    )
    source: Line = Field(
        min_length=1,
        max_length=100,
        description='The producing service or system, e.g. "intake", "waste-contractor".',
    )
    subject: Line = Field(
        min_length=1,
        max_length=100,
        description=(
            "The case reference (e.g. WST-2026-004211), application reference, resident id "
            "or round; also the Kafka message key, so one case's events stay in order."
        ),
    )
    schema_version: int = Field(default=1, ge=1)

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def key(self) -> str:
        """The Kafka message key."""
        return self.subject
