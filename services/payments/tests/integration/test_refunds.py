"""Refunds: by an officer, by a cancelled case, never more than remains, never twice in a race."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from civic_events.cases import CaseClosed, CaseStatusChanged
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded

pytestmark = pytest.mark.integration

OFFICER = {"Authorization": "Bearer dev-officer-token"}


async def paid(service: Any, pay_simulator: Any, request: Any, publish: Any, events_of: Any) -> Any:
    await publish(request)
    [created] = [
        e
        for e in await events_of(PaymentCreated)
        if e.payment_request_id == request.payment_request_id
    ]
    await pay_simulator.outcome(created.payment_id, "success")
    await events_of(PaymentSucceeded)
    return created


async def test_an_officer_refunds_in_parts_and_never_more_than_remains(
    payments_service: Any, pay_simulator: Any, payment_requested: Any, publish: Any, events_of: Any
) -> None:
    service = await payments_service()
    created = await paid(service, pay_simulator, payment_requested(amount=5000), publish, events_of)
    url = f"/payments/{created.payment_id}/refunds"

    unauthorised = await service.client.post(url, json={"amount": 100, "officer": "o1"})
    assert unauthorised.status_code == 401

    part = await service.client.post(url, json={"amount": 3000, "officer": "o1"}, headers=OFFICER)
    assert part.status_code == 201 and part.json()["status"] == "submitted"
    too_much = await service.client.post(
        url, json={"amount": 2001, "officer": "o1"}, headers=OFFICER
    )
    assert too_much.status_code == 409
    assert "2000" in too_much.json()["detail"]
    rest = await service.client.post(url, json={"officer": "o1"}, headers=OFFICER)
    assert rest.status_code == 201 and rest.json()["amount"] == 2000

    refunded = await events_of(PaymentRefunded, 2)
    assert sorted(e.amount for e in refunded) == [2000, 3000]
    view = (await service.client.get(f"/payments/{created.payment_id}", headers=OFFICER)).json()
    assert [r["status"] for r in view["refunds"]] == ["success", "success"]

    nothing_left = await service.client.post(
        url, json={"amount": 1, "officer": "o1"}, headers=OFFICER
    )
    assert nothing_left.status_code == 409


async def test_two_concurrent_refunds_of_everything_cannot_both_succeed(
    payments_service: Any, pay_simulator: Any, payment_requested: Any, publish: Any, events_of: Any
) -> None:
    first = await payments_service()
    second = await payments_service(subscribe=False)
    created = await paid(first, pay_simulator, payment_requested(amount=4200), publish, events_of)
    url = f"/payments/{created.payment_id}/refunds"

    responses = await asyncio.gather(
        first.client.post(url, json={"amount": 4200, "officer": "o1"}, headers=OFFICER),
        second.client.post(url, json={"amount": 4200, "officer": "o2"}, headers=OFFICER),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    payment = pay_simulator.state.ledger.payments[created.payment_id]
    assert [r.amount for r in payment.refunds] == [4200]


async def test_a_cancelled_paid_case_is_refunded_once(
    payments_service: Any,
    pay_simulator: Any,
    payment_requested: Any,
    publish: Any,
    events_of: Any,
    payment_events: Any,
    eventually: Any,
) -> None:
    service = await payments_service()
    request = payment_requested(amount=2500)
    created = await paid(service, pay_simulator, request, publish, events_of)
    case_id = uuid.uuid4()
    cancelled = CaseStatusChanged(
        source="cases",
        subject=request.subject,
        case_id=case_id,
        case_type="bulky_waste",
        old_status="booked",
        new_status="cancelled",
        reason="resident cancelled the booking",
        notify_resident=True,
    )
    closed = CaseClosed(
        source="cases",
        subject=request.subject,
        case_id=case_id,
        case_type="bulky_waste",
        outcome="cancelled",
        refund_requested=True,
        notify_resident=True,
    )
    await publish(cancelled, closed, closed.model_copy(update={"event_id": uuid.uuid4()}))

    [refunded] = await events_of(PaymentRefunded)
    assert (refunded.payment_id, refunded.amount) == (created.payment_id, 2500)
    assert refunded.payment_request_id == request.payment_request_id

    async def handled() -> bool:
        rows = await service.rows("SELECT count(*) FROM inbox WHERE event_type LIKE '%cases%'")
        return rows[0][0] == 3

    await eventually(handled)
    assert len(pay_simulator.state.ledger.payments[created.payment_id].refunds) == 1


async def test_a_case_cancelled_before_payment_stops_the_payment(
    payments_service: Any, pay_simulator: Any, payment_requested: Any, publish: Any, events_of: Any
) -> None:
    await payments_service()
    request = payment_requested()
    await publish(request)
    [created] = await events_of(PaymentCreated)
    case_id = uuid.uuid4()
    # What cases emits for a booking cancelled while awaiting payment (not paid: no refund asked).
    await publish(
        CaseStatusChanged(
            source="cases",
            subject=request.subject,
            case_id=case_id,
            case_type="bulky_waste",
            old_status="awaiting_payment",
            new_status="cancelled",
            reason="resident cancelled the booking",
            notify_resident=True,
        ),
        CaseClosed(
            source="cases",
            subject=request.subject,
            case_id=case_id,
            case_type="bulky_waste",
            outcome="cancelled",
            refund_requested=False,
            notify_resident=False,
        ),
    )
    [failed] = await events_of(PaymentFailed)
    assert (failed.payment_id, failed.state, failed.failure_code) == (
        created.payment_id,
        "cancelled",
        "P0040",
    )
    assert pay_simulator.state.ledger.payments[created.payment_id].refunds == []
