"""The payment flow against real Kafka and PostgreSQL, with the GOV.UK Pay simulator as the gateway."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from civic_events.payments import (
    PaymentCreated,
    PaymentFailed,
    PaymentRequested,
    PaymentSucceeded,
)

pytestmark = pytest.mark.integration


async def settled(service: Any, eventually: Any) -> None:
    """Wait until everything the service wrote to its outbox is on Kafka."""

    async def empty() -> bool:
        rows = await service.rows("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return rows[0][0] == 0

    await eventually(empty)


async def test_requested_created_paid_through_the_hosted_page_and_the_signed_webhook(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
    payment_events: Any,
    eventually: Any,
) -> None:
    service = await payments_service()
    request: PaymentRequested = payment_requested(amount=3500)
    await publish(request)

    [created] = await events_of(PaymentCreated)
    assert created.payment_request_id == request.payment_request_id
    assert created.subject == request.subject and created.resident_id == request.resident_id
    assert created.amount == 3500
    assert str(created.next_url).startswith(f"{pay_simulator.url}/secure/")
    assert timedelta(minutes=89) < created.expires_at - datetime.now(UTC) <= timedelta(minutes=90)

    # The resident opens the payment page, pays, and is sent back to our return page.
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(str(created.next_url))
        assert page.status_code == 200 and "£35.00" in page.text
        action = f"{pay_simulator.url}/secure/{str(created.next_url).rsplit('/', 1)[1]}/success"
        returned = await browser.post(action)
    assert returned.url.host == "127.0.0.1" and returned.url.path.startswith("/payments/return/")
    assert returned.headers["X-Payment-Outcome"] == "paid"
    assert "Payment received" in returned.text

    [succeeded] = await events_of(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.amount) == (created.payment_id, 3500)
    assert succeeded.payment_request_id == request.payment_request_id

    async def webhooks_delivered() -> bool:
        deliveries = await pay_simulator.deliveries()
        return len(deliveries) >= 2 and all(d["delivered"] for d in deliveries)

    await eventually(webhooks_delivered)  # started, succeeded
    await settled(service, eventually)
    outcomes = [
        e for e in await payment_events() if isinstance(e, PaymentSucceeded | PaymentFailed)
    ]
    assert outcomes == [succeeded]  # once, though both the return page and the webhook saw it
    [row] = await service.rows(
        "SELECT status, finished FROM payments_payment WHERE gateway_payment_id = :id",
        id=created.payment_id,
    )
    assert tuple(row) == ("success", True)
    logged = await service.rows("SELECT event_type, outcome FROM payments_webhook ORDER BY id")
    assert ("card_payment_succeeded", "applied") in [tuple(r) for r in logged]


@pytest.mark.parametrize(
    ("outcome", "state", "code"),
    [("failed", "failed", "P0010"), ("expired", "failed", "P0020"), ("error", "error", "P0050")],
)
async def test_a_payment_that_ends_without_success_is_announced_as_failed_once(
    outcome: str,
    state: str,
    code: str,
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
) -> None:
    await payments_service()
    request = payment_requested()
    await publish(request)
    [created] = await events_of(PaymentCreated)

    await pay_simulator.outcome(created.payment_id, outcome)

    [failed] = await events_of(PaymentFailed)
    assert (failed.payment_id, failed.state, failed.failure_code) == (
        created.payment_id,
        state,
        code,
    )
    assert failed.payment_request_id == request.payment_request_id


async def test_after_expiry_a_new_request_for_the_case_makes_a_new_payment(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
) -> None:
    await payments_service()
    first = payment_requested()
    await publish(first)
    [created] = await events_of(PaymentCreated)
    await pay_simulator.outcome(created.payment_id, "expired")
    await events_of(PaymentFailed)

    second = payment_requested(reference=first.subject)
    await publish(second)
    created_events = await events_of(PaymentCreated, 2)
    assert created_events[1].payment_request_id == second.payment_request_id
    assert created_events[1].payment_id != created.payment_id
    assert len(pay_simulator.state.ledger.payments) == 2


async def test_a_repeated_request_returns_the_existing_payment(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
) -> None:
    await payments_service()
    request = payment_requested()
    redelivered = request.model_copy(update={"event_id": uuid.uuid4()})
    asked_again = payment_requested(reference=request.subject)  # a new request id, same purpose
    other_purpose = payment_requested(reference=request.subject, service_code="replacement_bin")
    await publish(request, redelivered, asked_again, other_purpose)

    created = await events_of(PaymentCreated, 4)
    bulky = [e for e in created if e.payment_request_id != other_purpose.payment_request_id]
    assert len(bulky) == 3 and len({e.payment_id for e in bulky}) == 1
    # The live payment now answers the latest request: its outcome will carry that request's id.
    assert [e.payment_request_id for e in bulky] == [
        request.payment_request_id,
        request.payment_request_id,
        asked_again.payment_request_id,
    ]
    [other] = [e for e in created if e.payment_request_id == other_purpose.payment_request_id]
    assert other.payment_id != bulky[0].payment_id
    assert len(pay_simulator.state.ledger.payments) == 2

    await pay_simulator.outcome(bulky[0].payment_id, "success")
    [succeeded] = await events_of(PaymentSucceeded)
    assert succeeded.payment_request_id == asked_again.payment_request_id


async def test_a_resident_who_cancels_on_the_payment_page_is_told_so_on_return(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
) -> None:
    await payments_service(subscribe=False)  # no webhook: the return page asks the gateway
    await publish(payment_requested())
    [created] = await events_of(PaymentCreated)
    token = str(created.next_url).rsplit("/", 1)[1]
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        await browser.get(str(created.next_url))
        returned = await browser.post(f"{pay_simulator.url}/secure/{token}/cancel")
    assert returned.headers["X-Payment-Outcome"] == "cancelled"
    assert "You cancelled your payment" in returned.text
    [failed] = await events_of(PaymentFailed)
    assert (failed.state, failed.failure_code) == ("failed", "P0030")


async def test_a_request_the_gateway_refuses_goes_to_the_dead_letter_topic_at_once(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    read_records: Any,
    topic_prefix: str,
) -> None:
    await payments_service(public_base_url="ftp://misconfigured")  # Pay refuses the return_url
    request = payment_requested()
    await publish(request)

    [dead] = await read_records(f"{topic_prefix}payments.v1.dlq", 1)
    headers = {name: value.decode() for name, value in dead.headers}
    assert headers["ce_id"] == str(request.event_id)
    assert (headers["dlq-reason"], headers["dlq-attempts"]) == ("rejected", "1")
    assert "P0102" in headers["dlq-error"]
    assert pay_simulator.state.ledger.payments == {}
