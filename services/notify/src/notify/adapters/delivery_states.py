"""A claimed notification's state changes, one row at a time: after a failed hand-over, on a
provider's receipt or a poll. Each appends to the row's `history`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import Notification
from notify.domain.fallback import Fallback

_n = Notification.__table__


def _entry(now: datetime, what: str, row: Mapping[str, Any], detail: str) -> Any:
    return sa.cast(
        sa.func.jsonb_build_array(
            sa.func.jsonb_build_object(
                "at",
                now.isoformat(),
                "event",
                what,
                "channel",
                row["channel"],
                "provider",
                row["provider"],
                "detail",
                detail[:300],
            )
        ),
        JSONB,
    )


async def _change(
    session: AsyncSession,
    row: Mapping[str, Any],
    *,
    now: datetime,
    happened: str,
    because: str = "",
    **values: Any,
) -> None:
    """Set `values` in the notification `row` names; its history says what `happened`, and why."""
    await session.execute(
        sa.update(_n)
        .where(_n.c.id == row["id"])
        .values(**values, history=_n.c.history + _entry(now, happened, row, because))
    )


async def get(*, session: AsyncSession, notification_id: uuid.UUID) -> Any | None:
    result = await session.execute(sa.select(_n).where(_n.c.id == notification_id))
    return result.mappings().first()


async def lock(*, session: AsyncSession, notification_id: uuid.UUID) -> Any | None:
    result = await session.execute(
        sa.select(_n).where(_n.c.id == notification_id).with_for_update()
    )
    return result.mappings().first()


async def lock_if_ours(
    *, session: AsyncSession, row: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The row, locked, if it is still under the claim `row` was read with (same attempts)."""
    current = await lock(session=session, notification_id=row["id"])
    if current is None or current["attempts"] != row["attempts"]:
        return None
    return current


async def back_to_pending(
    *,
    session: AsyncSession,
    row: Mapping[str, Any],
    provider: str | None,
    not_before: datetime,
    detail: str,
    now: datetime,
) -> None:
    await _change(
        session,
        row,
        now=now,
        happened="temporary",
        because=detail,
        status="pending",
        provider=provider,
        not_before=not_before,
        lease_until=None,
        detail=detail[:500],
    )


async def lease_until(
    *, session: AsyncSession, row: Mapping[str, Any], until: datetime, detail: str, now: datetime
) -> None:
    await _change(
        session,
        row,
        now=now,
        happened="unknown",
        because=detail,
        lease_until=until,
        detail=detail[:500],
    )


async def mark_sent(
    *,
    session: AsyncSession,
    current: Mapping[str, Any],
    provider_reference: str,
    template_version: int | None,
    now: datetime,
) -> None:
    await _change(
        session,
        current,
        now=now,
        happened="sent",
        status="sent",
        sent_at=now,
        lease_until=None,
        provider_reference=provider_reference,
        template_version=template_version or current["template_version"],
    )


async def mark_ended(
    *,
    session: AsyncSession,
    current: Mapping[str, Any],
    status: str,
    failure: str,
    detail: str,
    now: datetime,
) -> None:
    """Final: `status` (the failure, or `cancelled`), with `failure` in the history."""
    await _change(
        session,
        current,
        now=now,
        happened=failure,
        because=detail,
        status=status,
        lease_until=None,
        detail=detail[:500],
        completed_at=now,
    )


async def mark_fallen_back(
    *,
    session: AsyncSession,
    current: Mapping[str, Any],
    fallback: Fallback,
    detail: str,
    now: datetime,
) -> None:
    """A permanent failure on the current channel: on to `fallback`'s channel, or failed."""
    values: dict[str, Any] = {
        "tried_channels": fallback.tried_channels,
        "lease_until": None,
        "detail": detail[:500],
    }
    if fallback.channel is None:
        values.update(status="permanent-failure", completed_at=now)
    else:
        values.update(
            status="pending",
            channel=fallback.channel,
            provider=None,
            provider_reference=None,
            sent_at=None,
            not_before=fallback.not_before,
        )
    await _change(session, current, now=now, happened="permanent", because=detail, **values)


async def mark_delivered(
    *, session: AsyncSession, current: Mapping[str, Any], now: datetime
) -> None:
    await _change(
        session, current, now=now, happened="delivered", status="delivered", completed_at=now
    )


async def sent_awaiting_receipt(
    *, session: AsyncSession, cutoff: datetime, limit: int
) -> list[Any]:
    """Messages handed over to a provider by `cutoff` with no receipt yet, oldest first."""
    result = await session.execute(
        sa.select(_n)
        .where(_n.c.status == "sent", _n.c.sent_at <= cutoff, _n.c.provider_reference.is_not(None))
        .order_by(_n.c.sent_at)
        .limit(limit)
    )
    return list(result.mappings().all())
