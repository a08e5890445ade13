"""The projection of `residents.v1`, and residents' own changes through the API.

Cases owns the resident's choices (channel, opt-ins, planning radius) and announces them on
`residents.v1`; a resident may also change them here (the resident pages use our API). Cases does
not hear of those changes, so the two can differ: the latest wins. A change made here stamps
`choices_changed_at`; a `residents.v1` event that occurred before it updates the contact details
but leaves the choices as the resident last set them. The fallback order and the push
subscription exist only here.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from civic_events.residents import ContactPreferencesChanged, ResidentErased, ResidentUpserted
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import Notification, ResidentPreferences
from notify.service_layer.erasure import forget_what_was_sent
from notify.service_layer.notifications import release_awaiting

_residents = ResidentPreferences.__table__
_notifications = Notification.__table__


# The choices `residents.v1` carries: a change through our API stamps `choices_changed_at`.
CHOICES_CASES_OWNS = frozenset(
    {
        "preferred_channel",
        "case_updates",
        "disruption_alerts",
        "planning_alerts",
        "planning_alert_radius_metres",
    }
)


def _unless_changed_here_since(event_time: Any, column: str, value: Any) -> Any:
    """In an upsert: the event's value, unless the resident changed it through our API later."""
    changed_at = _residents.c.choices_changed_at
    return sa.case(
        (sa.or_(changed_at.is_(None), changed_at <= event_time), value),
        else_=_residents.c[column],
    )


async def record_resident(*, session: AsyncSession, event: ResidentUpserted) -> None:
    contact = {
        "name": event.contact.name,
        "email": event.contact.email,
        "phone": event.contact.phone,
        "uprn": event.contact.uprn,
        "preferred_channel": event.preferred_channel,
        "round_ids": list(event.collection_round_ids),
        # The whole current record: no coordinates now means none any more.
        "home_latitude": event.home_coordinates.latitude if event.home_coordinates else None,
        "home_longitude": event.home_coordinates.longitude if event.home_coordinates else None,
        "erased": False,
        "updated_at": sa.func.now(),
    }
    await session.execute(
        insert(_residents)
        .values(
            resident_id=event.resident_id,
            fallback_order=[],
            case_updates=True,
            disruption_alerts=True,
            planning_alerts=False,
            **contact,
        )
        .on_conflict_do_update(
            index_elements=["resident_id"],
            set_={
                **contact,
                "preferred_channel": _unless_changed_here_since(
                    event.occurred_at, "preferred_channel", event.preferred_channel
                ),
            },
        )
    )
    await _release(session, event.resident_id)


async def record_preferences(*, session: AsyncSession, event: ContactPreferencesChanged) -> None:
    choices = {
        "preferred_channel": event.preferred_channel,
        "case_updates": event.case_updates,
        "disruption_alerts": event.disruption_alerts,
        "planning_alerts": event.planning_alerts,
        "planning_alert_radius_metres": event.planning_alert_radius_metres,
        "updated_at": sa.func.now(),
    }
    await session.execute(
        insert(_residents)
        .values(
            resident_id=event.resident_id, fallback_order=[], round_ids=[], erased=False, **choices
        )
        .on_conflict_do_update(
            index_elements=["resident_id"],
            set_={
                name: (
                    _unless_changed_here_since(event.occurred_at, name, value)
                    if name in CHOICES_CASES_OWNS
                    else value
                )
                for name, value in choices.items()
            },
        )
    )
    await _release(session, event.resident_id)


async def _release(session: AsyncSession, resident_id: uuid.UUID) -> None:
    await release_awaiting(session=session, resident_id=resident_id)


async def erase_resident(*, session: AsyncSession, event: ResidentErased) -> None:
    """Forget the contact details; cancel what was still waiting to go to them; forget what
    was sent to them."""
    await session.execute(
        sa.update(_residents)
        .where(_residents.c.resident_id == event.resident_id)
        .values(
            name=None,
            email=None,
            phone=None,
            uprn=None,
            home_latitude=None,
            home_longitude=None,
            push_subscription=None,
            round_ids=[],
            erased=True,
            updated_at=sa.func.now(),
        )
    )
    await session.execute(
        sa.update(_notifications)
        .where(
            _notifications.c.resident_id == event.resident_id,
            _notifications.c.status.in_(("pending", "awaiting_resident")),
        )
        .values(
            status="cancelled",
            personalisation={},
            detail="resident erased",
            completed_at=sa.func.now(),
        )
    )
    await forget_what_was_sent(session=session, resident_id=event.resident_id)


async def change_preferences(
    *, session: AsyncSession, resident_id: uuid.UUID, changes: dict[str, Any]
) -> bool:
    """A resident's own change (channel, fallback order, opt-outs, push subscription)."""
    stamp = {"choices_changed_at": sa.func.now()} if CHOICES_CASES_OWNS & set(changes) else {}
    result = await session.execute(
        sa.update(_residents)
        .where(_residents.c.resident_id == resident_id, _residents.c.erased.is_(False))
        .values(**changes, **stamp, updated_at=sa.func.now())
        .returning(_residents.c.resident_id)
    )
    return result.first() is not None
