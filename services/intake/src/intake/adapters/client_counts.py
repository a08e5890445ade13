"""Requests counted per client and window in intake's PostgreSQL: one row per client and hour,
incremented by one upsert, so that every instance counts against the same number."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from intake.adapters.tables import client_count


async def count_request(
    *,
    session: AsyncSession | AsyncConnection,
    client: str,
    window_start: datetime,
) -> int:
    """Count one more request against `client` in the window; how many it has counted in it.
    The row stays locked until the caller's transaction ends, so concurrent requests of one
    client are counted one after another, never both as the last one allowed."""
    statement = (
        insert(client_count)
        .values(client=client, window_start=window_start, requests=1)
        .on_conflict_do_update(
            index_elements=["client", "window_start"],
            set_={"requests": client_count.c.requests + 1},
        )
        .returning(client_count.c.requests)
    )
    return int((await session.execute(statement)).scalar_one())


async def forget_counts(*, session: AsyncSession, before: datetime) -> int:
    """Delete the counts of windows that started before `before`; how many were deleted."""
    result = await session.execute(
        sa.delete(client_count).where(client_count.c.window_start < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
