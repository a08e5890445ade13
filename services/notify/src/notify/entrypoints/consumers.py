"""The notify service's Kafka subscribers (`on_<event>` functions registered on `handlers`).

Each runs in the runtime's transaction with the inbox entry, so a redelivered event changes
nothing; the unique (event, resident, purpose) key makes a second notification impossible even so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.payments import PaymentCreated, PaymentFailed
from civic_events.planning import ConsultationStarted
from civic_events.residents import (
    ContactChangeRequested,
    ContactPreferencesChanged,
    ResidentErased,
    ResidentUpserted,
)
from civic_events.waste import ServiceDisruption
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork

from notify.adapters import residents
from notify.domain import purposes
from notify.service_layer import broadcasts, planning_alerts, preferences
from notify.service_layer.notifications import request_notification

handlers = EventHandlers()


@handlers.on(ResidentUpserted, name="notify.entrypoints.consumers.on_resident_upserted")
async def on_resident_upserted(event: ResidentUpserted, uow: UnitOfWork) -> None:
    await preferences.record_resident(session=uow.session, event=event)


@handlers.on(
    ContactPreferencesChanged,
    name="notify.entrypoints.consumers.on_contact_preferences_changed",
)
async def on_contact_preferences_changed(event: ContactPreferencesChanged, uow: UnitOfWork) -> None:
    await preferences.record_preferences(session=uow.session, event=event)


@handlers.on(ResidentErased, name="notify.entrypoints.consumers.on_resident_erased")
async def on_resident_erased(event: ResidentErased, uow: UnitOfWork) -> None:
    await preferences.erase_resident(session=uow.session, event=event)


@handlers.on(
    ContactChangeRequested, name="notify.entrypoints.consumers.on_contact_change_requested"
)
async def on_contact_change_requested(event: ContactChangeRequested, uow: UnitOfWork) -> None:
    await request_notification(
        session=uow.session, request=purposes.contact_change(event, event.resident_id)
    )


def _told_of(event: CaseOpened | CaseStatusChanged | CaseClosed) -> list[UUID]:
    """The resident and the others told of a case change (e.g. a planning agent), each once."""
    ids = [event.resident_id] if event.resident_id is not None else []
    return list(dict.fromkeys([*ids, *event.other_resident_ids]))


async def _tell(
    uow: UnitOfWork,
    event: CaseOpened | CaseStatusChanged | CaseClosed,
    request: Callable[[Any, UUID], purposes.MessageRequest],
) -> None:
    # Each is told by their own channel and choices; one notification per (event, resident,
    # purpose), so the same person named twice, or the event delivered twice, tells them once.
    for resident_id in _told_of(event):
        await request_notification(session=uow.session, request=request(event, resident_id))


@handlers.on(CaseOpened, name="notify.entrypoints.consumers.on_case_opened")
async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
    # Who has a case of which type: which officers' teams may see them through our API.
    await residents.record_case_type(
        session=uow.session, resident_ids=_told_of(event), case_type=event.case_type
    )
    await _tell(uow, event, purposes.case_opened)


# A failed payment is told by the reminder on PaymentFailed, which says why and how to pay again;
# the case's move to `payment_failed` that the same failure causes would be a second message.
TOLD_BY_PAYMENT_REMINDER = "payment_failed"


@handlers.on(CaseStatusChanged, name="notify.entrypoints.consumers.on_case_status_changed")
async def on_case_status_changed(event: CaseStatusChanged, uow: UnitOfWork) -> None:
    if event.new_status == TOLD_BY_PAYMENT_REMINDER:
        return
    if event.notify_resident:
        await _tell(uow, event, purposes.case_status_changed)


@handlers.on(CaseClosed, name="notify.entrypoints.consumers.on_case_closed")
async def on_case_closed(event: CaseClosed, uow: UnitOfWork) -> None:
    if event.notify_resident:
        await _tell(uow, event, purposes.case_closed)


@handlers.on(PaymentCreated, name="notify.entrypoints.consumers.on_payment_created")
async def on_payment_created(event: PaymentCreated, uow: UnitOfWork) -> None:
    if event.resident_id is not None:
        await request_notification(
            session=uow.session, request=purposes.payment_link(event, event.resident_id)
        )


@handlers.on(PaymentFailed, name="notify.entrypoints.consumers.on_payment_failed")
async def on_payment_failed(event: PaymentFailed, uow: UnitOfWork) -> None:
    if event.resident_id is None:
        return
    request = purposes.payment_failed(event, event.resident_id)
    if request is not None:
        await request_notification(session=uow.session, request=request)


@handlers.on(ConsultationStarted, name="notify.entrypoints.consumers.on_consultation_started")
async def on_consultation_started(event: ConsultationStarted, uow: UnitOfWork) -> None:
    await planning_alerts.alert_neighbours(session=uow.session, event=event)


@handlers.on(ServiceDisruption, name="notify.entrypoints.consumers.on_service_disruption")
async def on_service_disruption(event: ServiceDisruption, uow: UnitOfWork) -> None:
    if event.status != "resolved":
        await broadcasts.start_broadcast(session=uow.session, event=event)
