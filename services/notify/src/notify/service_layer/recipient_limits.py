"""The limit of messages per recipient and hour, checked as each email or SMS is handed over
(see domain/recipient_limits.py for the why); the counts are in PostgreSQL, shared by every
instance. A message over the limit is not sent: it ends failed, saying so."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters import recipient_counts
from notify.domain.recipient_limits import RecipientLimits, recipient_key

WINDOW = timedelta(hours=1)


async def admit_message(
    *,
    session: AsyncSession,
    limits: RecipientLimits,
    notification_id: uuid.UUID,
    channel: str,
    recipient: object,
    purpose: str,
    now: datetime,
) -> str | None:
    """Count the message against its recipient; None when it may go, else why not (no personal
    data: it is recorded and published). Call it in a transaction of its own, committed before
    the hand-over, so that the recipient's lock is held only for the count."""
    if not limits.applies(channel=channel, purpose=purpose) or not isinstance(recipient, str):
        return None
    limit = limits.of(purpose)
    key = recipient_key(channel=channel, recipient=recipient, purpose=purpose)
    await recipient_counts.lock_recipient(session=session, key=key)
    already, counted = await recipient_counts.counted_since(
        session=session, key=key, notification_id=notification_id, since=now - WINDOW
    )
    if already:
        return None  # a retry of a message already counted
    if counted >= limit:
        return f"recipient limit: {limit} {channel} messages an hour to this recipient; not sent"
    await recipient_counts.count_message(
        session=session, key=key, notification_id=notification_id, at=now
    )
    return None


async def forget_past_hour(*, session: AsyncSession, now: datetime) -> None:
    """The counts older than the hour limit nothing any more."""
    await recipient_counts.forget_before(session=session, before=now - WINDOW)
