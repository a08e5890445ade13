"""A lost webhook is settled by reconciliation from the gateway's own answer, once, by any instance."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentCreated, PaymentRefunded, PaymentSucceeded
from payments.service_layer.reconciliation import reconcile_once

pytestmark = pytest.mark.integration


def officer(key: str | None = None) -> dict[str, str]:
    """The officer's headers for a request, with an Idempotency-Key (a new one unless given)."""
    return {
        "Authorization": "Bearer dev-officer-token",
        "Idempotency-Key": key or str(uuid.uuid4()),
    }


async def test_a_lost_webhook_is_settled_by_the_reconciliation_job(flow: Any) -> None:
    service = await flow.start(
        reconcile_enabled=True, reconcile_after_s=0.5, reconcile_interval_s=0.1
    )
    created = await flow.created(flow.request())
    await flow.pay.drop_webhooks(10)

    await flow.pay.outcome(created.payment_id, "success")

    [succeeded] = await flow.events_of(PaymentSucceeded)
    assert succeeded.payment_id == created.payment_id
    deliveries = await flow.pay.deliveries()
    assert deliveries and all(d["dropped"] and not d["attempts"] for d in deliveries)

    async def counted() -> bool:
        metrics = (await service.client.get("/metrics")).text
        return 'civic_payments_reconciled_total{result="settled"} 1.0' in metrics

    await flow.eventually(counted)


async def test_several_instances_reconcile_each_payment_once(flow: Any) -> None:
    first = await flow.start(reconcile_after_s=0)
    second = await flow.start(reconcile_after_s=0, subscribe=False)
    await flow.pay.drop_webhooks(100)
    requests = [flow.request() for _ in range(6)]
    await flow.publish(*requests)
    created = await flow.events_of(PaymentCreated, 6)
    for event in created:
        await flow.pay.outcome(event.payment_id, "success")

    reports = await asyncio.gather(
        *(
            reconcile_once(unit_of_work=service.runtime.unit_of_work, context=service.context)
            for service in (first, second, first, second)
        )
    )
    assert sum(report.settled for report in reports) == 6
    assert sum(report.checked for report in reports) == 6

    await flow.events_of(PaymentSucceeded, 6)

    async def published() -> bool:
        rows = await first.rows("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return rows[0][0] == 0

    await flow.eventually(published)
    succeeded = [e for e in await flow.events() if isinstance(e, PaymentSucceeded)]
    assert sorted(e.payment_id for e in succeeded) == sorted(e.payment_id for e in created)


async def test_a_lost_refund_webhook_is_settled_by_reconciliation(flow: Any) -> None:
    service = await flow.start(
        reconcile_enabled=True, reconcile_after_s=0.3, reconcile_interval_s=0.1
    )
    created = await flow.finished(flow.request(amount=5000))
    await flow.pay.drop_webhooks(10)

    response = await service.client.post(
        f"/payments/{created.payment_id}/refunds",
        json={"amount": 2000, "reason": "one item not collected"},
        headers=officer(),
    )
    assert response.status_code == 201, response.text

    [refunded] = await flow.events_of(PaymentRefunded)
    assert (refunded.payment_id, refunded.amount) == (created.payment_id, 2000)
    assert refunded.refund_id == response.json()["refund_id"]
