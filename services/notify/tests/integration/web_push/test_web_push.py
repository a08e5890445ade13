"""Web push through pywebpush to a push service speaking the protocol (the loopback fake):
accepted → sent; an expired subscription (404/410) → recorded, and the next channel is tried.

The payment link is the message here because it is urgent: push, like SMS, is otherwise held
during quiet hours (the kit turns them off, but these tests do not rely on it).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from civic_events.envelope import decode
from civic_events.notify import NotificationFailed, NotificationSent
from civic_events.payments import PaymentCreated

pytestmark = pytest.mark.integration

VAPID_SUBJECT = "mailto:digital@council.example"


def payment_link(resident_id: uuid.UUID, reference: str) -> PaymentCreated:
    return PaymentCreated(
        source="payments",
        subject=reference,
        payment_request_id=uuid.uuid4(),
        payment_id="hu20sqlact5260q2nanm0q8u93",
        resident_id=resident_id,
        amount=3500,
        next_url="https://card.payments.service.gov.uk/secure/abc",
        expires_at=datetime.now(UTC) + timedelta(minutes=90),
    )


async def subscribed_resident(
    kit: Any, notify: Any, eventually: Any, subscription: dict[str, Any]
) -> uuid.UUID:
    """A resident from `residents.v1` who then chose push in the resident pages (our API)."""
    resident = kit.resident(channel="email", email="pushed@example.com", phone=None)
    await kit.publish(resident)

    async def known() -> bool:
        async with notify.app.state.runtime.engine.connect() as connection:
            return bool(
                await connection.scalar(
                    sa.text("SELECT count(*) FROM notify_resident WHERE resident_id = :id"),
                    {"id": resident.resident_id},
                )
            )

    await eventually(known, timeout=90)
    await notify.holds_case(resident.resident_id)  # a case of the officer's team
    async with httpx.AsyncClient(base_url=notify.base_url, headers=kit.as_officer) as client:
        answer = await client.patch(
            f"/residents/{resident.resident_id}/preferences",
            json={"preferred_channel": "push", "push_subscription": subscription},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["channel_order"] == ["push", "email"]
    return resident.resident_id


async def test_a_push_message_is_encrypted_for_the_subscription_and_signed_with_vapid(
    notify_kit: Any, push_service: Any, vapid_keys: Any, read_records: Any, eventually: Any
) -> None:
    private_key, public_key = vapid_keys
    subscriber = push_service.subscribe(answer=201)
    async with notify_kit.service(
        vapid_private_key=private_key, vapid_subject=VAPID_SUBJECT
    ) as notify:
        resident_id = await subscribed_resident(
            notify_kit, notify, eventually, subscriber.subscription
        )
        link = payment_link(resident_id, "BLK-2026-000555")
        await notify_kit.publish(link)

        async def sent() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident_id)
            return rows if rows and rows[0]["status"] == "sent" else []

        [row] = await eventually(sent, timeout=90)
    assert (row["channel"], row["provider"], row["tried_channels"]) == ("push", "push", [])
    [received] = push_service.to(subscriber)
    assert push_service.refused == []
    # Signed with our VAPID key, for this push service, naming the council.
    assert received.vapid_claims["k"] == public_key
    assert received.vapid_claims["aud"] == push_service.origin
    assert received.vapid_claims["sub"] == VAPID_SUBJECT
    # Kept for a browser that is offline (pywebpush's default TTL of 0 would let it be dropped).
    assert int(received.headers["ttl"]) == notify.settings.push_ttl_s == 172_800
    # Only the subscription's private key opens it: what the browser would show.
    content = subscriber.decrypt(received.body)
    assert content["title"] == "Pay for your booking BLK-2026-000555"
    assert "£35.00" in content["body"] and "card.payments.service.gov.uk" in content["body"]
    assert content["url"].startswith("http://127.0.0.1:8002/v1/status/BLK-2026-000555#token=")
    assert content["tag"] == str(row["id"])
    assert b"BLK-2026-000555" not in received.body  # encrypted on the wire
    records = await read_records(notify_kit.prefix + "notify.delivery.v1", 1, timeout=60)
    [event] = [decode(r.headers, r.value) for r in records]
    assert isinstance(event, NotificationSent)
    assert (event.channel, event.provider, event.notification_id) == ("push", "push", row["id"])


@pytest.mark.parametrize("gone", [404, 410])
async def test_an_expired_push_subscription_falls_back_to_the_next_channel(
    gone: int,
    notify_kit: Any,
    push_service: Any,
    vapid_keys: Any,
    read_records: Any,
    eventually: Any,
) -> None:
    private_key, _ = vapid_keys
    subscriber = push_service.subscribe(answer=gone)
    async with notify_kit.service(
        vapid_private_key=private_key, vapid_subject=VAPID_SUBJECT
    ) as notify:
        resident_id = await subscribed_resident(
            notify_kit, notify, eventually, subscriber.subscription
        )
        await notify_kit.publish(payment_link(resident_id, "BLK-2026-000556"))

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident_id)
            return rows if rows and rows[0]["status"] == "delivered" else []

        [row] = await eventually(delivered, timeout=90)
    assert (row["channel"], row["tried_channels"]) == ("email", ["push"])
    assert f"push subscription expired ({gone})" in row["history"][0]["detail"]
    assert len(push_service.to(subscriber)) == 1  # tried once, not retried
    [email] = notify_kit.at_simulator(str(row["id"]))
    assert email["email_address"] == "pushed@example.com"
    assert email["subject"] == "Pay for your booking BLK-2026-000556"
    records = await read_records(notify_kit.prefix + "notify.delivery.v1", 3, timeout=60)
    events = [decode(r.headers, r.value) for r in records]
    assert [(type(e).__name__, e.channel) for e in events] == [
        ("NotificationFailed", "push"),
        ("NotificationSent", "email"),
        ("NotificationDelivered", "email"),
    ]
    assert isinstance(events[0], NotificationFailed)
    assert events[0].failure == "permanent-failure"


async def test_a_stored_endpoint_off_the_push_services_is_never_posted_to(
    notify_kit: Any, push_service: Any, vapid_keys: Any, read_records: Any, eventually: Any
) -> None:
    """A row that names another host (written before the rule, or by any other path) fails
    for good as its message goes out, and the next channel is tried."""
    private_key, _ = vapid_keys
    subscriber = push_service.subscribe(answer=201)
    async with notify_kit.service(
        vapid_private_key=private_key, vapid_subject=VAPID_SUBJECT
    ) as notify:
        resident_id = await subscribed_resident(
            notify_kit, notify, eventually, subscriber.subscription
        )
        # The same push service reached by another name of the loopback address: no browser's
        # push service, so refused, though the address would answer.
        elsewhere = subscriber.endpoint.replace("127.0.0.1", "127.1")
        async with notify.app.state.runtime.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "UPDATE notify_resident SET push_subscription = CAST(:s AS jsonb)"
                    " WHERE resident_id = :id"
                ),
                {
                    "s": json.dumps({**subscriber.subscription, "endpoint": elsewhere}),
                    "id": resident_id,
                },
            )
        await notify_kit.publish(payment_link(resident_id, "BLK-2026-000557"))

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident_id)
            return rows if rows and rows[0]["status"] == "delivered" else []

        [row] = await eventually(delivered, timeout=90)
    assert (row["channel"], row["tried_channels"]) == ("email", ["push"])
    assert "not a browser's push service" in row["history"][0]["detail"]
    assert push_service.received == [] and push_service.refused == []
    records = await read_records(notify_kit.prefix + "notify.delivery.v1", 1, timeout=60)
    first = decode(records[0].headers, records[0].value)
    assert isinstance(first, NotificationFailed) and first.failure == "permanent-failure"
