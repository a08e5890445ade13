"""Notify's delivery reports kept on the case's and the resident's timeline."""

from __future__ import annotations

from typing import TypeAlias

from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository

DeliveryEvent: TypeAlias = NotificationSent | NotificationDelivered | NotificationFailed


def _summary(event: DeliveryEvent) -> tuple[str, str]:
    if isinstance(event, NotificationSent):
        return "sent", f"Notification sent by {event.channel} ({event.template_id})"
    if isinstance(event, NotificationDelivered):
        return "delivered", f"Notification delivered by {event.channel}"
    return event.failure, f"Notification by {event.channel} failed: {event.failure}"


async def delivery_reported(uow: UnitOfWork, *, event: DeliveryEvent) -> None:
    case = await repository.case_by_reference(uow.session, reference=event.subject, lock=False)
    resident_id = case.resident_id if case else None
    if event.resident_id is not None and (
        await repository.resident_by_id(uow.session, resident_id=event.resident_id) is not None
    ):
        resident_id = event.resident_id
    if case is None and resident_id is None:
        return
    state, summary = _summary(event)
    await repository.add_timeline(
        uow.session,
        case=case,
        resident_id=resident_id,
        occurred_at=event.occurred_at,
        kind="notification",
        summary=summary,
        detail={
            "notification_id": str(event.notification_id),
            "state": state,
            "channel": event.channel,
        },
        event_id=event.event_id,
    )
