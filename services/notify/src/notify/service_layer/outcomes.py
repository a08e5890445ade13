"""What happened to a message once a provider had it, or could not take it: its state, its event
on `notify.delivery.v1`, its count. Shared by the dispatcher and the delivery receipts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from civic_runtime.uow import UnitOfWork

from notify.adapters import delivery_states, residents
from notify.adapters.metrics import count_after_commit
from notify.adapters.providers.base import ProviderReceipt
from notify.adapters.tracing import stored_span_context, within
from notify.domain.fallback import fall_back as next_step
from notify.service_layer.notifications import quiet_hours, wake_after_commit

SOURCE = "notify"

FINAL = frozenset(
    {
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "cancelled",
        "suppressed",
    }
)


async def record_sent(
    uow: UnitOfWork,
    current: Mapping[str, Any],
    receipt: ProviderReceipt,
    *,
    template_version: int | None,
    now: datetime,
) -> None:
    if current["status"] != "sending":
        return
    await delivery_states.mark_sent(
        session=uow.session,
        current=current,
        provider_reference=receipt.provider_reference,
        template_version=template_version,
        now=now,
    )
    with within(stored_span_context(current)):
        await uow.stage(sent_event(current, receipt, template_version))
    count_sent(uow, current, accepted_at=now)


def count_sent(uow: UnitOfWork, current: Mapping[str, Any], *, accepted_at: datetime) -> None:
    count_after_commit(
        uow.session,
        channel=current["channel"],
        outcome="sent",
        triggered_at=current["triggered_at"] or current["created_at"],
        accepted_at=accepted_at,
    )


def sent_event(
    current: Mapping[str, Any], receipt: ProviderReceipt, template_version: int | None
) -> NotificationSent:
    return NotificationSent(
        source=SOURCE,
        subject=current["subject"],
        notification_id=current["id"],
        resident_id=current["resident_id"],
        channel=current["channel"],
        template_id=current["template_name"],
        template_version=template_version or current["template_version"] or 1,
        provider=current["provider"],
        provider_reference=receipt.provider_reference,
        broadcast_id=current["broadcast_id"],
        caused_by=current["caused_by"],
    )


def _failed_event(current: Mapping[str, Any], *, failure: str, detail: str) -> NotificationFailed:
    return NotificationFailed(
        source=SOURCE,
        subject=current["subject"],
        notification_id=current["id"],
        resident_id=current["resident_id"],
        channel=current["channel"],
        failure=failure,
        provider_reference=current["provider_reference"],
        detail=detail[:500],
    )


async def fall_back(
    uow: UnitOfWork, current: Mapping[str, Any], *, detail: str, now: datetime
) -> None:
    """This channel cannot reach the resident: say so, and try their next channel, if any."""
    await uow.stage(_failed_event(current, failure="permanent-failure", detail=detail))
    prefs = await residents.load(session=uow.session, resident_id=current["resident_id"])
    fallback = next_step(
        prefs,
        tried_channels=current["tried_channels"],
        channel=current["channel"],
        urgent=current["urgent"],
        now=now,
        quiet_hours=quiet_hours(uow.session),
    )
    await delivery_states.mark_fallen_back(
        session=uow.session, current=current, fallback=fallback, detail=detail, now=now
    )
    count_after_commit(
        uow.session,
        channel=current["channel"],
        outcome="failed" if fallback.channel is None else "fallback",
    )
    if fallback.channel is not None:
        wake_after_commit(uow.session)


async def finish_failed(
    uow: UnitOfWork,
    current: Mapping[str, Any],
    *,
    failure: str,
    detail: str,
    now: datetime,
    publish: bool = True,
    recipient_limited: bool = False,
) -> None:
    await delivery_states.mark_ended(
        session=uow.session,
        current=current,
        status=failure if publish else "cancelled",
        failure=failure,
        detail=detail,
        now=now,
    )
    if publish:
        count_after_commit(
            uow.session,
            channel=current["channel"],
            outcome="failed",
            recipient_limited=recipient_limited,
        )
        await uow.stage(_failed_event(current, failure=failure, detail=detail))


async def apply_provider_status(
    uow: UnitOfWork,
    *,
    notification_id: uuid.UUID,
    status: str,
    now: datetime,
    provider_reference: str | None = None,
) -> str | None:
    """A provider's word on a message (a receipt or a poll): move its state, announce it.
    Returns the new status, or None when nothing changed."""
    current = await delivery_states.lock(session=uow.session, notification_id=notification_id)
    if current is None or current["status"] in FINAL or current["status"] == "pending":
        return None
    if current["status"] == "sending":
        # The receipt overtook our own record of the hand-over: the provider has it.
        await record_sent(
            uow,
            current,
            ProviderReceipt(provider_reference or current["provider_reference"]),
            template_version=current["template_version"],
            now=now,
        )
        current = await delivery_states.get(session=uow.session, notification_id=notification_id)
        assert current is not None
    if status == "delivered":
        await delivery_states.mark_delivered(session=uow.session, current=current, now=now)
        await uow.stage(
            NotificationDelivered(
                source=SOURCE,
                subject=current["subject"],
                notification_id=notification_id,
                resident_id=current["resident_id"],
                channel=current["channel"],
                provider_reference=current["provider_reference"],
            )
        )
        count_after_commit(uow.session, channel=current["channel"], outcome="delivered")
        return "delivered"
    if status == "permanent-failure":
        await fall_back(uow, current, detail="the provider reported a permanent failure", now=now)
        return "permanent-failure"
    if status in ("temporary-failure", "technical-failure"):
        await finish_failed(
            uow, current, failure=status, detail=f"the provider reported a {status}", now=now
        )
        return status
    return None  # created, sending, pending, sent: nothing new
