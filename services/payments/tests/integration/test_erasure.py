"""An erased resident's payments keep the money facts and lose what a person wrote about them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentCreated, PaymentSucceeded
from civic_events.residents import ResidentErased

pytestmark = pytest.mark.integration

OFFICER = {"Authorization": "Bearer dev-officer-token"}
MONEY_FACTS = (
    "SELECT p.amount, p.status, p.case_reference, p.gateway_payment_id, p.description, "
    "p.created_at, r.amount AS refunded, r.status AS refund_status, r.gateway_refund_id "
    "FROM payments_payment p JOIN payments_refund r ON r.payment_id = p.id "
    "WHERE p.case_reference = :reference"
)


async def test_an_erasure_keeps_the_money_facts_and_drops_what_an_officer_wrote(
    flow: Any,
) -> None:
    service = await flow.start()
    resident_id = uuid.uuid4()
    theirs = flow.request(amount=5000, resident_id=resident_id)
    others = flow.request(amount=4000)
    reason = "Mrs Example at 12 Erasure Lane says the sofa was left behind"
    await flow.publish(theirs, others)
    created = {e.payment_request_id: e for e in await flow.events_of(PaymentCreated, 2)}
    for request in (theirs, others):
        payment_id = created[request.payment_request_id].payment_id
        await flow.pay.outcome(payment_id, "success")
        await flow.events_of(PaymentSucceeded, 1 if request is theirs else 2)
        refunded = await service.client.post(
            f"/payments/{payment_id}/refunds",
            json={"amount": 1000, "reason": reason},
            headers={**OFFICER, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert refunded.status_code == 201, refunded.text
    before = await service.rows(MONEY_FACTS, reference=theirs.subject)

    # cases names the resident; an erasure from cases also names their cases' references.
    erasure = ResidentErased(
        source="cases",
        subject=str(resident_id),
        resident_id=resident_id,
        reason="resident_request",
        references=(theirs.subject,),
    )
    await flow.publish(erasure)

    async def applied() -> bool:
        found = await service.rows("SELECT 1 FROM inbox WHERE event_id = :id", id=erasure.event_id)
        return bool(found)

    await flow.eventually(applied, timeout=30)
    assert await service.rows(MONEY_FACTS, reference=theirs.subject) == before
    reasons = {
        row.case_reference: row.reason
        for row in await service.rows(
            "SELECT p.case_reference, r.reason FROM payments_refund r "
            "JOIN payments_payment p ON p.id = r.payment_id"
        )
    }
    assert reasons == {theirs.subject: None, others.subject: reason}
