"""Refund on cancellation, fed exactly what the cases service emits (services/cases, lifecycle).

Cases announces a cancelled booking with, in one transaction and in this order,
`CaseStatusChanged(<status> → cancelled)` then `CaseClosed(outcome="cancelled",
refund_requested=<the case was paid>)`; and when a payment succeeds after the case was cancelled,
another `CaseClosed(refund_requested=True)`. A completed booking ends with
`CaseStatusChanged(booked → collected)`, `CaseStatusChanged(collected → closed)` and
`CaseClosed(outcome="collected", refund_requested=False)`. Payments refunds a paid booking once,
whichever of these arrive and however often; stops an unpaid one; refunds nothing else.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from civic_events.base import Event
from civic_events.payments import PaymentFailed, PaymentRefunded, PaymentRequested, PaymentSucceeded
from payments.adapters import repository
from payments.adapters.tables import Payment
from payments.domain.payment import GatewayState
from payments.entrypoints.consumers import build_handlers
from payments.service_layer import payments, refunds
from payments_factories import closed, status_changed

pytestmark = pytest.mark.integration


async def deliver(use_cases: Any, *events: Event, context: Any = None) -> None:
    """Hand each event to payments' own handler, each in its own transaction, as the consumer does."""
    handlers = build_handlers(context or use_cases.context)
    for event in events:
        registration = handlers.lookup(event.topic.name, event.ce_type)
        assert registration is not None, type(event).__name__
        async with use_cases.unit_of_work() as uow:
            await registration.handler(event, uow)


async def requested(use_cases: Any, request: PaymentRequested) -> Payment:
    await deliver(use_cases, request)
    async with use_cases.unit_of_work() as uow:
        payment = await repository.payment_by_request(uow.session, request.payment_request_id)
    assert payment is not None
    return payment


async def told(use_cases: Any, payment: Payment, status: str) -> None:
    """The gateway's webhook for `payment` arrives."""
    async with use_cases.unit_of_work() as uow:
        held = await repository.payment_for_update(uow.session, id=payment.id)
        assert held is not None
        await payments.apply_gateway_state(
            uow=uow,
            context=use_cases.context,
            payment=held,
            reported=GatewayState(status=status, finished=True),
        )


async def refunds_confirmed(use_cases: Any, payment: Payment) -> None:
    for held in use_cases.gateway.payments[payment.gateway_payment_id].refunds:
        if held.status == "submitted":
            use_cases.gateway.settle_refund(held.refund_id)
    async with use_cases.unit_of_work() as uow:
        locked = await repository.payment_for_update(uow.session, id=payment.id)
        assert locked is not None
        await refunds.settle_refunds(uow=uow, context=use_cases.context, payment=locked)


@pytest.mark.parametrize("on_status", ["cancelled", None], ids=["status-and-closed", "closed-only"])
async def test_a_cancelled_paid_booking_is_refunded_in_full_once(
    use_cases: Any, payment_requested: Any, on_status: str | None
) -> None:
    settings = use_cases.context.settings.model_copy(update={"refund_on_case_status": on_status})
    context = dataclasses.replace(use_cases.context, settings=settings)
    request = payment_requested(amount=4500)
    payment = await requested(use_cases, request)
    use_cases.gateway.set_state(payment.gateway_payment_id, "success")
    await told(use_cases, payment, "success")

    closing = closed(request, "cancelled", refund_requested=True)
    await deliver(
        use_cases,
        status_changed(request, "booked", "cancelled"),
        closing,
        # Announced again with a new id (cases re-announces a refund it still wants).
        closing.model_copy(update={"event_id": uuid.uuid4()}),
        status_changed(request, "booked", "cancelled"),
        context=context,
    )
    held = use_cases.gateway.payments[payment.gateway_payment_id]
    assert [r.amount for r in held.refunds] == [4500]
    assert [(c.amount, c.refund_amount_available) for c in use_cases.gateway.refund_calls] == [
        (4500, 4500)
    ]
    await refunds_confirmed(use_cases, payment)
    [refunded] = use_cases.published(PaymentRefunded)
    assert (refunded.payment_id, refunded.amount) == (payment.gateway_payment_id, 4500)
    assert refunded.payment_request_id == request.payment_request_id
    [(trigger_key, requested_by)] = await use_cases.rows(
        "SELECT trigger_key, requested_by FROM payments_refund"
    )
    assert (trigger_key, requested_by) == (f"case-refund:{payment.id}", "case")


