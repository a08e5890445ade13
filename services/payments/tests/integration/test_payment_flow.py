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


async def test_requested_created_paid_through_the_hosted_page_and_the_signed_webhook(
    flow: Any,
) -> None:
    service = await flow.start()
    request: PaymentRequested = flow.request(amount=3500)
    created = await flow.created(request)
    assert created.payment_request_id == request.payment_request_id
    assert created.subject == request.subject and created.resident_id == request.resident_id
    assert created.amount == 3500
    assert str(created.next_url).startswith(f"{flow.pay.url}/secure/")
    assert timedelta(minutes=89) < created.expires_at - datetime.now(UTC) <= timedelta(minutes=90)

    # The resident opens the payment page, pays, and is sent back to our return page.
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(str(created.next_url))
        assert page.status_code == 200 and "£35.00" in page.text
        action = f"{flow.pay.url}/secure/{str(created.next_url).rsplit('/', 1)[1]}/success"
        returned = await browser.post(action)
    assert returned.url.host == "127.0.0.1" and returned.url.path.startswith("/payments/return/")
    assert returned.headers["X-Payment-Outcome"] == "paid"
    assert "Payment received" in returned.text

    [succeeded] = await flow.events_of(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.amount) == (created.payment_id, 3500)
    assert succeeded.payment_request_id == request.payment_request_id

    async def webhooks_delivered() -> bool:
        deliveries = await flow.pay.deliveries()
        return len(deliveries) >= 2 and all(d["delivered"] for d in deliveries)

    await flow.eventually(webhooks_delivered)  # started, succeeded
    await flow.settled(service)
    outcomes = [e for e in await flow.events() if isinstance(e, PaymentSucceeded | PaymentFailed)]
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
    outcome: str, state: str, code: str, flow: Any
) -> None:
    await flow.start()
    request = flow.request()
    created = await flow.created(request)

    await flow.pay.outcome(created.payment_id, outcome)

    [failed] = await flow.events_of(PaymentFailed)
    assert (failed.payment_id, failed.state, failed.failure_code) == (
        created.payment_id,
        state,
        code,
    )
    assert failed.payment_request_id == request.payment_request_id


async def test_after_expiry_a_new_request_for_the_case_makes_a_new_payment(flow: Any) -> None:
    await flow.start()
    first = flow.request()
    created = await flow.finished(first, "expired")

    second = flow.request(reference=first.subject)
    await flow.publish(second)
    created_events = await flow.events_of(PaymentCreated, 2)
    assert created_events[1].payment_request_id == second.payment_request_id
    assert created_events[1].payment_id != created.payment_id
    assert len(flow.pay.state.ledger.payments) == 2


async def test_a_repeated_request_returns_the_existing_payment(flow: Any) -> None:
    await flow.start()
    request = flow.request()
    redelivered = request.model_copy(update={"event_id": uuid.uuid4()})
    asked_again = flow.request(reference=request.subject)  # a new request id, same purpose
    other_purpose = flow.request(reference=request.subject, service_code="replacement_bin")
    await flow.publish(request, redelivered, asked_again, other_purpose)

    created = await flow.events_of(PaymentCreated, 4)
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
    assert len(flow.pay.state.ledger.payments) == 2

    await flow.pay.outcome(bulky[0].payment_id, "success")
    [succeeded] = await flow.events_of(PaymentSucceeded)
    assert succeeded.payment_request_id == asked_again.payment_request_id


async def test_a_resident_who_cancels_on_the_payment_page_is_told_so_on_return(flow: Any) -> None:
    await flow.start(subscribe=False)  # no webhook: the return page asks the gateway
    created = await flow.created(flow.request())
    token = str(created.next_url).rsplit("/", 1)[1]
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        await browser.get(str(created.next_url))
        returned = await browser.post(f"{flow.pay.url}/secure/{token}/cancel")
    assert returned.headers["X-Payment-Outcome"] == "cancelled"
    assert "You cancelled your payment" in returned.text
    [failed] = await flow.events_of(PaymentFailed)
    assert (failed.state, failed.failure_code) == ("failed", "P0030")


async def test_a_request_the_gateway_refuses_goes_to_the_dead_letter_topic_at_once(
    flow: Any, read_records: Any, topic_prefix: str
) -> None:
    await flow.start(public_base_url="ftp://misconfigured")  # Pay refuses the return_url
    request = flow.request()
    await flow.publish(request)

    [dead] = await read_records(f"{topic_prefix}payments.v1.dlq", 1)
    headers = {name: value.decode() for name, value in dead.headers}
    assert headers["ce_id"] == str(request.event_id)
    assert (headers["dlq-reason"], headers["dlq-attempts"]) == ("rejected", "1")
    assert "P0102" in headers["dlq-error"]
    assert flow.pay.state.ledger.payments == {}
