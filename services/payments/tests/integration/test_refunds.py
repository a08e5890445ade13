"""Refunds: by an officer, by a cancelled case, never more than remains, never twice in a race."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentFailed, PaymentRefunded
from payments_factories import closed, status_changed

pytestmark = pytest.mark.integration

OFFICER = {"Authorization": "Bearer dev-officer-token"}


def officer(key: str | None = None) -> dict[str, str]:
    """The officer's headers for a request, with an Idempotency-Key (a new one unless given)."""
    return {
        "Authorization": "Bearer dev-officer-token",
        "Idempotency-Key": key or str(uuid.uuid4()),
    }


async def test_an_officer_refunds_in_parts_and_never_more_than_remains(flow: Any) -> None:
    service = await flow.start()
    created = await flow.finished(flow.request(amount=5000))
    url = f"/payments/{created.payment_id}/refunds"

    unauthorised = await service.client.post(url, json={"amount": 100})
    assert unauthorised.status_code == 401

    part = await service.client.post(url, json={"amount": 3000}, headers=officer())
    assert part.status_code == 201 and part.json()["status"] == "submitted"
    too_much = await service.client.post(url, json={"amount": 2001}, headers=officer())
    assert too_much.status_code == 409
    assert "2000" in too_much.json()["detail"]
    rest = await service.client.post(url, json={}, headers=officer())
    assert rest.status_code == 201 and rest.json()["amount"] == 2000

    refunded = await flow.events_of(PaymentRefunded, 2)
    assert sorted(e.amount for e in refunded) == [2000, 3000]
    view = (await service.client.get(f"/payments/{created.payment_id}", headers=OFFICER)).json()
    assert [r["status"] for r in view["refunds"]] == ["success", "success"]

    nothing_left = await service.client.post(url, json={"amount": 1}, headers=officer())
    assert nothing_left.status_code == 409


async def test_two_concurrent_refunds_of_everything_cannot_both_succeed(flow: Any) -> None:
    first = await flow.start()
    second = await flow.start(subscribe=False)
    created = await flow.finished(flow.request(amount=4200))
    url = f"/payments/{created.payment_id}/refunds"

    responses = await asyncio.gather(
        first.client.post(url, json={"amount": 4200}, headers=officer()),
        second.client.post(url, json={"amount": 4200}, headers=officer()),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    payment = flow.pay.state.ledger.payments[created.payment_id]
    assert [r.amount for r in payment.refunds] == [4200]


async def test_a_cancelled_paid_case_is_refunded_once(flow: Any) -> None:
    service = await flow.start()
    request = flow.request(amount=2500)
    created = await flow.finished(request)
    cancelled = status_changed(request, "booked", "cancelled")
    closing = closed(request, refund_requested=True, notify_resident=True)
    await flow.publish(cancelled, closing, closing.model_copy(update={"event_id": uuid.uuid4()}))

    [refunded] = await flow.events_of(PaymentRefunded)
    assert (refunded.payment_id, refunded.amount) == (created.payment_id, 2500)
    assert refunded.payment_request_id == request.payment_request_id

    async def handled() -> bool:
        rows = await service.rows("SELECT count(*) FROM inbox WHERE event_type LIKE '%cases%'")
        return rows[0][0] == 3

    await flow.eventually(handled)
    assert len(flow.pay.state.ledger.payments[created.payment_id].refunds) == 1


async def test_a_case_cancelled_before_payment_stops_the_payment(flow: Any) -> None:
    await flow.start()
    request = flow.request()
    created = await flow.created(request)
    # What cases emits for a booking cancelled while awaiting payment (not paid: no refund asked).
    await flow.publish(
        status_changed(request, "awaiting_payment", "cancelled"),
        closed(request, refund_requested=False),
    )
    [failed] = await flow.events_of(PaymentFailed)
    assert (failed.payment_id, failed.state, failed.failure_code) == (
        created.payment_id,
        "cancelled",
        "P0040",
    )
    assert flow.pay.state.ledger.payments[created.payment_id].refunds == []
