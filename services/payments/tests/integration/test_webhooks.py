"""Gateway webhooks: signatures, replays and out-of-order deliveries, against the real stack."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentSucceeded
from payments.domain.signatures import sign

pytestmark = pytest.mark.integration

SECRET = "sim-webhook-secret"


def message(payment: dict[str, Any], event_type: str, status: str, **state: Any) -> bytes:
    resource = dict(
        payment,
        state={
            "status": status,
            "finished": status in {"success", "failed", "cancelled", "error"},
            **state,
        },
    )
    return json.dumps(
        {
            "webhook_message_id": uuid.uuid4().hex[:26],
            "created_date": "2026-11-28T18:00:00.000Z",
            "resource_id": payment["payment_id"],
            "api_version": 1,
            "resource_type": "payment",
            "event_type": event_type,
            "resource": resource,
        }
    ).encode()


async def created_payment(flow: Any) -> tuple[Any, PaymentCreated, dict[str, Any]]:
    # Webhooks in these tests are sent by the test itself, not by the simulator.
    service = await flow.start(subscribe=False)
    created = await flow.created(flow.request())
    resource = (
        await flow.pay.client.get(
            f"/v1/payments/{created.payment_id}", headers={"Authorization": "Bearer sim-api-key"}
        )
    ).json()
    return service, created, resource


async def status_of(service: Any, payment_id: str) -> str:
    [row] = await service.rows(
        "SELECT status FROM payments_payment WHERE gateway_payment_id = :id", id=payment_id
    )
    return str(row[0])


def one_digit_off(signature: str) -> str:
    """The signature with its last hex digit changed (always changed: never to the same digit)."""
    return signature[:-1] + ("1" if signature[-1] == "0" else "0")


async def test_unsigned_forged_and_tampered_webhooks_are_refused_and_write_nothing(
    flow: Any,
) -> None:
    service, created, resource = await created_payment(flow)
    body = message(resource, "card_payment_succeeded", "success")
    tampered = body.replace(b'"success"', b'"failed"', 1)
    attempts = [
        {},
        {"Pay-Signature": ""},
        {"Pay-Signature": sign(body, "not-the-secret")},
        {"Pay-Signature": one_digit_off(sign(body, SECRET))},
        {"Pay-Signature": sign(body, SECRET), "_body": tampered},
    ]
    for headers in attempts:
        content = headers.pop("_body", body)
        response = await service.client.post("/gateway/webhooks", content=content, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"

    assert await status_of(service, created.payment_id) == "created"
    # Anyone can send these, as fast as they like: counted in the metric, never a row.
    assert await service.rows("SELECT outcome FROM payments_webhook") == []

    signed = await service.client.post(
        "/gateway/webhooks", content=body, headers={"Pay-Signature": sign(body, SECRET)}
    )
    assert signed.json() == {"outcome": "applied"}
    assert await status_of(service, created.payment_id) == "success"
    metrics = (await service.client.get("/metrics")).text
    assert 'civic_payments_webhooks_total{outcome="rejected_signature"} 5.0' in metrics
    assert 'civic_payments_webhooks_total{outcome="applied"} 1.0' in metrics
    logged = await service.rows("SELECT outcome, signature_valid FROM payments_webhook")
    assert [tuple(r) for r in logged] == [("applied", True)]


async def test_a_replayed_webhook_changes_nothing_and_the_outcome_is_announced_once(
    flow: Any,
) -> None:
    service = await flow.start()
    await flow.finished(flow.request())

    async def delivered() -> list[dict[str, Any]]:
        return [d for d in await flow.pay.deliveries() if d["delivered"]]

    [delivery] = await flow.eventually(delivered)
    # The same signed bytes again: from the gateway's retry, and from an attacker who kept them.
    await flow.pay.client.post(f"/_sim/webhooks/{delivery['webhook_message_id']}/resend")
    replay = await service.client.post(
        "/gateway/webhooks",
        content=delivery["body"].encode(),
        headers={"Pay-Signature": delivery["signature"]},
    )
    assert replay.json() == {"outcome": "duplicate"}

    async def logged() -> list[Any]:
        rows = await service.rows("SELECT outcome FROM payments_webhook ORDER BY id")
        return rows if len(rows) == 3 else []

    assert [r[0] for r in await flow.eventually(logged)] == ["applied", "duplicate", "duplicate"]
    outcomes = [e for e in await flow.events() if isinstance(e, PaymentSucceeded)]
    assert len(outcomes) == 1


async def test_out_of_order_webhooks_never_move_a_payment_backwards(flow: Any) -> None:
    service, created, resource = await created_payment(flow)
    in_arrival_order = [
        message(resource, "card_payment_succeeded", "success"),
        message(resource, "card_payment_started", "started"),  # late
        message(
            resource, "card_payment_failed", "failed", code="P0010"
        ),  # contradicts a final state
    ]
    for body in in_arrival_order:
        response = await service.client.post(
            "/gateway/webhooks", content=body, headers={"Pay-Signature": sign(body, SECRET)}
        )
        assert response.json() == {"outcome": "applied"}
        assert await status_of(service, created.payment_id) == "success"

    await flow.events_of(PaymentSucceeded)

    await flow.settled(service)
    events = await flow.events()
    assert [type(e) for e in events if isinstance(e, PaymentSucceeded | PaymentFailed)] == [
        PaymentSucceeded
    ]


async def test_started_then_submitted_move_forward_before_the_outcome(flow: Any) -> None:
    service, created, resource = await created_payment(flow)
    for event_type, status in [
        ("card_payment_started", "submitted"),
        ("card_payment_started", "started"),
    ]:
        body = message(resource, event_type, status)
        await service.client.post(
            "/gateway/webhooks", content=body, headers={"Pay-Signature": sign(body, SECRET)}
        )
    assert await status_of(service, created.payment_id) == "submitted"
    body = message(
        resource, "card_payment_expired", "failed", code="P0020", message="Payment expired"
    )
    await service.client.post(
        "/gateway/webhooks", content=body, headers={"Pay-Signature": sign(body, SECRET)}
    )
    [failed] = await flow.events_of(PaymentFailed)
    assert (failed.state, failed.failure_code) == ("failed", "P0020")


async def test_a_malformed_signed_body_is_refused(flow: Any) -> None:
    service = await flow.start(subscribe=False)
    body = b'{"not": "a pay webhook"}'
    response = await service.client.post(
        "/gateway/webhooks", content=body, headers={"Pay-Signature": sign(body, SECRET)}
    )
    assert response.status_code == 400
    [row] = await service.rows("SELECT outcome, signature_valid FROM payments_webhook")
    assert tuple(row) == ("malformed", True)
