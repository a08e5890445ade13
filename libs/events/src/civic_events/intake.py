"""intake.submission.v1: what residents submit, validated against the form's schema."""

from typing import Annotated, Literal

from pydantic import Field, HttpUrl, JsonValue

from civic_events.base import Event
from civic_events.contact import Contact, Location
from civic_events.fields import Channel, Code, Items, Language, Reference, Text
from civic_events.limits import ProducerAnswers
from civic_events.topics import INTAKE_SUBMISSION


class FormSubmitted(Event):
    """A resident submitted a form (web, Open311 or API); subject is the reference issued."""

    ce_type = "uk.gov.council.intake.FormSubmitted.v1"
    topic = INTAKE_SUBMISSION

    form_id: str = Field(
        pattern=r"^[a-z][a-z0-9-]*$", max_length=50, description='e.g. "missed-bin".'
    )
    form_version: int = Field(ge=1)
    service_code: Code | None = Field(default=None, description="Open311 service_code.")
    submitted_via: Literal["web", "open311", "api", "phone"]
    api_client_id: Reference | None = None
    answers: Annotated[dict[str, JsonValue], ProducerAnswers()] = Field(
        default_factory=dict, description="The answers, valid against the form's JSON Schema."
    )
    description: Text | None = Field(default=None, max_length=4000)
    media_urls: Annotated[tuple[HttpUrl, ...], Items] = ()
    location: Location | None = None
    contact: Contact | None = None
    preferred_channel: Channel | None = None
    language: Language = "en"
