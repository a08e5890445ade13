"""residents.v1: residents' contact details and preferences, owned by cases.

Subject: the resident id, so one resident's changes stay in order. These events may carry
contact details; an erasure tells every projection to forget them.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from civic_events.base import Event
from civic_events.contact import Contact, Coordinates
from civic_events.fields import Channel, Items, Language, Reference, RoundId
from civic_events.limits import ProducerItems
from civic_events.topics import RESIDENTS


class ResidentUpserted(Event):
    """A resident was created or their details changed; carries the whole current record."""

    ce_type = "uk.gov.council.residents.ResidentUpserted.v1"
    topic = RESIDENTS

    resident_id: UUID
    contact: Contact
    preferred_channel: Channel
    language: Language = "en"
    collection_round_ids: Annotated[tuple[RoundId, ...], Items] = Field(
        default=(), description="The rounds serving the resident's property."
    )
    home_coordinates: Coordinates | None = Field(
        default=None,
        description="Where the resident lives, so they can hear of planning applications nearby.",
    )


class ContactPreferencesChanged(Event):
    """A resident chose how, and about what, they want to hear from the council."""

    ce_type = "uk.gov.council.residents.ContactPreferencesChanged.v1"
    topic = RESIDENTS

    resident_id: UUID
    preferred_channel: Channel
    case_updates: bool
    disruption_alerts: bool
    planning_alerts: bool
    planning_alert_radius_metres: int | None = Field(default=None, ge=50, le=5000)


ContactDetail = Literal[
    "name", "email", "phone", "address", "uprn", "language", "preferred_channel"
]


class ContactChangeRequested(Event):
    """Someone gave contact details for a resident without proving who they are (a form): nothing
    is used yet. The resident is asked to confirm them with a one-time link, sent to the details
    already on record, or, for a resident with none confirmed, to the address just given
    (`send_to`); if they do not, the change lapses at `expires_at`."""

    ce_type = "uk.gov.council.residents.ContactChangeRequested.v1"
    topic = RESIDENTS

    resident_id: UUID
    changes: tuple[ContactDetail, ...] = Field(
        min_length=1,
        max_length=7,
        description="Which details would change (never their new values).",
    )
    confirm_url: str = Field(
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="The one-time link confirming the change (a secret: never logged).",
    )
    expires_at: AwareDatetime
    reference: Reference | None = Field(
        default=None, description="The case reference of the submission that gave the details."
    )
    send_to: Contact | None = Field(
        default=None,
        description=(
            "For a resident with no confirmed contact details: the address just given (email or "
            "phone, with the name), where the link goes, as the first acknowledgement of their "
            "submission. Absent: the link goes to the details on record."
        ),
    )


ERASED_REFERENCES_PER_EVENT = 1000
"""The most case references one ResidentErased carries: a resident with more cases is erased by
several events, each naming some of them (each also forgets the resident, harmlessly again)."""
ErasedReferences = Annotated[tuple[Reference, ...], ProducerItems(ERASED_REFERENCES_PER_EVENT)]


class ResidentErased(Event):
    """A resident's personal data was erased; every projection must forget it."""

    ce_type = "uk.gov.council.residents.ResidentErased.v1"
    topic = RESIDENTS

    resident_id: UUID
    reason: Literal["resident_request", "retention_period_ended"]
    references: ErasedReferences = Field(
        default=(),
        description=(
            "The references of the resident's cases (as applicant or agent): services that know "
            "submissions by reference, not by resident, forget those submissions' personal data. "
            "Empty in events from producers that predate the field."
        ),
    )
