"""Emails and SMS to one recipient are limited per hour, counted in PostgreSQL: a message over the
limit is not sent, it ends failed saying why, and the metric counts it; the count outlives the
instance that made it. A message confirming a change of contact details has a limit of its own,
so it still goes out when case updates have used up the hour."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from civic_simulators.govuk_notify.server import free_port
from notify.domain.purposes import MessageRequest
from notify.service_layer.notifications import request_notification
from notify.service_layer.preferences import record_resident

pytestmark = pytest.mark.integration

FINISHED = {"sent", "delivered", "technical-failure", "permanent-failure"}
LIMITS = {
    "max_messages_per_recipient_per_hour": 2,
    "max_contact_change_messages_per_recipient_per_hour": 1,
}


def case_update(resident_id: uuid.UUID, n: int) -> MessageRequest:
    reference = f"WST-2026-{n:06d}"
    return MessageRequest(
        caused_by=uuid.uuid4(),
        resident_id=resident_id,
        purpose="case_opened",
        subject=reference,
        template_name="case_opened",
        category="case_updates",
        personalisation={
            "reference": reference,
            "case_type_name": "missed bin",
            "status_name": "received",
        },
    )


def contact_change(resident_id: uuid.UUID) -> MessageRequest:
    return MessageRequest(
        caused_by=uuid.uuid4(),
        resident_id=resident_id,
        purpose="contact_change",
        subject="WST-2026-000099",
        template_name="contact_change",
        category="account",
        personalisation={
            "changes": "phone",
            "confirm_url": "https://council.example/confirm#token=abc",
            "expires": "9am on 9 December",
            "reference": "WST-2026-000099",
        },
    )


async def ask(notify: Any, *requests: MessageRequest) -> None:
    async with notify.app.state.runtime.unit_of_work() as uow:
        for request in requests:
            await request_notification(session=uow.session, request=request)


async def finished(notify: Any, eventually: Any, resident_id: uuid.UUID, count: int) -> list[Any]:
    async def all_done() -> list[Any]:
        rows = await notify.notifications(resident_id=resident_id)
        done = [row for row in rows if row["status"] in FINISHED]
        return rows if len(rows) == count and len(done) == count else []

    return list(await eventually(all_done, timeout=60))


async def test_a_recipient_gets_at_most_the_limit_in_an_hour_whichever_instance_sends(
    notify_kit: Any, eventually: Any, http: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="flooded@example.com")
    async with notify_kit.service(consumer_enabled=False, **LIMITS) as first:
        async with first.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        await ask(first, case_update(resident.resident_id, 1), case_update(resident.resident_id, 2))
        rows = await finished(first, eventually, resident.resident_id, 2)
        assert {row["status"] for row in rows} <= {"sent", "delivered"}, [
            r["history"] for r in rows
        ]
    # Another instance (a new process: nothing in memory) finds the hour used up.
    async with (
        notify_kit.service(consumer_enabled=False, port=free_port(), **LIMITS) as second,
        http(second.base_url) as api,
    ):
        await ask(second, case_update(resident.resident_id, 3))
        rows = await finished(second, eventually, resident.resident_id, 3)
        metrics = (await api.get("/metrics")).text
    [limited] = [row for row in rows if row["status"] == "technical-failure"]
    assert "recipient limit" in limited["history"][-1]["detail"]
    assert "flooded@example.com" not in limited["history"][-1]["detail"]
    assert notify_kit.at_simulator(str(limited["id"])) == []
    sent = [row for row in rows if row["status"] != "technical-failure"]
    assert all(notify_kit.at_simulator(str(row["id"])) for row in sent)
    assert 'civic_notify_recipient_limited_total{channel="email"} 1.0' in metrics


async def test_the_same_address_in_another_case_is_the_same_recipient(
    notify_kit: Any, eventually: Any
) -> None:
    one = notify_kit.resident(channel="email", email="shared@example.com")
    other = notify_kit.resident(channel="email", email="SHARED@example.com")
    async with notify_kit.service(consumer_enabled=False, **LIMITS) as notify:
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=one)
            await record_resident(session=uow.session, event=other)
        await ask(notify, case_update(one.resident_id, 1), case_update(one.resident_id, 2))
        await finished(notify, eventually, one.resident_id, 2)
        await ask(notify, case_update(other.resident_id, 3))
        [row] = await finished(notify, eventually, other.resident_id, 1)
    assert row["status"] == "technical-failure"


async def test_a_contact_change_still_goes_out_under_a_limit_of_its_own(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="sms", phone="+447700900555")
    async with notify_kit.service(consumer_enabled=False, **LIMITS) as notify:
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        updates = [case_update(resident.resident_id, n) for n in (1, 2, 3)]
        await ask(notify, *updates)
        rows = await finished(notify, eventually, resident.resident_id, 3)
        assert sorted(row["status"] == "technical-failure" for row in rows) == [False, False, True]
        # The hour's case updates are used up: the confirmation link still goes out, once.
        await ask(notify, contact_change(resident.resident_id))
        rows = await finished(notify, eventually, resident.resident_id, 4)
        [confirm] = [row for row in rows if row["purpose"] == "contact_change"]
        assert confirm["status"] in ("sent", "delivered"), confirm["history"]
        await ask(notify, contact_change(resident.resident_id))
        rows = await finished(notify, eventually, resident.resident_id, 5)
    refused = [r for r in rows if r["purpose"] == "contact_change" and r["id"] != confirm["id"]]
    assert [r["status"] for r in refused] == ["technical-failure"]
    assert "recipient limit: 1 sms" in refused[0]["history"][-1]["detail"]
