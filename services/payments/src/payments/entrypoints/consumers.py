"""The payments service's Kafka subscribers (`on_<event>` functions registered on the handlers).

The handlers need the gateway, so `build_handlers` makes them around the service's context.
"""

from __future__ import annotations

from civic_events.cases import CaseClosed, CaseStatusChanged
from civic_events.payments import PaymentRequested
from civic_events.residents import ResidentErased
from civic_runtime.consumers import EventHandlers, PermanentError
from civic_runtime.uow import UnitOfWork

from payments.adapters.gateway import GatewayRejected
from payments.domain.payment import InvalidAmount
from payments.service_layer import erasure, payments, refunds, retries
from payments.service_layer.context import PaymentsContext


def build_handlers(context: PaymentsContext) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(
        PaymentRequested,
        name="payments.entrypoints.consumers.build_handlers.<locals>.on_payment_requested",
    )
    async def on_payment_requested(event: PaymentRequested, uow: UnitOfWork) -> None:
        try:
            await payments.request_payment(uow=uow, context=context, request=event)
        except InvalidAmount as exc:
            raise PermanentError(str(exc)) from exc
        except GatewayRejected as exc:  # 4xx, including 409 (a key reused with another body)
            raise PermanentError(f"the gateway refused the payment: {exc}") from exc

    @handlers.on(
        CaseStatusChanged,
        name="payments.entrypoints.consumers.build_handlers.<locals>.on_case_status_changed",
    )
    async def on_case_status_changed(event: CaseStatusChanged, uow: UnitOfWork) -> None:
        status = context.settings.refund_on_case_status
        if status is not None and event.new_status == status:
            await retries.note_case_closed(
                uow=uow,
                case_reference=event.subject,
                outcome=event.new_status,
                closed_at=event.occurred_at,
            )
            await refunds.refund_case(
                uow=uow, context=context, case_reference=event.subject, reason=event.reason
            )

    @handlers.on(
        CaseClosed,
        name="payments.entrypoints.consumers.build_handlers.<locals>.on_case_closed",
    )
    async def on_case_closed(event: CaseClosed, uow: UnitOfWork) -> None:
        await retries.note_case_closed(
            uow=uow,
            case_reference=event.subject,
            outcome=event.outcome,
            closed_at=event.occurred_at,
        )
        if event.refund_requested:
            await refunds.refund_case(
                uow=uow,
                context=context,
                case_reference=event.subject,
                reason=f"case closed: {event.outcome}",
            )

    @handlers.on(
        ResidentErased,
        name="payments.entrypoints.consumers.build_handlers.<locals>.on_resident_erased",
    )
    async def on_resident_erased(event: ResidentErased, uow: UnitOfWork) -> None:
        await erasure.forget_resident(uow=uow, event=event)

    return handlers
