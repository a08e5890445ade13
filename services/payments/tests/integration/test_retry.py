""" "Try again" after a declined card, end to end: the GOV.UK Pay simulator's hosted page, our return
page and its form, real Kafka and PostgreSQL, webhooks over HTTP."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentSucceeded
from payments_factories import closed

pytestmark = pytest.mark.integration

RETRY_FORM = re.compile(r'<form method="post" action="([^"]*retry[^"]*)">')


async def return_token(service: Any, payment_id: str) -> str:
    [row] = await service.rows(
        "SELECT return_token FROM payments_payment WHERE gateway_payment_id = :id", id=payment_id
    )
    return str(row[0])


async def test_declined_then_try_again_then_paid_is_one_success(flow: Any) -> None:
    service = await flow.start()
    request = flow.request(amount=3500)
    first = await flow.created(request)

    async with httpx.AsyncClient(follow_redirects=True) as browser:
        await browser.get(str(first.next_url))
        page_token = str(first.next_url).rsplit("/", 1)[1]
        declined = await browser.post(f"{flow.pay.url}/secure/{page_token}/failed")
        assert declined.headers["X-Payment-Outcome"] == "failed"
        assert "You can try again" in declined.text
        match = RETRY_FORM.search(declined.text)
        assert match is not None, declined.text
        retry_url = str(declined.url.join(match.group(1)))
        assert retry_url == f"{declined.url}/retry"

        retried = await browser.post(retry_url, follow_redirects=False)
        assert retried.status_code == 303
        new_link = retried.headers["location"]
        assert new_link.startswith(f"{flow.pay.url}/secure/") and page_token not in new_link

        created = await flow.events_of(PaymentCreated, 2)
        second = created[1]
        assert second.payment_id != first.payment_id and str(second.next_url) == new_link
        assert second.payment_request_id == request.payment_request_id  # the request cases holds
        assert second.resident_id == request.resident_id and second.amount == 3500

        paying = await browser.get(new_link)
        assert paying.status_code == 200 and "£35.00" in paying.text
        paid = await browser.post(f"{new_link}/success")
        assert paid.headers["X-Payment-Outcome"] == "paid"
        assert RETRY_FORM.search(paid.text) is None

        # The first payment's page now says it failed, and offers no retry: the request is paid.
        old_page = await browser.get(str(declined.url))
        assert old_page.headers["X-Payment-Outcome"] == "failed"
        assert RETRY_FORM.search(old_page.text) is None
        after_success = await browser.post(retry_url, follow_redirects=False)
        assert after_success.status_code == 303
        assert after_success.headers["location"] == str(paid.url.path)

    [succeeded] = await flow.events_of(PaymentSucceeded)
    assert (succeeded.payment_id, succeeded.payment_request_id) == (
        second.payment_id,
        request.payment_request_id,
    )

    async def webhooks_delivered() -> bool:
        deliveries = await flow.pay.deliveries()
        return len(deliveries) >= 4 and all(d["delivered"] for d in deliveries)

    await flow.eventually(webhooks_delivered)  # started and failed, started and succeeded
    await flow.settled(service)
    events = await flow.events()
    assert [e.payment_id for e in events if isinstance(e, PaymentSucceeded)] == [second.payment_id]
    assert [e.payment_id for e in events if isinstance(e, PaymentFailed)] == [first.payment_id]
    assert [e.payment_id for e in events if isinstance(e, PaymentCreated)] == [
        first.payment_id,
        second.payment_id,
    ]
    assert len(flow.pay.state.ledger.payments) == 2
    rows = await service.rows(
        "SELECT status, retry_of IS NOT NULL FROM payments_payment ORDER BY seq"
    )
    assert [tuple(r) for r in rows] == [("failed", False), ("success", True)]


async def test_a_double_click_on_try_again_makes_one_new_payment(flow: Any) -> None:
    first_instance = await flow.start()
    second_instance = await flow.start(subscribe=False)  # another instance, same database
    first = await flow.finished(flow.request(), "failed")
    token = await return_token(first_instance, first.payment_id)

    clicks = await asyncio.gather(
        *(
            instance.client.post(f"/payments/return/{token}/retry")
            for instance in (first_instance, second_instance, first_instance, second_instance)
        )
    )
    assert [c.status_code for c in clicks] == [303] * 4
    assert len({c.headers["location"] for c in clicks}) == 1
    assert len(flow.pay.state.ledger.payments) == 2
    await flow.settled(first_instance)
    created = [e for e in await flow.events() if isinstance(e, PaymentCreated)]
    assert len(created) == 2 and str(created[1].next_url) == clicks[0].headers["location"]


async def test_no_try_again_once_the_case_is_closed(flow: Any) -> None:
    service = await flow.start()
    request = flow.request()
    first = await flow.finished(request, "expired")
    token = await return_token(service, first.payment_id)
    page = await service.client.get(f"/payments/return/{token}")
    assert page.headers["X-Payment-Outcome"] == "expired" and RETRY_FORM.search(page.text)

    await flow.publish(closed(request, refund_requested=False))

    async def case_closed_recorded() -> bool:
        rows = await service.rows(
            "SELECT count(*) FROM payments_closed_case WHERE case_reference = :ref",
            ref=request.subject,
        )
        return rows[0][0] == 1

    await flow.eventually(case_closed_recorded)
    page = await service.client.get(f"/payments/return/{token}")
    assert page.headers["X-Payment-Outcome"] == "expired" and not RETRY_FORM.search(page.text)
    retried = await service.client.post(f"/payments/return/{token}/retry")
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/payments/return/{token}"
    assert len(flow.pay.state.ledger.payments) == 1


async def test_an_unknown_token_is_a_404_page(payments_service: Any) -> None:
    service = await payments_service(subscribe=False)
    for response in (
        await service.client.get("/payments/return/no-such-token"),
        await service.client.post("/payments/return/no-such-token/retry"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Payment not found" in response.text


async def test_try_again_while_pay_is_down_is_a_page_with_the_button_not_an_error(
    flow: Any,
) -> None:
    service = await flow.start()
    first = await flow.finished(flow.request(), "failed")
    token = await return_token(service, first.payment_id)
    down = await flow.start(subscribe=False, pay_api_url="http://127.0.0.1:9")  # no gateway

    response = await down.client.post(f"/payments/return/{token}/retry")
    assert response.status_code == 503 and response.headers["content-type"].startswith("text/html")
    assert RETRY_FORM.search(response.text)
    assert len(flow.pay.state.ledger.payments) == 1
    retried = await service.client.post(f"/payments/return/{token}/retry")
    assert retried.status_code == 303 and "/secure/" in retried.headers["location"]
