"""The payment use cases with the in-memory gateway: no Kafka, no HTTP, a real migrated database.

The rules that matter for money are held by the database as much as by the code (a partial
unique index, row locks, advisory locks), so these tests keep PostgreSQL real and replace only
GOV.UK Pay. The integration tests run the same flows end to end against the Pay simulator.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from civic_events.payments import (
    PaymentCreated,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    PaymentSucceeded,
)
from civic_runtime.consumers import PermanentError
from payments.adapters import repository
from payments.adapters.tables import Payment, Refund
from payments.domain.payment import FINAL, GatewayState
from payments.domain.refunds import RefundRefused
from payments.entrypoints.consumers import build_handlers
from payments.service_layer import payments, refunds
from prometheus_client import CollectorRegistry

pytestmark = pytest.mark.integration


async def request(use_cases: Any, event: PaymentRequested) -> Payment | None:
    async with use_cases.unit_of_work() as uow:
        return await payments.request_payment(uow=uow, context=use_cases.context, request=event)


async def report(use_cases: Any, payment_id: str, status: str, code: str | None = None) -> bool:
    """The gateway reports a state (as a webhook would): applied under the payment's row lock."""
    async with use_cases.unit_of_work() as uow:
        payment = await repository.payment_for_update(uow.session, gateway_payment_id=payment_id)
        assert payment is not None
        state = GatewayState(status=status, finished=status in FINAL, code=code)
        return await payments.apply_gateway_state(
            uow=uow, context=use_cases.context, payment=payment, reported=state
        )


async def paid(use_cases: Any, event: PaymentRequested) -> Payment:
    payment = await request(use_cases, event)
    assert payment is not None
    use_cases.gateway.set_state(payment.gateway_payment_id, "success")
    assert await report(use_cases, payment.gateway_payment_id, "success")
    return payment


async def refund(use_cases: Any, payment_id: str, amount: int | None) -> Refund:
    async with use_cases.unit_of_work() as uow:
        payment = await repository.payment_for_update(uow.session, gateway_payment_id=payment_id)
        assert payment is not None
        return await refunds.refund_payment(
            uow=uow,
            context=use_cases.context,
            payment=payment,
            amount=amount,
            reason="test",
            requested_by="officer:o1",
        )


async def settle_refunds(use_cases: Any, payment_id: str) -> None:
    async with use_cases.unit_of_work() as uow:
        payment = await repository.payment_for_update(uow.session, gateway_payment_id=payment_id)
        assert payment is not None
        await refunds.settle_refunds(uow=uow, context=use_cases.context, payment=payment)


async def test_one_live_payment_per_case_and_purpose(
    use_cases: Any, payment_requested: Any
) -> None:
    first = payment_requested(amount=3500)
    payment = await request(use_cases, first)
    assert payment is not None and len(use_cases.gateway.created) == 1
    assert use_cases.gateway.created[0].idempotency_key == str(first.payment_request_id)

    again = await request(use_cases, first)  # the same request, redelivered
    asked_anew = payment_requested(reference=first.subject, amount=3500)  # the case asks again
    anew = await request(use_cases, asked_anew)
    assert again is not None and anew is not None
    assert again.id == anew.id == payment.id
    assert len(use_cases.gateway.created) == 1
    links = use_cases.published(PaymentCreated)
    assert [e.payment_id for e in links] == [payment.gateway_payment_id] * 3
    assert links[-1].payment_request_id == asked_anew.payment_request_id  # answers the latest

    other_purpose = await request(
        use_cases, payment_requested(reference=first.subject, service_code="garden_waste")
    )
    assert other_purpose is not None and other_purpose.id != payment.id
    assert len(use_cases.gateway.created) == 2
    rows = await use_cases.rows(
        "SELECT count(*) FROM payments_payment WHERE case_reference = :ref", ref=first.subject
    )
    assert rows[0][0] == 2


async def test_requests_for_one_case_at_once_make_one_payment(
    use_cases: Any, payment_requested: Any
) -> None:
    first = payment_requested()
    requests = [first] + [payment_requested(reference=first.subject) for _ in range(4)]
    made = await asyncio.gather(*(request(use_cases, r) for r in requests))
    assert len({p.id for p in made if p is not None}) == 1
    assert len(use_cases.gateway.payments) == 1


