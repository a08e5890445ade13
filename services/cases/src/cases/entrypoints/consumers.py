"""The cases service's Kafka subscribers (`on_<event>` handlers registered by `build_handlers`).

Each runs in the runtime's transaction with the inbox row, so a redelivered event has no
second effect; one case's events share a key, so they arrive (and apply) in order. What opening
the transaction's cases needs is read once for all its events (`openings`, registered with
`handlers.prepare`). The metrics count what a handler published once its transaction has
committed.

Each handler's `name` is its identity in the inbox (one per event type, even where event types
share a function): inbox rows already written carry these names, so changing one would make the
events its handler has applied look new.
"""

from __future__ import annotations

from datetime import timedelta

from civic_events.base import Event
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
            links=context.confirmation_links,
            work_orders=context.work_orders_enabled,
        )

    # The contractor's updates: an update for a case not open yet is held until it opens.
    async def on_waste_update(event: Event, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(
            uow,
            event=event,
            system=WASTE_CONTRACTOR,
            hold_for=hold_for,
            openings=uow.prepared(openings),
        )

    for waste_event, name in (
        (ReturnVisitScheduled, "on_return_visit_scheduled"),
        (CollectionCompleted, "on_collection_completed"),
        (BinNotPresented, "on_bin_not_presented"),
    ):
        handlers.on(waste_event, name=f"cases.entrypoints.consumers.{name}")(on_waste_update)

    @handlers.on(ApplicationReceived, name="cases.entrypoints.consumers.on_application_received")
    async def on_application_received(event: ApplicationReceived, uow: UnitOfWork) -> None:
        begin(uow)
        await submissions.application_received(uow, event=event)

    async def on_planning_update(event: Event, uow: UnitOfWork) -> None:
        begin(uow)
        await backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    for planning_event, name in (
        (ApplicationValidated, "on_application_validated"),
        (ApplicationInvalid, "on_application_invalid"),
        (ConsultationStarted, "on_consultation_started"),
        (DecisionIssued, "on_decision_issued"),
        (ApplicationWithdrawn, "on_application_withdrawn"),
    ):
        handlers.on(planning_event, name=f"cases.entrypoints.consumers.{name}")(on_planning_update)

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

    async def on_delivery_reported(
        event: NotificationSent | NotificationDelivered | NotificationFailed, uow: UnitOfWork
    ) -> None:
        begin(uow)
        await notifications.delivery_reported(uow, event=event)

    for delivery_event, name in (
        (NotificationSent, "on_notification_sent"),
        (NotificationDelivered, "on_notification_delivered"),
        (NotificationFailed, "on_notification_failed"),
    ):
        handlers.on(delivery_event, name=f"cases.entrypoints.consumers.{name}")(
            on_delivery_reported
        )

    return handlers
