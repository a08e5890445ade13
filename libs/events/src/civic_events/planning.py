"""backoffice.planning.v1: what the planning back office (BOPS) reports.

Subject: the application reference, e.g. 26/00123/FUL. Only ApplicationReceived carries
the applicant's and agent's contact details; the rest refer to the application alone.
"""

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import Field, HttpUrl, model_validator

from civic_events.base import Event
from civic_events.contact import Contact, Coordinates, Location
from civic_events.fields import Code, Items, Line, LongText, Reference, Text, Uprn
from civic_events.topics import BACKOFFICE_PLANNING


class ApplicationReceived(Event):
    """A planning application was received."""

    ce_type = "uk.gov.council.planning.ApplicationReceived.v1"
    topic = BACKOFFICE_PLANNING

    application_type: Code = Field(description='e.g. "householder", "full", "prior_approval".')
    proposal: Text = Field(min_length=1, max_length=2000)
    site: Location
    applicant: Contact
    agent: Contact | None = None
    received_on: date
    ward: Line | None = Field(default=None, max_length=100)
    fee: int | None = Field(default=None, ge=0, le=10_000_000, description="In pence.")


class ApplicationValidated(Event):
    """The application was found valid; the statutory clock starts."""

    ce_type = "uk.gov.council.planning.ApplicationValidated.v1"
    topic = BACKOFFICE_PLANNING

    validated_on: date
    determination_deadline: date
    case_officer_id: Reference | None = None


class ApplicationInvalid(Event):
    """The application was invalidated; the applicant has 15 business days to respond."""

    ce_type = "uk.gov.council.planning.ApplicationInvalid.v1"
    topic = BACKOFFICE_PLANNING

    reasons: Annotated[tuple[LongText, ...], Items] = Field(min_length=1)
    response_due: date
    validation_request_ids: Annotated[tuple[Reference, ...], Items] = ()


class ConsultationStarted(Event):
    """Statutory consultation opened: 21 days, or 30 with an environmental impact assessment."""

    ce_type = "uk.gov.council.planning.ConsultationStarted.v1"
    topic = BACKOFFICE_PLANNING

    starts_on: date
    ends_on: date
    environmental_impact_assessment: bool = False
    site_uprn: Uprn | None = None
    site_coordinates: Coordinates | None = Field(
        default=None, description="So residents subscribed to applications nearby can be told."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class DecisionIssued(Event):
    """The application was determined."""

    ce_type = "uk.gov.council.planning.DecisionIssued.v1"
    topic = BACKOFFICE_PLANNING

    decision: Literal["granted", "refused", "not_required"]
    decided_on: date
    decision_level: Literal["delegated", "committee"]
    decision_notice_url: HttpUrl | None = None


class ApplicationWithdrawn(Event):
    """The applicant withdrew the application."""

    ce_type = "uk.gov.council.planning.ApplicationWithdrawn.v1"
    topic = BACKOFFICE_PLANNING

    withdrawn_on: date
    reason: Text | None = Field(default=None, max_length=500)