async def test_a_new_payment_only_after_the_last_failed_or_expired(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested()
    rejected = await request(use_cases, event)
    assert rejected is not None
    use_cases.gateway.set_state(rejected.gateway_payment_id, "failed", "P0010")
    await report(use_cases, rejected.gateway_payment_id, "failed", "P0010")

    expired = await request(use_cases, payment_requested(reference=event.subject))
    assert expired is not None and expired.gateway_payment_id != rejected.gateway_payment_id

    # Past Pay's expiry but Pay still says "started" (clocks differ): no second live payment.
    use_cases.gateway.set_state(expired.gateway_payment_id, "started")
    use_cases.clock.advance(minutes=91)
    assert await request(use_cases, payment_requested(reference=event.subject)) is None
    assert len(use_cases.gateway.payments) == 2

    # Pay expired it and the webhook was lost: the request itself asks Pay, then makes a new one.
    use_cases.gateway.set_state(expired.gateway_payment_id, "failed", "P0020")
    latest = await request(use_cases, payment_requested(reference=event.subject))
    assert latest is not None and len(use_cases.gateway.payments) == 3
    failures = use_cases.published(PaymentFailed)
    assert [(f.payment_id, f.failure_code) for f in failures] == [
        (rejected.gateway_payment_id, "P0010"),
        (expired.gateway_payment_id, "P0020"),
    ]

    use_cases.gateway.set_state(latest.gateway_payment_id, "success")
    await report(use_cases, latest.gateway_payment_id, "success")
    after_success = await request(use_cases, payment_requested(reference=event.subject))
    assert after_success is not None and after_success.id == latest.id
    assert len(use_cases.gateway.payments) == 3
    assert use_cases.published(PaymentCreated)[-1].payment_id == latest.gateway_payment_id


async def test_each_outcome_is_announced_once_whoever_reports_it(
    use_cases: Any, payment_requested: Any
) -> None:
    event = payment_requested()
    payment = await request(use_cases, event)
    assert payment is not None
    gateway_id = payment.gateway_payment_id
    use_cases.gateway.set_state(gateway_id, "success")
    # The webhook, its retry and the return page, all at once (each under the row lock).
    applied = await asyncio.gather(*(report(use_cases, gateway_id, "success") for _ in range(3)))
    assert sorted(applied) == [False, False, True]
    [succeeded] = use_cases.published(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.amount) == (gateway_id, event.amount)
    assert succeeded.payment_request_id == event.payment_request_id

    failed = await request(use_cases, payment_requested())
    assert failed is not None
    use_cases.gateway.set_state(failed.gateway_payment_id, "cancelled", "P0030")
    assert await report(use_cases, failed.gateway_payment_id, "cancelled", "P0030")
    assert not await report(use_cases, failed.gateway_payment_id, "cancelled", "P0030")
    [announced] = use_cases.published(PaymentFailed)
    assert (announced.state, announced.failure_code) == ("cancelled", "P0030")
    rows = await use_cases.rows(
        "SELECT count(*) FROM outbox WHERE event_type LIKE '%PaymentSucceeded%'"
        " OR event_type LIKE '%PaymentFailed%'"
    )
    assert rows[0][0] == 2


@pytest.mark.parametrize("late", ["created", "started", "submitted", "failed", "error"])
async def test_a_late_state_after_success_changes_nothing(
    use_cases: Any, payment_requested: Any, late: str
) -> None:
    payment = await paid(use_cases, payment_requested())
    published = len(use_cases.events)
    assert not await report(use_cases, payment.gateway_payment_id, late)
    [row] = await use_cases.rows(
        "SELECT status, finished, failure_code FROM payments_payment WHERE id = :id",
        id=payment.id,
    )
    assert tuple(row) == ("success", True, None)
    assert len(use_cases.events) == published


async def test_states_move_forward_through_started_and_submitted(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await request(use_cases, payment_requested())
    assert payment is not None
    gateway_id = payment.gateway_payment_id
    assert await report(use_cases, gateway_id, "submitted")
    assert not await report(use_cases, gateway_id, "started")  # late
    [row] = await use_cases.rows(
        "SELECT status FROM payments_payment WHERE id = :id", id=payment.id
    )
    assert row[0] == "submitted"
    assert not use_cases.published(PaymentSucceeded) and not use_cases.published(PaymentFailed)


async def test_refunds_never_exceed_what_remains_and_send_the_amount_available(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await paid(use_cases, payment_requested(amount=5000))
    gateway_id = payment.gateway_payment_id
    part = await refund(use_cases, gateway_id, 3000)
    assert part.amount == 3000 and part.status == "submitted"
    with pytest.raises(RefundRefused, match="2000"):
        await refund(use_cases, gateway_id, 2001)
    rest = await refund(use_cases, gateway_id, None)
    assert rest.amount == 2000
    with pytest.raises(RefundRefused, match="nothing remains"):
        await refund(use_cases, gateway_id, None)
    calls = use_cases.gateway.refund_calls
    assert [(c.amount, c.refund_amount_available) for c in calls] == [(3000, 5000), (2000, 2000)]


async def test_a_refund_that_races_another_is_refused_by_the_amount_available(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await paid(use_cases, payment_requested(amount=4200))
    gateway_id = payment.gateway_payment_id
    use_cases.gateway.before_refund = lambda held: use_cases.gateway.refund_directly(
        held.payment_id, 4200
    )
    with pytest.raises(RefundRefused, match="changed meanwhile"):
        await refund(use_cases, gateway_id, 4200)
    use_cases.gateway.before_refund = None
    assert [r.amount for r in use_cases.gateway.payments[gateway_id].refunds] == [4200]
    rows = await use_cases.rows("SELECT count(*) FROM payments_refund")
    assert rows[0][0] == 0  # ours was not made; the other one is adopted when settled
    await settle_refunds(use_cases, gateway_id)
    [(amount, requested_by)] = await use_cases.rows(
        "SELECT amount, requested_by FROM payments_refund"
    )
    assert (amount, requested_by) == (4200, "gateway")


async def test_a_refund_is_announced_once_when_the_gateway_confirms_it(
    use_cases: Any, payment_requested: Any
) -> None:
    payment = await paid(use_cases, payment_requested(amount=2500))
    gateway_id = payment.gateway_payment_id
    made = await refund(use_cases, gateway_id, 1000)
    await settle_refunds(use_cases, gateway_id)  # still submitted at Pay
    assert not use_cases.published(PaymentRefunded)
    use_cases.gateway.settle_refund(made.gateway_refund_id)
    await settle_refunds(use_cases, gateway_id)
    await settle_refunds(use_cases, gateway_id)  # the webhook and reconciliation both look
    [refunded] = use_cases.published(PaymentRefunded)
    assert (refunded.refund_id, refunded.amount) == (made.gateway_refund_id, 1000)


async def test_an_unpaid_payment_cannot_be_refunded(use_cases: Any, payment_requested: Any) -> None:
    payment = await request(use_cases, payment_requested())
    assert payment is not None
    with pytest.raises(RefundRefused, match="successful"):
        await refund(use_cases, payment.gateway_payment_id, None)
    assert use_cases.gateway.refund_calls == []


@pytest.mark.parametrize(
    ("amount", "accepted"), [(1, True), (10_000_000, True), (0, False), (10_000_001, False)]
)
async def test_amounts_outside_1p_to_100000_pounds_never_reach_the_gateway(
    use_cases: Any, payment_requested: Any, amount: int, accepted: bool
) -> None:
    handlers = build_handlers(use_cases.context)
    registration = handlers.lookup(PaymentRequested.topic.name, PaymentRequested.ce_type)
    assert registration is not None
    # model_construct: an amount the event schema would refuse, as a foreign producer might send.
    event = PaymentRequested.model_construct(**{**dict(payment_requested()), "amount": amount})
    async with use_cases.unit_of_work() as uow:
        if accepted:
            await registration.handler(event, uow)
        else:
            with pytest.raises(PermanentError, match="amount"):
                await registration.handler(event, uow)
    assert len(use_cases.gateway.created) == (1 if accepted else 0)


async def test_outcomes_are_counted_only_when_their_transaction_commits(
    use_cases: Any, payment_requested: Any
) -> None:
    registry = CollectorRegistry()
    use_cases.context.metrics.register(registry)

    def counted(outcome: str) -> float:
        return registry.get_sample_value("civic_payments_outcomes_total", {"outcome": outcome}) or 0

    payment = await request(use_cases, payment_requested(amount=3000))
    assert payment is not None
    gateway_id = payment.gateway_payment_id
    use_cases.gateway.set_state(gateway_id, "success")
    with pytest.raises(RuntimeError):
        async with use_cases.unit_of_work() as uow:
            held = await repository.payment_for_update(uow.session, gateway_payment_id=gateway_id)
            assert held is not None
            await payments.apply_gateway_state(
                uow=uow,
                context=use_cases.context,
                payment=held,
                reported=GatewayState("success", True),
            )
            raise RuntimeError("the transaction fails after the outcome was applied")
    assert counted("succeeded") == 0

    await report(use_cases, gateway_id, "success")
    assert counted("succeeded") == 1
    made = await refund(use_cases, gateway_id, 3000)
    use_cases.gateway.settle_refund(made.gateway_refund_id)
    await settle_refunds(use_cases, gateway_id)
    assert counted("refunded") == 1

    failed = await request(use_cases, payment_requested())
    assert failed is not None
    use_cases.gateway.set_state(failed.gateway_payment_id, "error", "P0050")
    await report(use_cases, failed.gateway_payment_id, "error", "P0050")
    assert (counted("succeeded"), counted("failed"), counted("refunded")) == (1, 1, 1)
