"""Service-disruption broadcasts: one notification row per opted-in household on the round.

The fan-out is one `INSERT … SELECT … ON CONFLICT DO NOTHING` in the consuming transaction, so it
is all-or-nothing and, keyed like every notification by (event, resident, purpose), can never
create a second message for anyone. Delivery is then the dispatcher's ordinary, crash-safe work:
a broadcast interrupted at any point resumes where its rows say it is.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from civic_events.waste import ServiceDisruption
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import Broadcast, Notification, ResidentPreferences, RoundHousehold
from notify.domain.preferences import not_before
from notify.domain.purposes import disruption_personalisation
from notify.service_layer.notifications import quiet_hours, trace_context, wake_after_commit

_b = Broadcast.__table__
_n = Notification.__table__
_r = ResidentPreferences.__table__
_h = RoundHousehold.__table__

PURPOSE = "service_disruption"


async def start_broadcast(
    *, session: AsyncSession, event: ServiceDisruption, now: datetime | None = None
) -> uuid.UUID | None:
    now = now or datetime.now(UTC)
    personalisation = disruption_personalisation(event)
    created = await session.execute(
        insert(_b)
        .values(
            id=uuid.uuid4(),
            caused_by=event.event_id,
            round_id=event.round_id,
            disruption_id=event.disruption_id,
            personalisation=personalisation,
            status="sending",
            recipients=0,
        )
        .on_conflict_do_nothing()
        .returning(_b.c.id)
    )
    broadcast_id = created.scalar_one_or_none()
    if broadcast_id is None:
        return None
    on_round = sa.or_(
        sa.literal(event.round_id) == sa.any_(_r.c.round_ids),
        _r.c.uprn.in_(sa.select(_h.c.uprn).where(_h.c.round_id == event.round_id)),
    )
    channel = sa.case(
        (sa.and_(_r.c.preferred_channel == "email", _r.c.email.is_not(None)), "email"),
        (sa.and_(_r.c.preferred_channel == "sms", _r.c.phone.is_not(None)), "sms"),
        (sa.and_(_r.c.preferred_channel == "push", _r.c.push_subscription.is_not(None)), "push"),
        (_r.c.email.is_not(None), "email"),
        (_r.c.phone.is_not(None), "sms"),
        (_r.c.push_subscription.is_not(None), "push"),
        else_=sa.null(),
    )
    quiet = not_before("sms", now, quiet_hours=quiet_hours(session))
    trace = trace_context()
    recipients = (
        sa.select(
            sa.func.gen_random_uuid(),
            sa.literal(event.event_id, sa.Uuid),
            _r.c.resident_id,
            sa.literal(PURPOSE),
            sa.literal(event.round_id),
            sa.literal(PURPOSE),
            sa.cast(sa.literal(personalisation, sa.JSON), JSONB),
            channel,
            sa.cast(sa.literal("{}"), sa.ARRAY(sa.String)),
            sa.literal("pending"),
            sa.literal(False),
            sa.literal(0),
            sa.case((channel.in_(["sms", "push"]), sa.literal(quiet)), else_=sa.literal(now)),
            sa.cast(sa.literal("[]"), JSONB),
            sa.literal(broadcast_id, sa.Uuid),
            sa.literal(event.occurred_at, sa.DateTime(timezone=True)),
            sa.literal(trace["traceparent"], sa.String),
            sa.literal(trace["tracestate"], sa.String),
        )
        .where(on_round, _r.c.disruption_alerts.is_(True), _r.c.erased.is_(False))
        .where(channel.is_not(None))
    )
    inserted = await session.execute(
        insert(_n)
        .from_select(
            [
                "id",
                "caused_by",
                "resident_id",
                "purpose",
                "subject",
                "template_name",
                "personalisation",
                "channel",
                "tried_channels",
                "status",
                "urgent",
                "attempts",
                "not_before",
                "history",
                "broadcast_id",
                "triggered_at",
                "traceparent",
                "tracestate",
            ],
            recipients,
        )
        .on_conflict_do_nothing(constraint="uq_notify_notification_once")
        .returning(_n.c.id)
    )
    count = len(inserted.all())
    await session.execute(sa.update(_b).where(_b.c.id == broadcast_id).values(recipients=count))
    if count:
        wake_after_commit(session)
    return broadcast_id


async def progress(*, session: AsyncSession, broadcast_id: uuid.UUID) -> dict[str, Any] | None:
    """Counts by channel and state; marks the broadcast done once nothing is left to send.

    `held_for_quiet_hours` counts the outstanding messages that wait for the quiet hours' end
    (texts and push at night), so that a reader can tell them from messages still going out.
    """
    broadcast = (
        (await session.execute(sa.select(_b).where(_b.c.id == broadcast_id))).mappings().first()
    )
    if broadcast is None:
        return None
    held = sa.and_(_n.c.status == "pending", _n.c.not_before > sa.func.now())
    rows = await session.execute(
        sa.select(
            _n.c.channel,
            _n.c.status,
            sa.func.count(),
            sa.func.count().filter(held),
        )
        .where(_n.c.broadcast_id == broadcast_id)
        .group_by(_n.c.channel, _n.c.status)
    )
    by_channel: dict[str, dict[str, int]] = {}
    outstanding = 0
    handled = 0
    held_for_quiet_hours = 0
    for channel, status, count, held_count in rows:
        by_channel.setdefault(channel or "none", {})[status] = count
        held_for_quiet_hours += held_count
        if status in ("pending", "sending"):
            outstanding += count
        else:
            handled += count
    status = broadcast["status"]
    completed_at = broadcast["completed_at"]
    if outstanding == 0 and status != "done":
        completed_at = datetime.now(UTC)
        status = "done"
        await session.execute(
            sa.update(_b)
            .where(_b.c.id == broadcast_id)
            .values(status=status, completed_at=completed_at)
        )
    return {
        "id": str(broadcast_id),
        "round_id": broadcast["round_id"],
        "disruption_id": broadcast["disruption_id"],
        "status": status,
        "recipients": broadcast["recipients"],
        "handled": handled,
        "outstanding": outstanding,
        "held_for_quiet_hours": held_for_quiet_hours,
        "by_channel": by_channel,
        "created_at": broadcast["created_at"].isoformat(),
        "completed_at": completed_at.isoformat() if completed_at else None,
    }


async def find_for_disruption(*, session: AsyncSession, disruption_id: str) -> list[uuid.UUID]:
    rows = await session.execute(
        sa.select(_b.c.id).where(_b.c.disruption_id == disruption_id).order_by(_b.c.created_at)
    )
    return [row.id for row in rows]


def read_rounds_csv(lines: Iterable[str]) -> list[dict[str, str | None]]:
    """The contractor's round data: columns `uprn`, `round` (or `round_id`), `collection_day`."""
    households: list[dict[str, str | None]] = []
    for record in csv.DictReader(lines):
        uprn = (record.get("uprn") or "").strip()
        round_id = (record.get("round_id") or record.get("round") or "").strip()
        if not uprn.isdigit() or not round_id:
            raise ValueError(f"line {len(households) + 2}: needs a numeric uprn and a round")
        households.append(
            {
                "uprn": uprn,
                "round_id": round_id,
                "collection_day": (record.get("collection_day") or "").strip() or None,
            }
        )
    return households


async def load_rounds(*, session: AsyncSession, households: list[dict[str, str | None]]) -> int:
    for start in range(0, len(households), 5_000):
        chunk = households[start : start + 5_000]
        statement = insert(_h).values(chunk)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["uprn"],
                set_={
                    "round_id": statement.excluded.round_id,
                    "collection_day": statement.excluded.collection_day,
                },
            )
        )
    return len(households)
