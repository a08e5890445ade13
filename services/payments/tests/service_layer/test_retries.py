""" "Try again" after a failed payment, with the in-memory gateway and a real, migrated database.

A retry is a new payment for the same request (its events carry the request id cases holds),
made only while the request is open and only once per failed payment, whoever clicks how often.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from civic_events.cases import CaseClosed
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRequested, PaymentSucceeded
from payments.adapters import repository
from payments.adapters.gateway import GatewayUnavailable
from payments.adapters.tables import Payment
from payments.domain.payment import FINAL, GatewayState
from payments.entrypoints.consumers import build_handlers
from payments.service_layer import payments, refunds, retries
from payments.service_layer.retries import RetryAnswer
from payments_factories import closed

pytestmark = pytest.mark.integration


async def request(use_cases: Any, event: PaymentRequested) -> Payment:
    async with use_cases.unit_of_work() as uow:
        payment = await payments.request_payment(uow=uow, context=use_cases.context, request=event)
    assert payment is not None
    return payment


async def ends(use_cases: Any, payment: Payment, status: str, code: str | None = None) -> None:
    """The resident's card is declined (or paid) at Pay, and Pay's webhook arrives."""
    use_cases.gateway.set_state(payment.gateway_payment_id, status, code)
    async with use_cases.unit_of_work() as uow:
        held = await repository.payment_for_update(uow.session, id=payment.id)
        assert held is not None
        state = GatewayState(status=status, finished=status in FINAL, code=code)
        assert await payments.apply_gateway_state(
            uow=uow, context=use_cases.context, payment=held, reported=state
        )


async def retry(use_cases: Any, payment: Payment | str) -> RetryAnswer | None:
    token = payment if isinstance(payment, str) else payment.return_token
    async with use_cases.unit_of_work() as uow:
        return await retries.retry_payment(uow=uow, context=use_cases.context, return_token=token)


async def may_retry(use_cases: Any, payment: Payment) -> bool:
    async with use_cases.unit_of_work() as uow:
        held = await repository.payment_for_update(uow.session, id=payment.id)
        assert held is not None
        return await retries.may_retry(uow.session, payment=held)


async def declined(use_cases: Any, event: PaymentRequested) -> Payment:
    payment = await request(use_cases, event)
    await ends(use_cases, payment, "failed", "P0010")
    return payment


async def test_declined_then_retried_then_paid_is_one_success_for_the_open_request(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested(amount=4500)
    first = await declined(use_cases, event)
    assert await may_retry(use_cases, first)

    answer = await retry(use_cases, first)
    assert answer is not None and answer.action == "pay"
    second = answer.payment
    assert second.gateway_payment_id != first.gateway_payment_id
    assert (second.retry_of, second.amount, second.status) == (first.id, 4500, "created")
    assert second.next_url is not None and second.return_token != first.return_token
    made = use_cases.gateway.created[-1]
    assert made.idempotency_key == f"retry:{first.gateway_payment_id}"
    assert made.metadata["retry_of"] == first.gateway_payment_id
    assert made.metadata["payment_request_id"] == str(event.payment_request_id)
    assert made.return_url.endswith(f"/payments/return/{second.return_token}")

    links = use_cases.published(PaymentCreated)
    assert [link.payment_id for link in links] == [
        first.gateway_payment_id,
        second.gateway_payment_id,
    ]
    # The new link answers the request cases holds, so cases records it and notify sends it.
    assert links[1].payment_request_id == event.payment_request_id
    assert str(links[1].next_url) == second.next_url and links[1].subject == event.subject

    await ends(use_cases, second, "success")
    [succeeded] = use_cases.published(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.payment_request_id) == (
        second.gateway_payment_id,
        event.payment_request_id,
    )
    [failed] = use_cases.published(PaymentFailed)
    assert failed.payment_id == first.gateway_payment_id
    assert not await may_retry(use_cases, first)


async def test_a_double_click_makes_one_new_payment(use_cases: Any, payment_requested: Any) -> None:
    first = await declined(use_cases, payment_requested())
    answers = await asyncio.gather(*(retry(use_cases, first) for _ in range(3)))
    assert all(a is not None and a.action == "pay" for a in answers)
    assert len({a.payment.id for a in answers if a is not None}) == 1
    again = await retry(use_cases, first)  # and once more, later
    assert again is not None and again.payment.id == answers[0].payment.id  # type: ignore[union-attr]
    assert len(use_cases.gateway.payments) == 2
    assert len(use_cases.published(PaymentCreated)) == 2
    rows = await use_cases.rows("SELECT count(*) FROM payments_payment")
    assert rows[0][0] == 2


async def test_a_retry_the_database_lost_is_the_same_payment_at_the_gateway(
    use_cases: Any, payment_requested: Any
) -> None:
    first = await declined(use_cases, payment_requested())
    with pytest.raises(RuntimeError):
        async with use_cases.unit_of_work() as uow:
            await retries.retry_payment(
                uow=uow, context=use_cases.context, return_token=first.return_token
            )
            raise RuntimeError("the transaction fails after the gateway made the payment")
    assert len(use_cases.gateway.payments) == 2
    answer = await retry(use_cases, first)
    assert answer is not None and answer.action == "pay"
    assert len(use_cases.gateway.payments) == 2  # the same key and body: Pay's same payment
    assert len(use_cases.gateway.created) == 3
    assert use_cases.gateway.created[1] == use_cases.gateway.created[2]
    [link] = [
        e for e in use_cases.published(PaymentCreated) if e.payment_id != first.gateway_payment_id
    ]
    assert link.payment_id == answer.payment.gateway_payment_id


async def test_no_retry_once_paid(use_cases: Any, payment_requested: Any) -> None:
    event = payment_requested()
    first = await declined(use_cases, event)
    answer = await retry(use_cases, first)
    assert answer is not None
    await ends(use_cases, answer.payment, "success")
    created = len(use_cases.gateway.created)

    after = await retry(use_cases, first)  # the old tab's button
    assert after is not None and after.action == "outcome"
    assert after.payment.id == answer.payment.id and after.payment.status == "success"
    after_success = await retry(use_cases, answer.payment)
    assert after_success is not None and after_success.action == "outcome"
    assert len(use_cases.gateway.created) == created
    assert len(use_cases.published(PaymentSucceeded)) == 1


async def test_a_live_payment_is_offered_instead_of_a_new_one(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await request(use_cases, payment_requested())
    answer = await retry(use_cases, payment)  # a retry posted from a page still being paid
    assert answer is not None and (answer.action, answer.payment.id) == ("pay", payment.id)
    assert len(use_cases.gateway.created) == 1


async def test_a_decline_not_yet_reported_is_asked_of_the_gateway(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await request(use_cases, payment_requested())
    use_cases.gateway.set_state(payment.gateway_payment_id, "failed", "P0010")  # webhook not in
    answer = await retry(use_cases, payment)
    assert answer is not None and answer.action == "pay" and answer.payment.id != payment.id
    [failed] = use_cases.published(PaymentFailed)
    assert failed.payment_id == payment.gateway_payment_id


async def test_an_old_tab_retries_the_latest_failure(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested()
    first = await declined(use_cases, event)
    second = await retry(use_cases, first)
    assert second is not None
    await ends(use_cases, second.payment, "failed", "P0020")  # the new link expired too
    third = await retry(use_cases, first)  # from the first payment's page, still open
    assert third is not None and third.action == "pay"
    assert third.payment.retry_of == second.payment.id
    assert use_cases.gateway.created[-1].idempotency_key == (
        f"retry:{second.payment.gateway_payment_id}"
    )
    links = use_cases.published(PaymentCreated)
    assert [link.payment_request_id for link in links] == [event.payment_request_id] * 3


@pytest.mark.parametrize("code", ["P0010", "P0020", "P0030", "P0050"])
async def test_each_kind_of_failure_may_be_retried(
    use_cases: Any, payment_requested: Any, code: str
) -> None:
    payment = await request(use_cases, payment_requested())
    await ends(use_cases, payment, "error" if code == "P0050" else "failed", code)
    assert await may_retry(use_cases, payment)
    answer = await retry(use_cases, payment)
    assert answer is not None and answer.action == "pay"


async def test_no_retry_for_a_closed_case_or_a_payment_the_council_stopped(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested()
    failed = await declined(use_cases, event)
    handlers = build_handlers(use_cases.context)
    registration = handlers.lookup(CaseClosed.topic.name, CaseClosed.ce_type)
    assert registration is not None
    closing = closed(event, refund_requested=False)
    async with use_cases.unit_of_work() as uow:
        await registration.handler(closing, uow)
    assert not await may_retry(use_cases, failed)
    answer = await retry(use_cases, failed)
    assert answer is not None and (answer.action, answer.payment.id) == ("outcome", failed.id)
    assert len(use_cases.gateway.created) == 1

    # Another case: its unpaid payment cancelled by the service (P0040) when it was cancelled.
    other = payment_requested()
    stopped = await request(use_cases, other)
    async with use_cases.unit_of_work() as uow:
        await refunds.refund_case(
            uow=uow, context=use_cases.context, case_reference=other.subject, reason="cancelled"
        )
    assert use_cases.gateway.cancelled == [stopped.gateway_payment_id]
    assert not await may_retry(use_cases, stopped)
    answer = await retry(use_cases, stopped)
    assert answer is not None and answer.action == "outcome"
    assert len(use_cases.gateway.created) == 2


async def test_a_retry_the_gateway_cannot_make_stores_nothing(
    use_cases: Any, payment_requested: Any
) -> None:
    first = await declined(use_cases, payment_requested())
    use_cases.gateway.unavailable = True
    with pytest.raises(GatewayUnavailable):
        await retry(use_cases, first)
    rows = await use_cases.rows("SELECT count(*) FROM payments_payment")
    assert rows[0][0] == 1
    use_cases.gateway.unavailable = False
    answer = await retry(use_cases, first)
    assert answer is not None and answer.action == "pay"


async def test_an_unknown_token_is_no_retry(use_cases: Any) -> None:
    assert await retry(use_cases, "no-such-token") is None
    assert use_cases.gateway.created == []


async def test_a_redelivered_request_after_a_retry_offers_the_new_payment(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested()
    first = await declined(use_cases, event)
    answer = await retry(use_cases, first)
    assert answer is not None
    again = await request(use_cases, event.model_copy(update={"event_id": uuid.uuid4()}))
    assert again.id == answer.payment.id
    assert len(use_cases.gateway.payments) == 2
