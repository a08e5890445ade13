"""The messages handed over to each recipient, in notify's PostgreSQL: one row per recipient and
message, so a message retried (a provider's outage) is counted once, and any hour is counted
exactly, not only the clock hour.

Checking and counting take a transaction-scoped advisory lock on the recipient first: two
instances handing over messages to one recipient at once count one after the other, never both
as the last one allowed. The count is read after the lock is held (a new statement, a new
snapshot under READ COMMITTED), so it sees what the other committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import RecipientMessage

_m = RecipientMessage.__table__


async def lock_recipient(*, session: AsyncSession, key: str) -> None:
    """Hold the recipient until the transaction ends (its key's 64-bit hash as the lock)."""
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def counted_since(
    *, session: AsyncSession, key: str, notification_id: uuid.UUID, since: datetime
) -> tuple[bool, int]:
    """Whether this message is counted already (a retry), and how many are counted since."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(_m.c.notification_id == notification_id),
                sa.func.count(),
            ).where(_m.c.recipient_key == key, _m.c.counted_at > since)
        )
    ).one()
    return bool(row[0]), int(row[1])


async def count_message(
    *, session: AsyncSession, key: str, notification_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        insert(_m)
        .values(recipient_key=key, notification_id=notification_id, counted_at=at)
        .on_conflict_do_nothing()
    )


async def forget_before(*, session: AsyncSession, before: datetime) -> None:
    await session.execute(sa.delete(_m).where(_m.c.counted_at < before))
