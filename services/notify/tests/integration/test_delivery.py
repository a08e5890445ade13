"""Delivery end to end: Kafka in, provider out, receipts back, `notify.delivery.v1` out."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.envelope import decode
from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from notify.adapters.providers.base import DeliveryProvider, OutgoingMessage, ProviderReceipt
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration


async def delivery_events(read_records: Any, kit: Any, count: int) -> list[Any]:
    records = await read_records(kit.prefix + "notify.delivery.v1", count, timeout=90)
    return [decode(r.headers, r.value) for r in records]


async def test_a_status_change_reaches_the_resident_by_email_and_its_receipt_the_timeline(
    notify_kit: Any, read_records: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(notify, "delivered"), timeout=90)
    row = rows[0]
    assert (row["channel"], row["provider"], row["caused_by"]) == (
        "email",
        "govuk-notify",
        changed.event_id,
    )
    [sent] = notify_kit.at_simulator(str(row["id"]))
    assert sent["email_address"] == "resident@example.com"
    assert sent["subject"] == "We will come back for your bin WST-2026-004211"
    assert "WST-2026-004211" in sent["body"]
    assert "/v1/status/WST-2026-004211#token=" in sent["body"]
    events = await delivery_events(read_records, notify_kit, 2)
    assert [type(e) for e in events] == [NotificationSent, NotificationDelivered]
    assert all(e.subject == "WST-2026-004211" for e in events)
    assert events[0].provider_reference == sent["id"]
    assert events[0].template_id == "case_status_changed.missed_bin.return_visit_scheduled"


async def test_the_same_status_change_delivered_twice_sends_one_message(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="sms")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, changed, changed)
        rows = await eventually(lambda: _with_status(notify, "delivered"), timeout=90)
    # A second consumer group replays the topic from the start: still one message. A marker
    # on the same key (so the same partition, after them) tells when the replay is through.
    marker = changed.model_copy(update={"event_id": uuid.uuid4(), "notify_resident": False})
    await notify_kit.publish(marker)
    async with notify_kit.service(consumer_group=notify_kit.prefix + "replay") as notify:
        await eventually(lambda: notify.has_applied(marker.event_id), timeout=90)
        await notify.dispatcher.drain()
        assert len(await notify.notifications()) == 1
    sms = notify_kit.at_simulator(str(rows[0]["id"]))
    assert len(sms) == 1
    assert sms[0]["phone_number"] == "+447700900123"
    assert len(notify_kit.simulator.simulator.notifications) == 1


async def test_email_by_smtp_when_smtp_is_the_email_provider(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="smtp.resident@example.com")
    changed = notify_kit.case_status_changed(resident.resident_id, "WST-2026-000777")
    async with notify_kit.service(email_providers=("smtp",)) as notify:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(notify, "sent"), timeout=90)
    [message] = notify_kit.smtp.to("smtp.resident@example.com")
    assert message.subject == "We will come back for your bin WST-2026-000777"
    assert message.headers["X-Notification-Reference"] == str(rows[0]["id"])
    assert rows[0]["provider"] == "smtp"


async def test_a_bounced_email_falls_back_to_sms_and_both_are_recorded(
    notify_kit: Any, read_records: Any, eventually: Any
) -> None:
    # Notify accepts the email, then its receipt says permanent-failure: fall back to SMS.
    resident = notify_kit.resident(channel="email", email="perm-fail@simulator.notify")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(notify, "delivered"), timeout=90)
    row = rows[0]
    assert (row["channel"], row["tried_channels"]) == ("sms", ["email"])
    at_notify = notify_kit.at_simulator(str(row["id"]))
    assert sorted(n["type"] for n in at_notify) == ["email", "sms"]
    events = await delivery_events(read_records, notify_kit, 4)
    assert [(type(e).__name__, e.channel) for e in events] == [
        ("NotificationSent", "email"),
        ("NotificationFailed", "email"),
        ("NotificationSent", "sms"),
        ("NotificationDelivered", "sms"),
    ]
    assert isinstance(events[1], NotificationFailed)
    assert events[1].failure == "permanent-failure"


async def test_an_address_smtp_refuses_falls_back_to_sms_at_once(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="gone@bounce.example")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service(email_providers=("smtp",)) as notify:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(notify, "delivered"), timeout=90)
    assert (rows[0]["channel"], rows[0]["tried_channels"]) == ("sms", ["email"])
    assert notify_kit.smtp.messages == []


async def test_a_crash_after_notify_took_the_message_does_not_send_it_again(
    notify_kit: Any,
    read_records: Any,
    eventually: Any,
    crash_after_send: Any,
) -> None:
    # No receipts: only the recovery's lookup at Notify can learn that the message went.
    notify_kit.simulator.simulator.config.callback_url = None
    resident = notify_kit.resident(channel="sms")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service(wrap=lambda p: crash_after_send(p), sending_lease_s=600) as first:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(first, "sending"), timeout=90)
        await eventually(lambda: len(notify_kit.simulator.simulator.notifications) == 1)
    notification_id = str(rows[0]["id"])
    # The process 'died' with the row `sending`; time passes and its lease runs out.
    await _expire_leases(notify_kit)
    async with notify_kit.service() as second:
        recovered = await eventually(lambda: _with_status(second, "sent"), timeout=90)
    assert len(notify_kit.at_simulator(notification_id)) == 1
    assert len(notify_kit.simulator.simulator.notifications) == 1
    at_notify = notify_kit.at_simulator(notification_id)[0]
    assert recovered[0]["provider_reference"] == at_notify["id"]
    [sent] = [
        e
        for e in await delivery_events(read_records, notify_kit, 1)
        if isinstance(e, NotificationSent)
    ]
    assert sent.provider_reference == at_notify["id"]


async def test_a_crash_after_smtp_took_the_message_is_recorded_not_resent(
    notify_kit: Any, eventually: Any, crash_after_send: Any
) -> None:
    resident = notify_kit.resident(channel="email", phone=None)
    changed = notify_kit.case_status_changed(resident.resident_id)
    overrides = {"email_providers": ("smtp",)}
    async with notify_kit.service(
        wrap=lambda p: crash_after_send(p), sending_lease_s=600, **overrides
    ) as first:
        await notify_kit.publish(resident, changed)
        await eventually(lambda: _with_status(first, "sending"), timeout=90)
        await eventually(lambda: len(notify_kit.smtp.messages) == 1)
    await _expire_leases(notify_kit)
    async with notify_kit.service(**overrides) as second:
        rows = await eventually(lambda: _with_status(second, "technical-failure"), timeout=90)
    assert "outcome unknown" in rows[0]["detail"]
    assert len(notify_kit.smtp.messages) == 1


async def _with_status(notify: Any, status: str) -> list[dict[str, Any]]:
    return [row for row in await notify.notifications() if row["status"] == status]


async def _expire_leases(kit: Any) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(kit.database_url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE notify_notification SET lease_until = now() WHERE status = 'sending'")
        )
    await engine.dispose()


class TakenOverDuringSend(DeliveryProvider):
    """Hands messages to the real provider; while the message to `victim` is with it, another
    claimant takes that message over (as if our lease had run out): its attempts move on."""

    def __init__(self, inner: DeliveryProvider, *, database_url: str, victim: str) -> None:
        self.inner, self.database_url, self.victim = inner, database_url, victim
        self.name = inner.name
        self.channels = inner.channels
        self.supports_lookup = inner.supports_lookup

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        receipt = await self.inner.send(message)
        if message.recipient == self.victim:
            engine = create_async_engine(self.database_url)
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text(
                        "UPDATE notify_notification SET attempts = attempts + 1 WHERE id = :id"
                    ),
                    {"id": uuid.UUID(message.reference)},
                )
            await engine.dispose()
        return receipt

    async def find(self, reference: str) -> ProviderReceipt | None:
        return await self.inner.find(reference)


async def test_a_batch_records_only_the_hand_overs_still_its_own(
    notify_kit: Any, eventually: Any
) -> None:
    # The batch's one UPDATE records `sent` only for rows still `sending` under its own claim;
    # a row another claimant took over meanwhile is left to that claimant, and no event says
    # it was sent.
    notify_kit.simulator.simulator.config.callback_url = None
    kept = notify_kit.resident(email="kept@example.com")
    taken = notify_kit.resident(email="taken@example.com")
    events = [
        notify_kit.case_status_changed(kept.resident_id, "WST-2026-000101"),
        notify_kit.case_status_changed(taken.resident_id, "WST-2026-000102"),
    ]
    async with notify_kit.service(
        wrap=lambda p: TakenOverDuringSend(
            p, database_url=notify_kit.database_url, victim="taken@example.com"
        ),
        dispatcher_enabled=False,
    ) as notify:
        await notify_kit.publish(kept, taken, *events)
        for event in events:
            await eventually(lambda event=event: notify.has_applied(event.event_id), timeout=90)
        await notify.dispatcher.drain()  # one batch: both claimed, both handed over
        rows = {row["caused_by"]: row for row in await notify.notifications()}
        async with notify.app.state.runtime.engine.connect() as connection:
            announced = await connection.scalar(
                sa.text("SELECT count(*) FROM outbox WHERE event_type = :type"),
                {"type": NotificationSent.ce_type},
            )
    mine, other = rows[events[0].event_id], rows[events[1].event_id]
    assert (mine["status"], mine["attempts"]) == ("sent", 1)
    assert mine["provider_reference"] == notify_kit.at_simulator(str(mine["id"]))[0]["id"]
    assert (other["status"], other["attempts"], other["provider_reference"]) == ("sending", 2, None)
    assert announced == 1


async def test_hand_overs_made_moments_apart_are_recorded_by_one_transaction(
    notify_kit: Any, eventually: Any
) -> None:
    # Three status changes, each consumed (and claimed, and handed over) on its own, a moment
    # apart: one record transaction, so one `sent_at` (the record's clock reading) for all three.
    notify_kit.simulator.simulator.config.callback_url = None
    resident = notify_kit.resident()
    changes = [
        notify_kit.case_status_changed(resident.resident_id, f"WST-2026-00040{i}") for i in range(3)
    ]
    async with notify_kit.service() as notify:
        notify.dispatcher.policy = dataclasses.replace(
            notify.dispatcher.policy, record_together_s=5.0
        )
        await notify_kit.publish(resident)
        for event in changes:
            await notify_kit.publish(event)
            await eventually(lambda event=event: notify.has_applied(event.event_id), timeout=90)
        rows = await eventually(lambda: _all_with_status(notify, "sent", expected=3), timeout=90)
    assert len({row["created_at"] for row in rows}) == 3  # three consumer transactions
    assert len({row["sent_at"] for row in rows}) == 1  # one record
    assert len(notify_kit.simulator.simulator.notifications) == 3


async def _all_with_status(notify: Any, status: str, expected: int) -> list[dict[str, Any]]:
    rows = await _with_status(notify, status)
    return rows if len(rows) == expected else []
