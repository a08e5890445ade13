"""What operations see: outcomes on /metrics, and the retention job running in the service."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

pytestmark = pytest.mark.integration


def officer(key: str | None = None) -> dict[str, str]:
    """The officer's headers for a request, with an Idempotency-Key (a new one unless given)."""
    return {
        "Authorization": "Bearer dev-officer-token",
        "Idempotency-Key": key or str(uuid.uuid4()),
    }


async def samples(service: Any, name: str) -> dict[str, float]:
    """The samples of counter `name` on /metrics, by their labels' values."""
    response = await service.client.get("/metrics")
    assert response.status_code == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                found[",".join(sample.labels.values())] = sample.value
    return found


async def test_payment_outcomes_are_counted_on_metrics(flow: Any) -> None:
    service = await flow.start()
    assert await samples(service, "civic_payments_outcomes_total") == {}
    paid, unpaid = flow.request(amount=1500), flow.request()
    await flow.publish(paid, unpaid)
    created = {e.payment_request_id: e for e in await flow.events_of(PaymentCreated, 2)}
    await flow.pay.outcome(created[paid.payment_request_id].payment_id, "success")
    await flow.pay.outcome(created[unpaid.payment_request_id].payment_id, "failed")
    await flow.events_of(PaymentSucceeded)
    await flow.events_of(PaymentFailed)

    refund = await service.client.post(
        f"/payments/{created[paid.payment_request_id].payment_id}/refunds",
        json={},
        headers=officer(),
    )
    assert refund.status_code == 201
    await flow.events_of(PaymentRefunded)

    assert await samples(service, "civic_payments_outcomes_total") == {
        "succeeded": 1.0,
        "failed": 1.0,
        "refunded": 1.0,
    }


async def test_the_retention_job_prunes_the_webhook_log_in_the_running_service(flow: Any) -> None:
    service = await flow.start(retention_interval_s=0.2, webhook_log_retention_days=1)
    await flow.finished(flow.request())
    async with service.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO payments_webhook (received_at, signature_valid, outcome)"
                " VALUES (now() - interval '2 days', true, 'applied'),"
                " (now() - interval '23 hours', true, 'applied')"
            )
        )
        await connection.execute(text("UPDATE inbox SET processed_at = now() - interval '91 days'"))

    async def pruned() -> bool:
        old = await service.rows(
            "SELECT count(*) FROM payments_webhook WHERE received_at < now() - interval '1 day'"
        )
        inbox = await service.rows("SELECT count(*) FROM inbox")
        return old[0][0] == 0 and inbox[0][0] == 0

    await flow.eventually(pruned, timeout=15)
    recent = await service.rows("SELECT count(*) FROM payments_webhook")
    assert recent[0][0] >= 2  # the day-old row and the webhooks just received are kept
    counted = await samples(service, "civic_payments_pruned_rows_total")
    assert counted["payments_webhook"] >= 1 and counted["inbox"] >= 1
    assert await service.rows("SELECT count(*) FROM payments_payment") == [(1,)]
