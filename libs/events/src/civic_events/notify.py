"""notify.delivery.v1: what happened to each notification; subject is the case reference
(or the round, for a service-disruption broadcast). Residents are named by id only.
"""

from typing import Literal
from uuid import UUID

from pydantic import Field

from civic_events.base import Event
from civic_events.fields import Channel, Reference, Text
from civic_events.topics import NOTIFY_DELIVERY


class NotificationSent(Event):
    """A notification was handed to the provider (GOV.UK Notify, SMTP or push)."""

    ce_type = "uk.gov.council.notify.NotificationSent.v1"
    topic = NOTIFY_DELIVERY

    notification_id: UUID
    resident_id: UUID | None = None
    channel: Channel
    template_id: Reference
    template_version: int = Field(ge=1)
    provider: Literal["govuk-notify", "smtp", "push"]
    provider_reference: Reference | None = Field(default=None, description="e.g. Notify's id.")
    broadcast_id: UUID | None = Field(default=None, description="Set for disruption broadcasts.")
    caused_by: UUID | None = Field(default=None, description="The event that asked for it.")


class NotificationDelivered(Event):
    """The provider confirmed delivery."""

    ce_type = "uk.gov.council.notify.NotificationDelivered.v1"
    topic = NOTIFY_DELIVERY

    notification_id: UUID
    resident_id: UUID | None = None
    channel: Channel
    provider_reference: Reference | None = None


class NotificationFailed(Event):
    """The provider gave up delivering (GOV.UK Notify's failure statuses)."""

    ce_type = "uk.gov.council.notify.NotificationFailed.v1"
    topic = NOTIFY_DELIVERY

    notification_id: UUID
    resident_id: UUID | None = None
    channel: Channel
    failure: Literal["permanent-failure", "temporary-failure", "technical-failure"]
    provider_reference: Reference | None = None
    detail: Text | None = Field(default=None, max_length=500, description="No personal data.")
