"""Bulky waste and chargeable bins: the payment gate, failure, success and a refunded cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cases_factories import (
    T0,
    bearer,
    collection_completed,
    form_submitted,
    payment_created,
    payment_failed,
    payment_succeeded,
)
from civic_events.cases import CaseClosed, CaseStatusChanged
from civic_events.payments import PaymentRequested

pytestmark = pytest.mark.integration


async def test_a_bulky_waste_booking_waits_for_payment_then_is_booked_and_collected(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted(form_id="bulky-waste", answers={"item_count": 4})
    reference = submitted.subject
    async with kit.running() as (app, client):
        await kit.open_case(app, submitted)
        requested = [
            e for e in await kit.events("payments.v1", 1) if isinstance(e, PaymentRequested)
        ]
        assert len(requested) == 1
        first = requested[0]
        assert (first.amount, first.service_code, first.subject) == (
            4_500,
            "bulky_waste",
            reference,
        )

        await kit.produce(payment_failed(reference, first.payment_request_id, first.amount))

        async def status_is(expected: str) -> Any:
            row = await kit.case_row(app, reference)
            return row.status == expected

        await eventually(lambda: status_is("payment_failed"))
        # An officer asks again: a new request, a new PaymentRequested.
        again = await client.post(
            f"/v1/cases/{reference}/status",
            headers=bearer("waste-officer"),
            json={"status": "awaiting_payment", "note": "resident asked to try again"},
        )
        assert again.status_code == 200, again.text
        requests = [
            e for e in await kit.events("payments.v1", 3) if isinstance(e, PaymentRequested)
        ]
        second = requests[1]
        assert second.payment_request_id != first.payment_request_id and second.amount == 4_500

        # A late success for the first request does not book; the second one does.
        await kit.produce(
            payment_succeeded(
                reference, first.payment_request_id, first.amount, at=T0 + timedelta(minutes=9)
            ),
            payment_succeeded(
                reference, second.payment_request_id, second.amount, at=T0 + timedelta(minutes=10)
            ),
        )
        await eventually(lambda: status_is("booked"))
        await kit.produce(collection_completed(reference, at=T0 + timedelta(days=3)))
        await eventually(lambda: status_is("closed"))
        assert await kit.outbox_types(app, reference) == [
            "CaseOpened",
            "CaseStatusChanged",
            "PaymentRequested",
            "CaseStatusChanged",  # payment_failed
            "CaseStatusChanged",
            "PaymentRequested",  # awaiting_payment again
            "CaseStatusChanged",  # booked
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseClosed",  # collected, closed
        ]
        timeline = await kit.timeline(app, reference)
        assert sum(1 for e in timeline if e.kind == "payment") >= 4
        assert any("earlier request" in e.summary for e in timeline if e.kind == "update_ignored")


async def test_a_resident_paying_again_puts_the_booking_back_to_awaiting_payment(
    kit: Any, eventually: Any
) -> None:
    submitted = form_submitted(form_id="bulky-waste", answers={"item_count": 4})
    reference = submitted.subject
    async with kit.running() as (app, _):
        await kit.open_case(app, submitted)
        first = next(
            e for e in await kit.events("payments.v1", 1) if isinstance(e, PaymentRequested)
        )
        request, amount = first.payment_request_id, first.amount

        async def status_is(expected: str) -> Any:
            return (await kit.case_row(app, reference)).status == expected

        await kit.produce(payment_failed(reference, request, amount))
        await eventually(lambda: status_is("payment_failed"))
        # payments made a new payment for the same request (the resident pressed "Try again").
        await kit.produce(payment_created(reference, request, amount))
        await eventually(lambda: status_is("awaiting_payment"))
        # A second decline is a change the resident hears of, like the first.
        await kit.produce(payment_failed(reference, request, amount, at=T0 + timedelta(minutes=20)))
        await eventually(lambda: status_is("payment_failed"))
        assert await kit.outbox_types(app, reference) == [
            "CaseOpened",
            "CaseStatusChanged",
            "PaymentRequested",  # the only request: paying again reuses it
            "CaseStatusChanged",  # payment_failed
            "CaseStatusChanged",  # awaiting_payment (silent)
            "CaseStatusChanged",  # payment_failed again
        ]
        changes = [
            e for e in await kit.events("cases.lifecycle.v1", 5) if isinstance(e, CaseStatusChanged)
        ]
        assert [(c.new_status, c.notify_resident) for c in changes[-3:]] == [
            ("payment_failed", True),
            ("awaiting_payment", False),
            ("payment_failed", True),
        ]


async def test_cancelling_a_paid_booking_asks_for_a_refund(kit: Any, eventually: Any) -> None:
    submitted = form_submitted(form_id="replacement-bin", answers={"bin_type": "garden"})
    reference = submitted.subject
    async with kit.running() as (app, client):
        await kit.open_case(app, submitted)
        requested = [
            e for e in await kit.events("payments.v1", 1) if isinstance(e, PaymentRequested)
        ]
        assert requested[0].amount == 4_000
        paid = payment_succeeded(reference, requested[0].payment_request_id, 4_000)
        await kit.produce(paid)

        async def booked() -> Any:
            return (await kit.case_row(app, reference)).status == "booked"

        await eventually(booked)
        before_cancelling = datetime.now(UTC)
        cancel = await client.post(
            f"/v1/cases/{reference}/status",
            headers=bearer("waste-officer"),
            json={"status": "cancelled", "note": "resident no longer needs it"},
        )
        assert cancel.status_code == 200, cancel.text
        events = await kit.events("cases.lifecycle.v1", 5)
        closed = [e for e in events if isinstance(e, CaseClosed)]
        assert len(closed) == 1 and closed[0].refund_requested and closed[0].outcome == "cancelled"
        changes = [e for e in events if isinstance(e, CaseStatusChanged)]
        last_change = changes[-1]
        assert (last_change.new_status, last_change.changed_by) == ("cancelled", "waste-officer")
        # Time to tell: from the payment for the booking, from the officer's action for the rest.
        assert changes[-2].new_status == "booked"
        assert changes[-2].triggered_at == paid.occurred_at
        assert last_change.triggered_at is not None
        assert before_cancelling <= last_change.triggered_at <= datetime.now(UTC)
        assert closed[0].triggered_at == last_change.triggered_at


async def test_a_payment_after_cancellation_asks_for_a_refund(kit: Any, eventually: Any) -> None:
    submitted = form_submitted(form_id="bulky-waste", answers={"item_count": 2})
    reference = submitted.subject
    async with kit.running() as (app, client):
        await kit.open_case(app, submitted)
        requested = [
            e for e in await kit.events("payments.v1", 1) if isinstance(e, PaymentRequested)
        ]
        cancel = await client.post(
            f"/v1/cases/{reference}/status",
            headers=bearer("waste-officer"),
            json={"status": "cancelled", "note": "changed their mind"},
        )
        assert cancel.status_code == 200
        await kit.produce(payment_succeeded(reference, requested[0].payment_request_id, 3_500))

        async def paid() -> Any:
            return (await kit.case_row(app, reference)).paid

        await eventually(paid)
        # Opened, awaiting payment, cancelled, closed; then closed again asking for the refund
        # (all five awaited: the relay may publish the last just after `paid` is seen).
        closures = [
            e for e in await kit.events("cases.lifecycle.v1", 5) if isinstance(e, CaseClosed)
        ]
        assert [c.refund_requested for c in closures] == [False, True]
        assert (await kit.case_row(app, reference)).status == "cancelled"
