"""Payments' outcomes move paid cases through the payment gate; every step is on the timeline."""

from __future__ import annotations

from typing import TypeAlias

from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case
from cases.domain.machines import TransitionRefused
from cases.service_layer.lifecycle import case_closed, move_case, others_to_tell, record_ignored

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


async def _ignore(uow: UnitOfWork, case: Case, event: PaymentEvent, reason: str) -> None:
    await record_ignored(
        uow, case=case, reason=reason, occurred_at=event.occurred_at, event_id=event.event_id
    )


async def _move_or_ignore(
    uow: UnitOfWork, case: Case, event: PaymentEvent, *, target: str, reason: str
) -> None:
    """Move the case as the payment's outcome says; an outcome that does not fit the case's
    state is noted on the timeline instead (payments cannot be told no)."""
    try:
        await move_case(
            uow,
            case=case,
            target=target,
            reason=reason,
            changed_by="payments",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
        )
    except TransitionRefused as refused:
        await _ignore(uow, case, event, f"payments: {type(event).__name__} does not fit: {refused}")


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
        await _ignore(
            uow, case, event, "payment for an earlier request: an officer should refund it"
        )
        return
    case.paid = True
    if case.closed_at is not None and case.status == "cancelled":
        # Paid after the booking was cancelled: the money goes back.
        await uow.stage(
            case_closed(
                case,
                outcome=case.outcome or "cancelled",
                refund_requested=True,
                triggered_at=event.occurred_at,
                other_resident_ids=await others_to_tell(uow, case=case),
            )
        )
        await _ignore(uow, case, event, "paid after cancellation: refund requested")
        return
    await _move_or_ignore(uow, case, event, target="booked", reason="payment received")


async def payment_failed(uow: UnitOfWork, *, event: PaymentFailed) -> None:
    case = await _case_for(uow, event)
    if case is None:
        return
    await _record(uow, case, event, f"Payment {event.state} ({event.failure_code})")
    if case.payment_request_id != event.payment_request_id or case.paid:
        await _ignore(uow, case, event, "payment failure for a request no longer open")
        return
    await _move_or_ignore(
        uow,
        case,
        event,
        target="payment_failed",
        reason=f"payment {event.state} ({event.failure_code})",
    )
