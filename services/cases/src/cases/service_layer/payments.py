"""Payments' outcomes move paid cases through the payment gate; every step is on the timeline."""

from __future__ import annotations

from typing import TypeAlias

from civic_events.cases import CaseClosed
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case
from cases.domain.machines import TransitionRefused
from cases.service_layer.lifecycle import SOURCE, move_case, others_to_tell, record_ignored

PaymentEvent: TypeAlias = PaymentCreated | PaymentSucceeded | PaymentFailed | PaymentRefunded


async def _case_for(uow: UnitOfWork, event: PaymentEvent) -> Case | None:
    case = await repository.case_by_payment_request(
        uow.session, payment_request_id=event.payment_request_id
    )
    if case is None:
        case = await repository.case_by_reference(uow.session, reference=event.subject)
    return case


async def _record(uow: UnitOfWork, case: Case, event: PaymentEvent, summary: str) -> None:
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=event.occurred_at,
        kind="payment",
        summary=summary,
        detail={
            "payment_request_id": str(event.payment_request_id),
            "payment_id": event.payment_id,
            "event": type(event).__name__,
        },
        event_id=event.event_id,
    )


async def payment_created(uow: UnitOfWork, *, event: PaymentCreated) -> None:
    case = await _case_for(uow, event)
    if case is None:
        return
    await _record(uow, case, event, f"Payment link created (£{event.amount / 100:.2f})")
    retrying = (
        case.status == "payment_failed"
        and case.payment_request_id == event.payment_request_id
        and not case.paid
    )
    if retrying:
        # The resident is trying again (a new payment for the same request): the booking waits
        # for that payment, so a second decline is told like the first.
        await move_case(
            uow,
            case=case,
            target="awaiting_payment",
            reason="the resident is paying again",
            changed_by="payments",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
            request_payment=False,
        )


async def payment_refunded(uow: UnitOfWork, *, event: PaymentRefunded) -> None:
    case = await _case_for(uow, event)
    if case is not None:
        await _record(uow, case, event, f"£{event.amount / 100:.2f} refunded")


async def payment_succeeded(uow: UnitOfWork, *, event: PaymentSucceeded) -> None:
    case = await _case_for(uow, event)
    if case is None:
        return
    await _record(uow, case, event, f"£{event.amount / 100:.2f} paid")
    if case.payment_request_id != event.payment_request_id:
        await record_ignored(
            uow,
            case=case,
            reason="payment for an earlier request: an officer should refund it",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
        return
    case.paid = True
    if case.closed_at is not None and case.status == "cancelled":
        # Paid after the booking was cancelled: the money goes back.
        await uow.publish(
            CaseClosed(
                source=SOURCE,
                subject=case.reference,
                case_id=case.id,
                case_type=case.case_type,
                resident_id=case.resident_id,
                outcome=case.outcome or "cancelled",
                refund_requested=True,
                notify_resident=False,
                triggered_at=event.occurred_at,
                other_resident_ids=await others_to_tell(uow, case=case),
            )
        )
        await record_ignored(
            uow,
            case=case,
            reason="paid after cancellation: refund requested",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
        return
    try:
        await move_case(
            uow,
            case=case,
            target="booked",
            reason="payment received",
            changed_by="payments",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
    except TransitionRefused as refused:
        await record_ignored(
            uow,
            case=case,
            reason=f"payments: PaymentSucceeded does not fit: {refused}",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )


async def payment_failed(uow: UnitOfWork, *, event: PaymentFailed) -> None:
    case = await _case_for(uow, event)
    if case is None:
        return
    await _record(uow, case, event, f"Payment {event.state} ({event.failure_code})")
    if case.payment_request_id != event.payment_request_id or case.paid:
        await record_ignored(
            uow,
            case=case,
            reason="payment failure for a request no longer open",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
        return
    try:
        await move_case(
            uow,
            case=case,
            target="payment_failed",
            reason=f"payment {event.state} ({event.failure_code})",
            changed_by="payments",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
    except TransitionRefused as refused:
        await record_ignored(
            uow,
            case=case,
            reason=f"payments: PaymentFailed does not fit: {refused}",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
