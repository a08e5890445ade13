"""Business metrics on /metrics: time to tell, and notifications by channel and outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from civic_events.residents import ContactPreferencesChanged
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def test_outcomes_are_counted_by_channel_and_time_to_tell_starts_at_the_trigger(
    notify_kit: Any, eventually: Any
) -> None:
    told_late = notify_kit.resident(channel="email", email="late@example.com")
    falls_back = notify_kit.resident(channel="email", email="perm-fail@simulator.notify")
    unreachable = notify_kit.resident(
        channel="email", email="perm-fail@simulator.notify", phone=None
    )
    opted_out = notify_kit.resident(channel="email", email="quiet@example.com")
    # The back-office event behind this change happened half an hour before: beyond every bucket.
    late = notify_kit.case_status_changed(told_late.resident_id, "WST-2026-000101").model_copy(
        update={"triggered_at": datetime.now(UTC) - timedelta(minutes=30)}
    )
    changes = [
        late,
        notify_kit.case_status_changed(falls_back.resident_id, "WST-2026-000102"),
        notify_kit.case_status_changed(unreachable.resident_id, "WST-2026-000103"),
        notify_kit.case_status_changed(opted_out.resident_id, "WST-2026-000104"),
    ]
    no_updates = ContactPreferencesChanged(
        source="cases",
        subject=str(opted_out.resident_id),
        resident_id=opted_out.resident_id,
        preferred_channel="email",
        case_updates=False,
        disruption_alerts=True,
        planning_alerts=False,
    )
    async with notify_kit.service() as notify:
        await notify_kit.publish(told_late, falls_back, unreachable, opted_out, no_updates)
        await notify_kit.publish(*changes)

        async def settled() -> bool:
            states = {row["subject"]: row["status"] for row in await notify.notifications()}
            return states == {
                "WST-2026-000101": "delivered",
                "WST-2026-000102": "delivered",
                "WST-2026-000103": "permanent-failure",
                "WST-2026-000104": "suppressed",
            }

        await eventually(settled, timeout=90)
        async with httpx.AsyncClient(base_url=notify.base_url) as client:
            text = (await client.get("/metrics")).text

    counted = samples(text, "civic_notify_notifications_total")
    expected = {
        (("channel", "email"), ("outcome", "sent")): 3,
        (("channel", "email"), ("outcome", "delivered")): 1,
        (("channel", "email"), ("outcome", "fallback")): 1,
        (("channel", "email"), ("outcome", "failed")): 1,
        (("channel", "none"), ("outcome", "suppressed")): 1,
        (("channel", "sms"), ("outcome", "sent")): 1,
        (("channel", "sms"), ("outcome", "delivered")): 1,
    }
    assert {labels: value for labels, value in counted.items() if value} == expected
    email = (("channel", "email"),)
    assert samples(text, "civic_notify_time_to_tell_seconds_count")[email] == 3
    assert samples(text, "civic_notify_time_to_tell_seconds_sum")[email] >= 30 * 60
    buckets = samples(text, "civic_notify_time_to_tell_seconds_bucket")
    # The two told at once fall within a minute; the one triggered half an hour ago does not.
    assert buckets[(("channel", "email"), ("le", "60.0"))] == 2
    assert buckets[(("channel", "email"), ("le", "+Inf"))] == 3
    assert samples(text, "civic_notify_time_to_tell_seconds_count")[(("channel", "sms"),)] == 1


async def test_a_redelivered_event_is_counted_once(notify_kit: Any, eventually: Any) -> None:
    resident = notify_kit.resident(channel="email")
    changed = notify_kit.case_status_changed(resident.resident_id)
    marker = changed.model_copy(update={"event_id": uuid.uuid4(), "notify_resident": False})
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, changed, changed, marker)

        async def through() -> bool:
            async with notify.app.state.runtime.engine.connect() as connection:
                seen = await connection.scalar(
                    sa.text("SELECT count(*) FROM inbox WHERE event_id = :id"),
                    {"id": marker.event_id},
                )
            rows = await notify.notifications()
            return bool(seen) and [row["status"] for row in rows] == ["delivered"]

        await eventually(through, timeout=90)
        async with httpx.AsyncClient(base_url=notify.base_url) as client:
            text = (await client.get("/metrics")).text
    counted = samples(text, "civic_notify_notifications_total")
    assert counted[(("channel", "email"), ("outcome", "sent"))] == 1
    assert counted[(("channel", "email"), ("outcome", "delivered"))] == 1
    assert samples(text, "civic_notify_time_to_tell_seconds_count")[(("channel", "email"),)] == 1


async def test_an_outcome_counts_only_when_its_transaction_commits(notify_kit: Any) -> None:
    from notify.adapters.metrics import count_after_commit

    async with notify_kit.service(consumer_enabled=False, dispatcher_enabled=False) as notify:
        runtime = notify.app.state.runtime
        registry = runtime.metrics.registry
        labels = {"channel": "push", "outcome": "fallback"}
        with pytest.raises(RuntimeError):
            async with runtime.unit_of_work() as uow:
                count_after_commit(uow.session, channel="push", outcome="fallback")
                raise RuntimeError("rolled back")
        assert not registry.get_sample_value("civic_notify_notifications_total", labels)
        async with runtime.unit_of_work() as uow:
            count_after_commit(uow.session, channel="push", outcome="fallback")
            assert not registry.get_sample_value("civic_notify_notifications_total", labels)
        assert registry.get_sample_value("civic_notify_notifications_total", labels) == 1
