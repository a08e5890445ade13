"""Turning an event into at most one notification per (event, resident, purpose)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from civic_runtime.telemetry import current_trace_headers
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters import residents
from notify.adapters.metrics import count_after_commit
from notify.adapters.tables import Notification
from notify.domain.preferences import DEFAULT_QUIET_HOURS, Preferences, QuietHours, not_before
from notify.domain.purposes import MessageRequest

_notifications = Notification.__table__
# Built once: a consumer inserts one per event, and building (and keying for the compiled-SQL
# cache) a statement per call is a good part of the cost of an insert.
_INSERT_ONCE = (
    insert(_notifications)
    .on_conflict_do_nothing(constraint="uq_notify_notification_once")
    .returning(*_notifications.c)
)

# Set on the session factory by bootstrap: called after a commit that made a message due.
WAKE_KEY = "notify_wake_dispatcher"
# Set on the session factory by bootstrap when this instance delivers: its dispatcher, which
# claims a message due now in the transaction that creates it (`ClaimsAtCreation`).
CLAIM_AT_CREATION_KEY = "notify_claim_at_creation"


class ClaimsAtCreation(Protocol):
    """The dispatcher, as seen by the use cases that create messages (entrypoints/dispatcher.py)."""

    async def claim_at_creation(self, session: AsyncSession, values: dict[str, Any]) -> None: ...

    async def hand_over_after_commit(
        self, session: AsyncSession, row: dict[str, Any], prefs: Preferences
    ) -> None: ...


# Set on the session factory by bootstrap: the `quiet_hours` setting (None: off).
QUIET_HOURS_KEY = "notify_quiet_hours"


def quiet_hours(session: AsyncSession) -> QuietHours | None:
    """The quiet hours in force for this service (the default ones unless bootstrap said)."""
    found: QuietHours | None = session.info.get(QUIET_HOURS_KEY, DEFAULT_QUIET_HOURS)
    return found


async def request_notification(
    *, session: AsyncSession, request: MessageRequest, now: datetime | None = None
) -> uuid.UUID | None:
    """Record the notification (or why it will not be sent); None when it already exists."""
    now = now or datetime.now(UTC)
    prefs = await residents.load(session=session, resident_id=request.resident_id)
    if request.send_to is not None and not (prefs is not None and prefs.erased):
        # Its own address (one the resident has just given): not their details on record.
        prefs = Preferences.of_destination(request.send_to)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "caused_by": request.caused_by,
        "resident_id": request.resident_id,
        "purpose": request.purpose,
        "subject": request.subject,
        "template_name": request.template_name,
        "personalisation": request.personalisation,
        "destination": request.send_to,
        "urgent": request.urgent,
        "attempts": 0,
        "tried_channels": [],
        "history": [],
        "not_before": now,
        "triggered_at": request.triggered_at,
        **trace_context(),
    }
    if prefs is None:
        # The resident's record travels on another topic and may not be here yet: wait for it.
        values.update(status=AWAITING_RESIDENT, detail=request.category)
    else:
        values.update(
            _routing(
                prefs,
                category=request.category,
                urgent=request.urgent,
                now=now,
                quiet=quiet_hours(session),
            )
        )
    dispatcher: ClaimsAtCreation | None = session.info.get(CLAIM_AT_CREATION_KEY)
    if dispatcher is not None and values["status"] == "pending" and values["not_before"] <= now:
        # Due now: claimed in this transaction, handed to its provider as it commits.
        await dispatcher.claim_at_creation(session, values)
    row = (await session.execute(_INSERT_ONCE, values)).mappings().first()
    if row is None:
        return None
    if row["status"] == "sending":
        assert dispatcher is not None and prefs is not None
        await dispatcher.hand_over_after_commit(session, dict(row), prefs)
    elif row["status"] == "pending":
        wake_after_commit(session)
    elif row["status"] == "suppressed":
        count_after_commit(session, channel=None, outcome="suppressed")
    return uuid.UUID(str(row["id"]))


AWAITING_RESIDENT = "awaiting_resident"
TRACESTATE_MAX = 512  # W3C: the length a vendor may cut `tracestate` to


def trace_context() -> dict[str, str | None]:
    """The current W3C trace context (the consumer's span), stored with a notification so the
    provider call the dispatcher makes later joins the same trace."""
    headers = current_trace_headers()
    state = headers["tracestate"]
    return {
        "traceparent": headers["traceparent"],
        "tracestate": state if state and len(state) <= TRACESTATE_MAX else None,
    }


def _routing(
    prefs: Preferences, *, category: Any, urgent: bool, now: datetime, quiet: QuietHours | None
) -> dict[str, Any]:
    """Where a message goes for this resident: their first reachable channel, or nowhere."""
    order = prefs.channel_order()
    if not prefs.wants(category):
        return {"status": "suppressed", "detail": f"opted out of {category}", "completed_at": now}
    if not order:
        return {"status": "suppressed", "detail": "no contact details", "completed_at": now}
    return {
        "status": "pending",
        "channel": order[0],
        "not_before": not_before(order[0], now, urgent=urgent, quiet_hours=quiet),
        "detail": None,
    }


async def release_awaiting(
    *, session: AsyncSession, resident_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Route the messages that were waiting for this resident's record; returns how many."""
    now = now or datetime.now(UTC)
    prefs = await residents.load(session=session, resident_id=resident_id)
    if prefs is None:
        return 0
    waiting = await session.execute(
        sa.select(_notifications.c.id, _notifications.c.detail, _notifications.c.urgent)
        .where(
            _notifications.c.resident_id == resident_id,
            _notifications.c.status == AWAITING_RESIDENT,
        )
        .with_for_update()
    )
    rows = waiting.all()
    for row in rows:
        routing = _routing(
            prefs, category=row.detail, urgent=row.urgent, now=now, quiet=quiet_hours(session)
        )
        if routing.get("detail") == "no contact details":
            continue  # preferences came first; the contact details are still on their way
        await session.execute(
            sa.update(_notifications).where(_notifications.c.id == row.id).values(**routing)
        )
        if routing["status"] == "pending":
            wake_after_commit(session)
        else:
            count_after_commit(session, channel=None, outcome="suppressed")
    return len(rows)


def wake_after_commit(session: AsyncSession) -> None:
    wake = session.info.get(WAKE_KEY)
    if wake is not None and not session.info.get("notify_wake_armed"):
        session.info["notify_wake_armed"] = True
        sa_event.listen(session.sync_session, "after_commit", lambda _s: wake(), once=True)


async def get(*, session: AsyncSession, notification_id: uuid.UUID) -> Any | None:
    result = await session.execute(
        sa.select(_notifications).where(_notifications.c.id == notification_id)
    )
    return result.mappings().first()


async def list_for_resident(*, session: AsyncSession, resident_id: uuid.UUID) -> list[Any]:
    result = await session.execute(
        sa.select(_notifications)
        .where(_notifications.c.resident_id == resident_id)
        .order_by(_notifications.c.created_at)
    )
    return list(result.mappings())