async def test_what_an_officer_already_refunded_is_not_refunded_again(
    use_cases: Any, payment_requested: Any
) -> None:
    request = payment_requested(amount=3000)
    payment = await requested(use_cases, request)
    use_cases.gateway.set_state(payment.gateway_payment_id, "success")
    await told(use_cases, payment, "success")
    async with use_cases.unit_of_work() as uow:
        locked = await repository.payment_for_update(uow.session, id=payment.id)
        assert locked is not None
        await refunds.refund_payment(
            uow=uow,
            context=use_cases.context,
            payment=locked,
            amount=1000,
            reason="damaged item",
            requested_by="officer:o1",
        )
    await deliver(
        use_cases,
        status_changed(request, "booked", "cancelled"),
        closed(request, "cancelled", refund_requested=True),
    )
    held = use_cases.gateway.payments[payment.gateway_payment_id]
    assert [r.amount for r in held.refunds] == [1000, 2000]


async def test_a_booking_cancelled_before_payment_stops_the_payment_and_refunds_nothing(
    use_cases: Any, payment_requested: Any
) -> None:
    request = payment_requested()
    payment = await requested(use_cases, request)
    await deliver(
        use_cases,
        status_changed(request, "awaiting_payment", "cancelled"),
        closed(request, "cancelled", refund_requested=False),
    )
    assert use_cases.gateway.cancelled == [payment.gateway_payment_id]
    [failed] = use_cases.published(PaymentFailed)
    assert (failed.state, failed.failure_code) == ("cancelled", "P0040")
    assert use_cases.gateway.refund_calls == []


async def test_a_booking_paid_while_it_was_cancelled_is_refunded_once(
    use_cases: Any, payment_requested: Any
) -> None:
    request = payment_requested(amount=2000)
    payment = await requested(use_cases, request)
    # The resident pays; the webhook has not arrived when the officer cancels the booking.
    use_cases.gateway.set_state(payment.gateway_payment_id, "success")
    await deliver(
        use_cases,
        status_changed(request, "awaiting_payment", "cancelled"),
        closed(request, "cancelled", refund_requested=False),
    )
    [succeeded] = use_cases.published(PaymentSucceeded)
    assert succeeded.payment_id == payment.gateway_payment_id
    # Cases hears PaymentSucceeded for a cancelled case and asks for the refund.
    await deliver(use_cases, closed(request, "cancelled", refund_requested=True))
    await told(use_cases, payment, "success")  # the late webhook
    assert [r.amount for r in use_cases.gateway.payments[payment.gateway_payment_id].refunds] == [
        2000
    ]
    await refunds_confirmed(use_cases, payment)
    assert len(use_cases.published(PaymentRefunded)) == 1
    assert len(use_cases.published(PaymentSucceeded)) == 1


async def test_a_completed_booking_is_not_refunded(use_cases: Any, payment_requested: Any) -> None:
    request = payment_requested()
    payment = await requested(use_cases, request)
    use_cases.gateway.set_state(payment.gateway_payment_id, "success")
    await told(use_cases, payment, "success")
    await deliver(
        use_cases,
        status_changed(request, "booked", "collected"),
        status_changed(request, "collected", "closed"),
        closed(request, "collected", refund_requested=False),
    )
    assert use_cases.gateway.refund_calls == [] and use_cases.gateway.cancelled == []


async def test_a_cancelled_case_without_payments_asks_nothing_of_the_gateway(
    use_cases: Any, payment_requested: Any
) -> None:
    request = payment_requested(service_code="missed_bin")
    await deliver(
        use_cases,
        status_changed(request, "received", "cancelled"),
        closed(request, "cancelled", refund_requested=False),
    )
    assert use_cases.gateway.created == [] and use_cases.gateway.refund_calls == []
