"""Flow 3 of DESIGN.md: a paid bulky-waste booking, paid, failed and refunded, across all services.

The resident books through intake; cases asks for payment; payments creates it with the
gateway (the GOV.UK Pay simulator); notify sends the link; the resident follows the link and
pays (or the card is declined) on the simulator's hosted page; the gateway's signed webhook
settles the payment; the case moves and the resident is told — once per change.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_platform import Platform
from flows import booking, case_reaches, pay, payment_links, press

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_a_paid_booking_is_confirmed_and_the_resident_told_once_per_change(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    receipt = await platform.submit("bulky-waste", booking(new_resident))
    await platform.confirm_contact(new_resident["email"])
    reference = receipt["reference"]
    await case_reaches(platform, eventually, reference, "awaiting_payment")
    email = new_resident["email"]

    link_message = (await payment_links(platform, eventually, email))[0]
    assert reference in link_message["body"] or reference in (link_message.get("subject") or "")

    await pay(platform, link_message, "success")
    case = await case_reaches(platform, eventually, reference, "booked")

    # Let stragglers arrive, then count: exactly one message per change the resident hears of.
    async def settled() -> list[dict[str, Any]] | None:
        found = await platform.messages_to(email)
        bodies = " ".join(m["body"].lower() for m in found)
        return found if "booked" in bodies or "confirmed" in bodies else None

    messages = await eventually(settled, timeout=45, interval=0.3)
    assert all(m["type"] == "email" for m in messages)
    assert len({m["body"] for m in messages}) == len(messages), "a message was sent twice"
    assert all(reference in (m["body"] + (m.get("subject") or "")) for m in messages)

    timeline = " ".join(str(entry) for entry in case["timeline"]).lower()
    assert "payment" in timeline
    assert case["status"] == "booked"


async def test_a_declined_card_leaves_the_booking_unconfirmed_and_the_resident_can_pay_again(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    receipt = await platform.submit("bulky-waste", booking(new_resident, channel="email"))
    await platform.confirm_contact(new_resident["email"])
    reference = receipt["reference"]
    await case_reaches(platform, eventually, reference, "awaiting_payment")
    first = (await payment_links(platform, eventually, new_resident["email"]))[0]
    returned = await pay(platform, first, "failed")
    assert returned.headers["X-Payment-Outcome"] == "failed"
    await case_reaches(platform, eventually, reference, "payment_failed")

    # The resident is reminded that the booking is not confirmed...
    async def reminded() -> list[dict[str, Any]]:
        return [
            m
            for m in await platform.messages_to(new_resident["email"])
            if "not confirmed" in m["body"].lower() or "did not go through" in m["body"].lower()
        ]

    assert await eventually(reminded, timeout=45, interval=0.3)
    # ...and can try again from our return page, which starts a new payment with the gateway.
    retry = re.search(r'<form[^>]*action="([^"]*retry[^"]*)"', returned.text)
    assert retry, returned.text
    page = await platform.http.post(
        f"{platform.urls['payments']}{retry.group(1)}", follow_redirects=True
    )
    back = await press(platform, page, "success")
    assert back.headers["X-Payment-Outcome"] == "paid"
    await case_reaches(platform, eventually, reference, "booked")
    succeeded = [
        e
        for e in await platform.events("payments.v1", subject=reference)
        if type(e).__name__ == "PaymentSucceeded"
    ]
    assert len(succeeded) == 1


async def test_a_cancelled_booking_is_refunded_in_full(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    receipt = await platform.submit("bulky-waste", booking(new_resident))
    await platform.confirm_contact(new_resident["email"])
    reference = receipt["reference"]
    await case_reaches(platform, eventually, reference, "awaiting_payment")
    link = (await payment_links(platform, eventually, new_resident["email"]))[0]
    await pay(platform, link, "success")
    await case_reaches(platform, eventually, reference, "booked")

    cancelled = await platform.http.post(
        f"{platform.urls['cases']}/v1/cases/{reference}/status",
        headers=platform.officer,
        json={"status": "cancelled", "note": "Resident cancelled by phone"},
    )
    assert cancelled.status_code == 200, cancelled.text

    async def refunded() -> list[Any]:
        events = await platform.events("payments.v1", subject=reference)
        return [e for e in events if type(e).__name__ == "PaymentRefunded"]

    refunds = await eventually(refunded, timeout=60, interval=0.5)
    paid = [
        e
        for e in await platform.events("payments.v1", subject=reference)
        if type(e).__name__ == "PaymentSucceeded"
    ]
    assert len(refunds) == 1 and len(paid) == 1
    assert refunds[0].amount == paid[0].amount
    case = await platform.case(reference)
    assert case is not None
    assert "refund" in " ".join(str(entry) for entry in case["timeline"]).lower()
