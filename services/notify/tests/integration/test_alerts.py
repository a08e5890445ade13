"""Neighbour planning alerts (ConsultationStarted) and payment reminders (PaymentFailed)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from civic_events.cases import CaseStatusChanged
from civic_events.contact import Coordinates
from civic_events.payments import PaymentFailed
from civic_events.planning import ConsultationStarted
from civic_events.residents import ContactPreferencesChanged, ResidentUpserted

pytestmark = pytest.mark.integration

SITE = Coordinates(latitude=51.2362, longitude=-0.5704)
METRES_PER_DEGREE_LATITUDE = 111_195.0


def north_of_site(metres: float) -> Coordinates:
    return Coordinates(
        latitude=SITE.latitude + metres / METRES_PER_DEGREE_LATITUDE, longitude=SITE.longitude
    )


def neighbour(
    kit: Any, email: str, *, metres: float, planning_alerts: bool, radius: int | None = None
) -> tuple[ResidentUpserted, ContactPreferencesChanged]:
    resident = kit.resident(channel="email", email=email).model_copy(
        update={"home_coordinates": north_of_site(metres)}
    )
    choices = ContactPreferencesChanged(
        source="cases",
        subject=str(resident.resident_id),
        resident_id=resident.resident_id,
        preferred_channel="email",
        case_updates=True,
        disruption_alerts=True,
        planning_alerts=planning_alerts,
        planning_alert_radius_metres=radius,
    )
    return resident, choices


def consultation(reference: str, site: Coordinates) -> ConsultationStarted:
    return ConsultationStarted(
        source="bops",
        subject=reference,
        starts_on=date(2026, 11, 30),
        ends_on=date(2026, 12, 21),
        site_coordinates=site,
    )


async def test_a_subscribed_neighbour_within_their_radius_is_told_once_and_no_one_else(
    notify_kit: Any, eventually: Any
) -> None:
    inside = neighbour(notify_kit, "inside@example.com", metres=300, planning_alerts=True)
    outside = neighbour(notify_kit, "outside@example.com", metres=800, planning_alerts=True)
    wider = neighbour(
        notify_kit, "wider@example.com", metres=800, planning_alerts=True, radius=1000
    )
    not_subscribed = neighbour(
        notify_kit, "unsubscribed@example.com", metres=50, planning_alerts=False
    )
    started = consultation("26/00123/FUL", SITE)
    # On the same key, after it: when this one is through, so are both copies of `started`.
    marker = consultation("26/00123/FUL", north_of_site(50_000))
    async with notify_kit.service() as notify:
        await notify_kit.publish(*inside, *outside, *wider, *not_subscribed)
        # The residents travel on another topic: the projection must hold them first.
        for _, choices in (inside, outside, wider, not_subscribed):
            await eventually(lambda e=choices.event_id: notify.has_applied(e), timeout=90)
        await notify_kit.publish(started, started, marker)
        await eventually(lambda: notify.has_applied(marker.event_id), timeout=90)

        async def told() -> list[dict[str, Any]]:
            rows = await notify.notifications(purpose="planning_nearby")
            return rows if len(rows) >= 2 and all(r["status"] == "delivered" for r in rows) else []

        rows = await eventually(told, timeout=90)
        await notify.dispatcher.drain()
        rows = await notify.notifications(purpose="planning_nearby")
    assert sorted(row["resident_id"] for row in rows) == sorted(
        [inside[0].resident_id, wider[0].resident_id]
    )
    assert {row["caused_by"] for row in rows} == {started.event_id}
    assert {row["subject"] for row in rows} == {"26/00123/FUL"}
    inside_row = next(row for row in rows if row["resident_id"] == inside[0].resident_id)
    [email] = notify_kit.at_simulator(str(inside_row["id"]))
    assert email["email_address"] == "inside@example.com"
    assert email["subject"] == "Planning application near you: 26/00123/FUL"
    assert "about 300 metres from your home" in email["body"]
    assert "until Monday 21 December 2026" in email["body"]
    assert "token=" not in email["body"]  # no link to the applicant's own case
    # Exactly one message each at the provider, however often the event came.
    at_notify = [
        n
        for n in notify_kit.simulator.simulator.notifications.values()
        if n["reference"] in {str(row["id"]) for row in rows}
    ]
    assert len(at_notify) == 2


async def test_a_failed_payment_reminds_the_resident_once_and_the_case_move_adds_nothing(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="booker@example.com")
    failed = PaymentFailed(
        source="payments",
        subject="BLK-2026-000321",
        payment_request_id=uuid.uuid4(),
        payment_id="hu20sqlact5260q2nanm0q8u93",
        resident_id=resident.resident_id,
        amount=3500,
        state="failed",
        failure_code="P0020",
    )
    # The same failure moves the case to payment_failed: the reminder already says it.
    case_moved = CaseStatusChanged(
        source="cases",
        subject="BLK-2026-000321",
        case_id=uuid.uuid4(),
        case_type="bulky_waste",
        resident_id=resident.resident_id,
        old_status="awaiting_payment",
        new_status="payment_failed",
        reason="payment failed (P0020)",
        notify_resident=True,
    )
    # The council cancelling the payment itself (the booking was cancelled): no reminder.
    cancelled_by_us = failed.model_copy(
        update={"event_id": uuid.uuid4(), "state": "cancelled", "failure_code": "P0040"}
    )
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, failed, failed, case_moved, cancelled_by_us)
        await eventually(lambda: notify.has_applied(cancelled_by_us.event_id), timeout=90)
        await eventually(lambda: notify.has_applied(case_moved.event_id), timeout=90)

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident.resident_id)
            return rows if rows and rows[0]["status"] == "delivered" else []

        rows = await eventually(delivered, timeout=90)
    assert [(row["purpose"], row["caused_by"]) for row in rows] == [
        ("payment_failed", failed.event_id)
    ]
    [email] = notify_kit.at_simulator(str(rows[0]["id"]))
    assert email["email_address"] == "booker@example.com"
    assert email["subject"] == "Your booking BLK-2026-000321 is not confirmed"
    assert "£35.00" in email["body"] and "the time allowed to pay ran out" in email["body"]
    assert "To pay again" in email["body"]
    assert "/v1/status/BLK-2026-000321#token=" in email["body"]
