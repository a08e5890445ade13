"""The GOV.UK Pay adapter against the simulator over loopback HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from payments.adapters.gateway import (
    GatewayRejected,
    GatewayUnavailable,
    GovUkPayGateway,
    NewPayment,
    RefundAmountMismatch,
)

pytestmark = pytest.mark.integration


def new_payment(key: str, amount: int = 5000) -> NewPayment:
    return NewPayment(
        amount=amount,
        reference="WST-2026-000001",
        description="Bulky waste collection",
        return_url="http://127.0.0.1:8004/payments/return/t",
        language="en",
        metadata={"case_reference": "WST-2026-000001"},
        idempotency_key=key,
    )


async def test_create_look_up_refund_with_the_amount_available(pay_simulator: Any) -> None:
    gateway = GovUkPayGateway(base_url=pay_simulator.url, api_key="sim-api-key")
    try:
        key = str(uuid.uuid4())
        created = await gateway.create_payment(new_payment(key))
        assert (await gateway.create_payment(new_payment(key))).payment_id == created.payment_id
        with pytest.raises(GatewayRejected) as conflict:
            await gateway.create_payment(new_payment(key, amount=1))
        assert conflict.value.status == 409
        assert created.next_url and created.gateway_state.status == "created"

        await pay_simulator.outcome(created.payment_id, "success")
        paid = await gateway.get_payment(created.payment_id)
        assert paid.gateway_state.finished and paid.amount_available == 5000

        refund = await gateway.create_refund(
            created.payment_id, amount=5000, refund_amount_available=5000
        )
        assert refund.status == "submitted"
        with pytest.raises(RefundAmountMismatch):  # a second refund racing the first
            await gateway.create_refund(
                created.payment_id, amount=5000, refund_amount_available=5000
            )
        assert [r.refund_id for r in await gateway.list_refunds(created.payment_id)] == [
            refund.refund_id
        ]
    finally:
        await gateway.aclose()


async def test_a_wrong_key_is_refused_and_no_answer_is_unavailable(pay_simulator: Any) -> None:
    wrong = GovUkPayGateway(base_url=pay_simulator.url, api_key="wrong")
    nobody = GovUkPayGateway(base_url="http://127.0.0.1:9", api_key="sim-api-key", timeout_s=2)
    try:
        with pytest.raises(GatewayRejected) as refused:
            await wrong.get_payment("x")
        assert refused.value.status == 401
        with pytest.raises(GatewayUnavailable):
            await nobody.get_payment("x")
    finally:
        await wrong.aclose()
        await nobody.aclose()
