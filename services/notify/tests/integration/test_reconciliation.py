"""Reconciliation: a message handed to GOV.UK Notify whose receipt never comes back (the callback
is lost) is looked up at the provider after `reconcile_after_s`, and its state and
`notify.delivery.v1` catch up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from civic_events.cases import CaseStatusChanged
from civic_events.envelope import decode
from civic_events.notify import NotificationDelivered, NotificationSent
from civic_simulators.govuk_notify.server import free_port

pytestmark = pytest.mark.integration


async def test_a_message_whose_receipt_is_lost_is_reconciled_from_the_provider(
    notify_kit: Any, read_records: Any, eventually: Any
) -> None:
    # The simulator calls back to the kit's port; this instance listens elsewhere, so every
    # receipt is lost (the simulator keeps retrying into the void).
    async with notify_kit.service(port=free_port(), reconcile_after_s=0.5) as notify:
        sent, changed = await _delivered_without_receipt(notify_kit, notify, eventually)
        [delivered] = await eventually(lambda: _with_status(notify, "delivered"), timeout=30)
    assert delivered["id"] == sent["id"]
    assert notify_kit.simulator.simulator.callbacks_delivered == []
    records = await read_records(notify_kit.prefix + "notify.delivery.v1", 2, timeout=60)
    events = [decode(r.headers, r.value) for r in records]
    assert [type(e) for e in events] == [NotificationSent, NotificationDelivered]
    assert events[1].subject == changed.subject


async def test_a_message_is_not_looked_up_before_reconcile_after_s(
    notify_kit: Any, eventually: Any
) -> None:
    async with notify_kit.service(port=free_port(), reconcile_after_s=3600) as notify:
        await _delivered_without_receipt(notify_kit, notify, eventually)
        await asyncio.sleep(2)  # forty dispatcher passes
        assert [row["status"] for row in await notify.notifications()] == ["sent"]


async def _delivered_without_receipt(
    notify_kit: Any, notify: Any, eventually: Any
) -> tuple[dict[str, Any], CaseStatusChanged]:
    """A status change handed to the provider, which has delivered it; no receipt has come."""
    resident = notify_kit.resident(channel="email")
    changed = notify_kit.case_status_changed(resident.resident_id)
    await notify_kit.publish(resident, changed)
    [sent] = await eventually(lambda: _with_status(notify, "sent"), timeout=60)
    await eventually(
        lambda: [n["status"] for n in notify_kit.at_simulator(str(sent["id"]))] == ["delivered"],
        timeout=30,
    )
    assert notify_kit.simulator.simulator.callbacks_delivered == []
    return sent, changed


async def _with_status(notify: Any, status: str) -> list[dict[str, Any]]:
    return [row for row in await notify.notifications() if row["status"] == status]
