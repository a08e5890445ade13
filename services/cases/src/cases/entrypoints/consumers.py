"""The cases service's Kafka subscribers (`on_<event>` handlers registered by `build_handlers`).

Each runs in the runtime's transaction with the inbox row, so a redelivered event has no
second effect; one case's events share a key, so they arrive (and apply) in order. What opening
the transaction's cases needs is read once for all its events (`openings`, registered with
`handlers.prepare`). The metrics count what a handler published once its transaction has
committed.

Each handler's `name` is its identity in the inbox: inbox rows already written carry these
names, so changing one would make the events its handler has applied look new.
"""

from __future__ import annotations

from datetime import timedelta

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
from cases.service_layer.context import CasesContext
from cases.service_layer.openings import read_openings


def build_handlers(context: CasesContext) -> EventHandlers:
    handlers = EventHandlers()
    metrics = context.metrics
    hold_for = timedelta(seconds=context.settings.early_update_hold_s)
    openings = handlers.prepare(read_openings)
    begin = metrics.count_when_committed

    @handlers.on(FormSubmitted, name="cases.entrypoints.consumers.on_form_submitted")
    async def on_form_submitted(event: FormSubmitted, uow: UnitOfWork) -> None:
        begin(uow)
        await submissions.form_submitted(
            uow,
            event=event,
            openings=uow.prepared(openings),
            sla=context.sla_clock,
            work_orders=context.work_orders_enabled,
        )

    @handlers.on(ReturnVisitScheduled, name="cases.entrypoints.consumers.on_return_visit_scheduled")
    async def on_return_visit_scheduled(event: ReturnVisitScheduled, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(
            uow,
            event=event,
            system=WASTE_CONTRACTOR,
            hold_for=hold_for,
            openings=uow.prepared(openings),
        )

    @handlers.on(CollectionCompleted, name="cases.entrypoints.consumers.on_collection_completed")
    async def on_collection_completed(event: CollectionCompleted, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(
            uow,
            event=event,
            system=WASTE_CONTRACTOR,
            hold_for=hold_for,
            openings=uow.prepared(openings),
        )

    @handlers.on(BinNotPresented, name="cases.entrypoints.consumers.on_bin_not_presented")
    async def on_bin_not_presented(event: BinNotPresented, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(
            uow,
            event=event,
            system=WASTE_CONTRACTOR,
            hold_for=hold_for,
            openings=uow.prepared(openings),
        )

    @handlers.on(ApplicationReceived, name="cases.entrypoints.consumers.on_application_received")
    async def on_application_received(event: ApplicationReceived, uow: UnitOfWork) -> None:
        begin(uow)
        await submissions.application_received(uow, event=event)

    @handlers.on(ApplicationValidated, name="cases.entrypoints.consumers.on_application_validated")
    async def on_application_validated(event: ApplicationValidated, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    @handlers.on(ApplicationInvalid, name="cases.entrypoints.consumers.on_application_invalid")
    async def on_application_invalid(event: ApplicationInvalid, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    @handlers.on(ConsultationStarted, name="cases.entrypoints.consumers.on_consultation_started")
    async def on_consultation_started(event: ConsultationStarted, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    @handlers.on(DecisionIssued, name="cases.entrypoints.consumers.on_decision_issued")
    async def on_decision_issued(event: DecisionIssued, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    @handlers.on(ApplicationWithdrawn, name="cases.entrypoints.consumers.on_application_withdrawn")
    async def on_application_withdrawn(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    @handlers.on(PaymentCreated, name="cases.entrypoints.consumers.on_payment_created")
    async def on_payment_created(event: PaymentCreated, uow: UnitOfWork) -> None:
        begin(uow)
        await payments.payment_created(uow, event=event)

    @handlers.on(PaymentSucceeded, name="cases.entrypoints.consumers.on_payment_succeeded")
    async def on_payment_succeeded(event: PaymentSucceeded, uow: UnitOfWork) -> None:
        begin(uow)
        await payments.payment_succeeded(uow, event=event)

    @handlers.on(PaymentFailed, name="cases.entrypoints.consumers.on_payment_failed")
    async def on_payment_failed(event: PaymentFailed, uow: UnitOfWork) -> None:
        begin(uow)
        await payments.payment_failed(uow, event=event)

    @handlers.on(PaymentRefunded, name="cases.entrypoints.consumers.on_payment_refunded")
    async def on_payment_refunded(event: PaymentRefunded, uow: UnitOfWork) -> None:
        begin(uow)
        await payments.payment_refunded(uow, event=event)

    @handlers.on(NotificationSent, name="cases.entrypoints.consumers.on_notification_sent")
    async def on_notification_sent(event: NotificationSent, uow: UnitOfWork) -> None:
        begin(uow)
        await notifications.delivery_reported(uow, event=event)

    @handlers.on(
        NotificationDelivered, name="cases.entrypoints.consumers.on_notification_delivered"
    )
    async def on_notification_delivered(event: NotificationDelivered, uow: UnitOfWork) -> None:
        begin(uow)
        await notifications.delivery_reported(uow, event=event)

    @handlers.on(NotificationFailed, name="cases.entrypoints.consumers.on_notification_failed")
    async def on_notification_failed(event: NotificationFailed, uow: UnitOfWork) -> None:
        begin(uow)
        await notifications.delivery_reported(uow, event=event)

    return handlers
