"""Service-disruption broadcasts: every opted-in household on the round, once, even across a crash."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from civic_events.residents import ContactPreferencesChanged
from civic_events.waste import ServiceDisruption
from notify.service_layer.broadcasts import load_rounds, read_rounds_csv

pytestmark = pytest.mark.integration

ROUND = "ROUND-TUE-07"


def disruption(kit: Any) -> ServiceDisruption:
    return kit.disruption(
        ROUND,
        disruption_id="DIS-2026-0042",
        affected_date=date(2026, 12, 1),
        bin_types=("refuse", "recycling"),
        expected_recovery_date=date(2026, 12, 3),
        public_message="Snow has closed the roads. Please leave your bins out.",
    )


async def test_a_broadcast_interrupted_by_a_crash_reaches_each_opted_in_household_once(
    notify_kit: Any, eventually: Any, crash_after_send: Any
) -> None:
    # 8 residents on the round by their record, 4 by the contractor's round data (UPRN),
    # one of them opted out, and one resident on another round.
    on_round = [
        notify_kit.resident(channel="email", email=f"r{i}@example.com", rounds=(ROUND,))
        for i in range(8)
    ]
    by_uprn = [
        notify_kit.resident(channel="sms", phone=f"+4477009001{i:02d}", email=None)
        for i in range(4)
    ]
    by_uprn = [
        r.model_copy(update={"contact": r.contact.model_copy(update={"uprn": f"10000{i}"})})
        for i, r in enumerate(by_uprn)
    ]
    elsewhere = notify_kit.resident(rounds=("ROUND-WED-01",))
    opted_out = on_round[0]
    opt_out = ContactPreferencesChanged(
        source="cases",
        subject=str(opted_out.resident_id),
        resident_id=opted_out.resident_id,
        preferred_channel="email",
        case_updates=True,
        disruption_alerts=False,
        planning_alerts=False,
    )
    wanted = {r.resident_id for r in on_round[1:] + by_uprn}
    households = read_rounds_csv(
        ["uprn,round,collection_day\n"]
        + [f"10000{i},{ROUND},Tuesday\n" for i in range(4)]
        + ["200001,ROUND-WED-01,Wednesday\n"]
    )

    async with notify_kit.service(
        wrap=lambda p: crash_after_send(p, fatal=4),
        dispatch_concurrency=1,
        dispatch_batch_size=2,
        sending_lease_s=600,
    ) as first:
        async with first.app.state.runtime.unit_of_work() as uow:
            assert await load_rounds(session=uow.session, households=households) == 5
        await notify_kit.publish(*on_round, *by_uprn, elsewhere, opt_out)
        await eventually(lambda: _projected(first, 14), timeout=90)
        await notify_kit.publish(disruption(notify_kit))
        # The process dies handing over the 4th message.
        await eventually(lambda: len(notify_kit.simulator.simulator.notifications) == 4)
        rows = await first.notifications()
        assert {r["resident_id"] for r in rows} == wanted
        broadcast_id = rows[0]["broadcast_id"]
        async with httpx.AsyncClient(base_url=first.base_url, headers=notify_kit.as_editor) as api:
            progress = (await api.get(f"/broadcasts/{broadcast_id}")).json()
        assert progress["recipients"] == 11 and progress["status"] == "sending"
        # Interrupted: at most the three messages before the fatal one (and the fatal one, by
        # its receipt) are recorded; the rest wait for the next process.
        assert progress["outstanding"] >= 7

    await _expire_leases(notify_kit)
    async with (
        notify_kit.service() as second,
        httpx.AsyncClient(base_url=second.base_url, headers=notify_kit.as_editor) as api,
    ):

        async def done() -> Any:
            progress = (await api.get(f"/broadcasts/{broadcast_id}")).json()
            return progress if progress["status"] == "done" else None

        final = await eventually(done, timeout=60)
    at_notify = list(notify_kit.simulator.simulator.notifications.values())
    references = [n["reference"] for n in at_notify]
    assert len(references) == len(set(references)) == 11
    assert final["outstanding"] == 0 and final["handled"] == 11
    counts = {
        channel: sum(by_status.values()) for channel, by_status in final["by_channel"].items()
    }
    assert counts == {"email": 7, "sms": 4}
    assert all("Snow has closed the roads" in n["body"] for n in at_notify)
    # The same disruption delivered again starts nothing new.
    async with notify_kit.service() as third:
        marker = disruption(notify_kit)
        await notify_kit.publish(notify_kit.sent_events[-1], marker)
        await eventually(lambda: _broadcasts(third, 2), timeout=90)
        await third.dispatcher.drain()
    assert len(notify_kit.simulator.simulator.notifications) == 22  # the marker is a new event


async def test_texts_held_for_the_quiet_hours_are_counted_apart(
    notify_kit: Any, eventually: Any
) -> None:
    now = datetime.now(ZoneInfo("Europe/London"))
    quiet_now = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    texted = notify_kit.resident(channel="sms", phone="+447700900555", email=None, rounds=(ROUND,))
    emailed = notify_kit.resident(channel="email", email="held@example.com", rounds=(ROUND,))
    async with (
        notify_kit.service(quiet_hours=quiet_now) as notify,
        httpx.AsyncClient(base_url=notify.base_url, headers=notify_kit.as_editor) as api,
    ):
        await notify_kit.publish(texted, emailed)
        await eventually(lambda: _projected(notify, 2), timeout=90)
        await notify_kit.publish(disruption(notify_kit))

        async def email_handled() -> Any:
            ids = (await api.get("/disruptions/DIS-2026-0042/broadcasts")).json()
            if not ids:
                return None
            progress = (await api.get(f"/broadcasts/{ids[0]}")).json()
            return progress if progress["handled"] == 1 else None

        progress = await eventually(email_handled, timeout=60)
    assert progress["status"] == "sending"
    assert progress["outstanding"] == 1
    assert progress["held_for_quiet_hours"] == 1
    assert progress["by_channel"]["sms"] == {"pending": 1}


async def _projected(notify: Any, count: int) -> bool:
    import sqlalchemy as sa

    async with notify.app.state.runtime.engine.connect() as connection:
        found = await connection.scalar(sa.text("SELECT count(*) FROM inbox"))
    return bool(found is not None and found >= count)


async def _broadcasts(notify: Any, count: int) -> bool:
    import sqlalchemy as sa

    async with notify.app.state.runtime.engine.connect() as connection:
        found = await connection.scalar(sa.text("SELECT count(*) FROM notify_broadcast"))
    return bool(found == count)


async def _expire_leases(kit: Any) -> None:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(kit.database_url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE notify_notification SET lease_until = now() WHERE status = 'sending'")
        )
    await engine.dispose()
