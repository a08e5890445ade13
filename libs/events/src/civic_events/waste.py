"""backoffice.waste.v1: what the waste contractor's system reports.

Subject: the case reference for a property's job; the round for a service disruption.
These events name the property (UPRN), never the resident.
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, HttpUrl

from civic_events.base import Event
from civic_events.fields import Items, Reference, RoundId, Text, Uprn
from civic_events.topics import BACKOFFICE_WASTE

BinType = Literal["refuse", "recycling", "garden", "food", "glass", "bulky"]


class CollectionCompleted(Event):
    """The crew emptied the bin at the property."""

    ce_type = "uk.gov.council.waste.CollectionCompleted.v1"
    topic = BACKOFFICE_WASTE

    job_reference: Reference = Field(description="The contractor's job or task id.")
    uprn: Uprn
    round_id: RoundId
    bin_type: BinType
    collection_date: date
    completed_at: AwareDatetime
    return_visit: bool = Field(default=False, description="Done on a return visit.")


class CollectionMissed(Event):
    """The bin was not collected on its scheduled day."""

    ce_type = "uk.gov.council.waste.CollectionMissed.v1"
    topic = BACKOFFICE_WASTE

    job_reference: Reference
    uprn: Uprn
    round_id: RoundId
    bin_type: BinType
    collection_date: date
    reason: Literal[
        "crew_missed", "access_blocked", "vehicle_breakdown", "weather", "contamination", "other"
    ]
    reported_by: Literal["resident", "crew", "contractor"]


class BinNotPresented(Event):
    """The crew recorded that the bin was not put out; a missed-bin report is then refused."""

    ce_type = "uk.gov.council.waste.BinNotPresented.v1"
    topic = BACKOFFICE_WASTE

    job_reference: Reference
    uprn: Uprn
    round_id: RoundId
    bin_type: BinType
    collection_date: date
    recorded_at: AwareDatetime
    evidence_url: HttpUrl | None = Field(default=None, description="The crew's photo, if any.")


class ReturnVisitScheduled(Event):
    """The contractor booked a return visit for a missed collection."""

    ce_type = "uk.gov.council.waste.ReturnVisitScheduled.v1"
    topic = BACKOFFICE_WASTE

    job_reference: Reference
    uprn: Uprn
    round_id: RoundId
    bin_type: BinType
    missed_collection_date: date
    scheduled_for: date


class ServiceDisruption(Event):
    """A round is disrupted (snow, strike, breakdown); subject is the round."""

    ce_type = "uk.gov.council.waste.ServiceDisruption.v1"
    topic = BACKOFFICE_WASTE

    disruption_id: Reference
    round_id: RoundId
    status: Literal["started", "updated", "resolved"]
    cause: Literal["weather", "industrial_action", "vehicle_breakdown", "road_closure", "other"]
    affected_date: date
    bin_types: Annotated[tuple[BinType, ...], Items] = Field(min_length=1)
    expected_recovery_date: date | None = None
    public_message: Text = Field(
        min_length=1, max_length=1000, description="The words residents are sent."
    )
