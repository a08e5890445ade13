"""A client's submissions per hour, limited across every instance of intake.

A request is counted before it is written (and before the waste contractor is asked about a
missed bin), so concurrent requests of one client cannot all pass the limit; a request refused
by validation is not counted (the resident correcting a form does not use up their hour); a
replay answered from its Idempotency-Key is not either.
"""

from __future__ import annotations

from datetime import UTC, datetime

from civic_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from intake.adapters import client_counts
from intake.domain.client_limits import hour_of


class TooManyRequests(Exception):
    """The client has used up this hour's submissions."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


async def admit(
    *,
    uow: UnitOfWork[AsyncSession] | UnitOfWork[AsyncConnection],
    client: str,
    per_hour: int,
    now: datetime | None = None,
) -> None:
    """Count one request against `client`; TooManyRequests once it is over `per_hour` (0: no
    limit, nothing counted)."""
    if per_hour <= 0:
        return
    window = hour_of(now or datetime.now(UTC))
    counted = await client_counts.count_request(
        session=uow.session, client=client, window_start=window.start
    )
    if counted > per_hour:
        raise TooManyRequests(retry_after_s=window.seconds_left)


async def forget_past_hours(*, uow: UnitOfWork[AsyncSession], now: datetime | None = None) -> int:
    """Delete the counts of hours already over; how many rows went."""
    return await client_counts.forget_counts(
        session=uow.session, before=hour_of(now or datetime.now(UTC)).start
    )
