"""Flow 5 of DESIGN.md: the officer's view of a resident — one timeline of everything.

A resident books and pays for a bulky-waste collection and reports a missed bin; the officer
opening the resident in the CRM sees, in one timeline, both submissions, every status change,
every notification with its delivery state, and the payment.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_platform import Platform
from flows import booking, case_reaches, normal_uprn, pay, payment_links, report_missed_bin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_the_officer_sees_submissions_changes_notifications_and_payments_in_one_timeline(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    bulky = (await platform.submit("bulky-waste", booking(new_resident)))["reference"]
    await platform.confirm_contact(new_resident["email"])
    await case_reaches(platform, eventually, bulky, "awaiting_payment")
    await pay(
        platform, (await payment_links(platform, eventually, new_resident["email"]))[0], "success"
    )
    await case_reaches(platform, eventually, bulky, "booked")
    missed = await report_missed_bin(platform, new_resident, normal_uprn(), "email")
    missed_case = await case_reaches(platform, eventually, missed, "closed")
    resident_id = missed_case["resident_id"]
    bulky_case = await platform.case(bulky)
    assert bulky_case is not None and bulky_case["resident_id"] == resident_id, "one resident"

    async def complete() -> dict[str, Any] | None:
        view = await platform.resident(resident_id)
        entries = view["timeline"]
        delivered = [
            e
            for e in entries
            if e["kind"] == "notification" and (e.get("detail") or {}).get("state") == "delivered"
        ]
        # Every notification sent has come back delivered (the Notify simulator's receipts).
        sent = {
            (e.get("detail") or {}).get("notification_id")
            for e in entries
            if e["kind"] == "notification"
        }
        done = {(e.get("detail") or {}).get("notification_id") for e in delivered}
        # Six changes were told (received, link, booked; received, return visit, collected):
        # wait until the provider has all six and the timeline shows each one delivered.
        received = await platform.messages_to(new_resident["email"])
        return view if len(received) >= 6 and len(sent) == len(received) == len(done) else None

    view = await eventually(complete, timeout=60, interval=0.5)
    entries = view["timeline"]
    kinds = {e["kind"] for e in entries}
    assert {"submission", "status_changed", "notification", "payment"} <= kinds, kinds
    references = {e["case_reference"] for e in entries}
    assert {bulky, missed} <= references
    submissions = [e for e in entries if e["kind"] == "submission"]
    assert {e["case_reference"] for e in submissions} == {bulky, missed}
    changes = [
        e for e in entries if e["kind"] == "status_changed" and e["case_reference"] == missed
    ]
    assert len(changes) >= 2
    payments = [e for e in entries if e["kind"] == "payment" and e["case_reference"] == bulky]
    assert any("succe" in e["summary"].lower() or "paid" in e["summary"].lower() for e in payments)
    times = [e["occurred_at"] for e in entries]
    assert times == sorted(times) or times == sorted(times, reverse=True), "one ordered timeline"
    # What the resident received matches what the officer sees, one for one.
    received = await platform.messages_to(new_resident["email"])
    notifications = {
        (e.get("detail") or {}).get("notification_id")
        for e in entries
        if e["kind"] == "notification"
    }
    assert len(received) == len(notifications)
