"""The cases service's Kafka subscribers (`on_<event>` handlers registered by `build_handlers`).

Each runs in the runtime's transaction with the inbox row, so a redelivered event has no
second effect; one case's events share a key, so they arrive (and apply) in order. The
metrics count what a handler published once its transaction has committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

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
from cases.service_layer import backoffice, notifications, payments, prepared, submissions
from cases.service_layer.context import CasesContext

Apply = Callable[[UnitOfWork, Any], Awaitable[None]]


def build_handlers(context: CasesContext) -> EventHandlers:
    handlers = EventHandlers()
    metrics = context.metrics

    def handler(name: str, apply: Apply) -> Callable[[Any, UnitOfWork], Awaitable[None]]:
        async def handle(event: Any, uow: UnitOfWork) -> None:
            metrics.count_when_committed(uow)
            if not isinstance(event, FormSubmitted):
                # Cases opened earlier in a batch and not written yet: this event may read them.
                await prepared.write_pending(uow.session)
            await apply(uow, event)

        # The runtime's inbox knows a handler by module and name: keep them stable, so that an
        # event applied before a deployment is still recognised as applied after it.
        handle.__name__ = handle.__qualname__ = name
        return handle

    hold_for = timedelta(seconds=context.settings.early_update_hold_s)

    def waste(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return backoffice.backoffice_update(
            uow, event=event, system=WASTE_CONTRACTOR, hold_for=hold_for
        )

    def planning(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return backoffice.backoffice_update(uow, event=event, system=PLANNING_BACK_OFFICE)

    def form_submitted(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return submissions.form_submitted(
            uow,
            event=event,
            sla=context.sla_clock,
            work_orders=context.work_orders_enabled,
        )

    def application_received(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return submissions.application_received(uow, event=event)

    def payment_created(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return payments.payment_created(uow, event=event)

    def payment_succeeded(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return payments.payment_succeeded(uow, event=event)

    def payment_failed(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return payments.payment_failed(uow, event=event)

    def payment_refunded(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return payments.payment_refunded(uow, event=event)

    def delivery_reported(uow: UnitOfWork, event: Any) -> Awaitable[None]:
        return notifications.delivery_reported(uow, event=event)

    registrations: list[tuple[type[Any], str, Apply]] = [
        (FormSubmitted, "on_form_submitted", form_submitted),
        (ReturnVisitScheduled, "on_return_visit_scheduled", waste),
        (CollectionCompleted, "on_collection_completed", waste),
        (BinNotPresented, "on_bin_not_presented", waste),
        (ApplicationReceived, "on_application_received", application_received),
        (ApplicationValidated, "on_application_validated", planning),
        (ApplicationInvalid, "on_application_invalid", planning),
        (ConsultationStarted, "on_consultation_started", planning),
        (DecisionIssued, "on_decision_issued", planning),
        (ApplicationWithdrawn, "on_application_withdrawn", planning),
        (PaymentCreated, "on_payment_created", payment_created),
        (PaymentSucceeded, "on_payment_succeeded", payment_succeeded),
        (PaymentFailed, "on_payment_failed", payment_failed),
        (PaymentRefunded, "on_payment_refunded", payment_refunded),
        (NotificationSent, "on_notification_sent", delivery_reported),
        (NotificationDelivered, "on_notification_delivered", delivery_reported),
        (NotificationFailed, "on_notification_failed", delivery_reported),
    ]
    for event_type, name, apply in registrations:
        handlers.on(event_type)(handler(name, apply))
    # A batch's submissions: their locks and reads made once, before the first is applied; the
    # plain new cases written together after the last.
    handlers.before_batch(prepared.prepare_submissions)
    handlers.after_batch(prepared.write_pending)
    return handlers
