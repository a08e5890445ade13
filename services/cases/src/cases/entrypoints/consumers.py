"""The cases service's Kafka subscribers (`on_<event>` functions registered on `handlers`).

Each runs in the runtime's transaction with the inbox row, so a redelivered event has no
second effect; one case's events share a key, so they arrive (and apply) in order.
"""

from __future__ import annotations

from civic_events.intake import FormSubmitted
from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded
from civic_events.planning import (
    ApplicationInvalid,
    ApplicationReceived,
    ApplicationValidated,
    ApplicationWithdrawn,
    ConsultationStarted,
    DecisionIssued,
)
from civic_events.waste import BinNotPresented, CollectionCompleted, ReturnVisitScheduled
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork

from cases.domain.backoffice import PLANNING_BACK_OFFICE, WASTE_CONTRACTOR
from cases.service_layer import backoffice, notifications, payments, submissions

handlers = EventHandlers()


@handlers.on(FormSubmitted)
async def on_form_submitted(event: FormSubmitted, uow: UnitOfWork) -> None:
    await submissions.form_submitted(uow, event=event)


@handlers.on(ReturnVisitScheduled)
async def on_return_visit_scheduled(event: ReturnVisitScheduled, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=WASTE_CONTRACTOR)


@handlers.on(CollectionCompleted)
async def on_collection_completed(event: CollectionCompleted, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=WASTE_CONTRACTOR)


@handlers.on(BinNotPresented)
async def on_bin_not_presented(event: BinNotPresented, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=WASTE_CONTRACTOR)


@handlers.on(ApplicationReceived)
async def on_application_received(event: ApplicationReceived, uow: UnitOfWork) -> None:
    await submissions.application_received(uow, event=event)


@handlers.on(ApplicationValidated)
async def on_application_validated(event: ApplicationValidated, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)


@handlers.on(ApplicationInvalid)
async def on_application_invalid(event: ApplicationInvalid, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)


@handlers.on(ConsultationStarted)
async def on_consultation_started(event: ConsultationStarted, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)


@handlers.on(DecisionIssued)
async def on_decision_issued(event: DecisionIssued, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)


@handlers.on(ApplicationWithdrawn)
async def on_application_withdrawn(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
    await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)


@handlers.on(PaymentCreated)
async def on_payment_created(event: PaymentCreated, uow: UnitOfWork) -> None:
    await payments.payment_created(uow, event=event)


@handlers.on(PaymentSucceeded)
async def on_payment_succeeded(event: PaymentSucceeded, uow: UnitOfWork) -> None:
    await payments.payment_succeeded(uow, event=event)


@handlers.on(PaymentFailed)
async def on_payment_failed(event: PaymentFailed, uow: UnitOfWork) -> None:
    await payments.payment_failed(uow, event=event)


@handlers.on(PaymentRefunded)
async def on_payment_refunded(event: PaymentRefunded, uow: UnitOfWork) -> None:
    await payments.payment_refunded(uow, event=event)


@handlers.on(NotificationSent)
async def on_notification_sent(event: NotificationSent, uow: UnitOfWork) -> None:
    await notifications.delivery_reported(uow, event=event)


@handlers.on(NotificationDelivered)
async def on_notification_delivered(event: NotificationDelivered, uow: UnitOfWork) -> None:
    await notifications.delivery_reported(uow, event=event)


@handlers.on(NotificationFailed)
async def on_notification_failed(event: NotificationFailed, uow: UnitOfWork) -> None:
    await notifications.delivery_reported(uow, event=event)
