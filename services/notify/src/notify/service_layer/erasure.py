"""What notify forgets of an erased resident beyond their contact details: what it told them.

A notification keeps its delivery facts (purpose, template and version, channel, provider and
its reference, states, times, history), so the CRM's timeline and the provider's records still
agree; its personalisation (the rendered facts: names, places, links) and its own address (a
`destination`, the one a resident gave before confirming it) go. A notification that
is still being sent loses nothing it needs: the dispatcher already holds what it renders, and a
later attempt for an erased resident is cancelled before anything is rendered.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from civic_runtime.erasure import erase_outbox_copies
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import Notification

_notifications = Notification.__table__


async def forget_what_was_sent(*, session: AsyncSession, resident_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(_notifications)
        .where(
            _notifications.c.resident_id == resident_id,
            sa.or_(
                _notifications.c.personalisation
                != sa.cast({}, _notifications.c.personalisation.type),
                _notifications.c.destination.is_not(None),
            ),
        )
        .values(personalisation={}, destination=None)
    )
    # notify's events name residents by id only; any copy it keeps of one that could carry
    # their contact details goes with the rest.
    await erase_outbox_copies(session, keys=[str(resident_id)])
