"""New contact details given without proof: the confirmation link goes to the details on record,
whatever the resident opted out of, once however often the request is delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from civic_events.residents import ContactChangeRequested, ContactPreferencesChanged

pytestmark = pytest.mark.integration

LINK = "https://council.example/contact-details/confirm/one-time-token"


async def test_the_link_goes_to_the_details_on_record_even_with_updates_turned_off(
    notify_kit: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="on-record@example.com", phone=None)
    no_updates = ContactPreferencesChanged(
        source="cases",
        subject=str(resident.resident_id),
        resident_id=resident.resident_id,
        preferred_channel="email",
        case_updates=False,
        disruption_alerts=False,
        planning_alerts=False,
    )
    request = ContactChangeRequested(
        source="cases",
        subject=str(resident.resident_id),
        resident_id=resident.resident_id,
        changes=("phone", "address"),
        confirm_url=LINK,
        expires_at=datetime.now(UTC) + timedelta(days=3),
        reference="WST-2026-004211",
    )
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident, no_updates, request, request)

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident.resident_id)
            return rows if rows and {r["status"] for r in rows} == {"delivered"} else []

        (row,) = await eventually(delivered, timeout=90)
    assert (row["purpose"], row["channel"]) == ("contact_change", "email")
    (sent,) = notify_kit.at_simulator(str(row["id"]))
    assert sent["email_address"] == "on-record@example.com"
    assert LINK in sent["body"]
    assert "phone and address" in sent["body"]
    assert "WST-2026-004211" in sent["body"]
