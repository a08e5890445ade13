"""New contact details given without proof: the confirmation link goes to the details on record,
whatever the resident opted out of, once however often the request is delivered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from civic_events.cases import CaseOpened
from civic_events.contact import Contact
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


async def test_a_new_residents_first_acknowledgement_goes_to_the_address_just_given_and_no_more(
    notify_kit: Any, eventually: Any
) -> None:
    """A resident with no confirmed details: the link confirming the address they gave is the
    one message sent there; their case's messages wait until cases says who they are."""
    resident_id = uuid.uuid4()
    request = ContactChangeRequested(
        source="cases",
        subject=str(resident_id),
        resident_id=resident_id,
        changes=("email",),
        confirm_url=LINK,
        expires_at=datetime.now(UTC) + timedelta(days=3),
        reference="WST-2026-004212",
        send_to=Contact(name="Sam New", email="just-given@example.com"),
    )
    opened = CaseOpened(
        source="cases",
        subject="WST-2026-004212",
        case_id=uuid.uuid4(),
        case_type="missed_bin",
        status="received",
        resident_id=resident_id,
    )
    async with notify_kit.service() as notify:
        await notify_kit.publish(request, opened)

        async def both() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident_id)
            statuses = {r["purpose"]: r["status"] for r in rows}
            done = statuses.get("contact_confirm") == "delivered"
            return rows if done and statuses.get("case_opened") == "awaiting_resident" else []

        rows = await eventually(both, timeout=90)
        (confirm,) = [r for r in rows if r["purpose"] == "contact_confirm"]
        (sent,) = notify_kit.at_simulator(str(confirm["id"]))
        assert sent["email_address"] == "just-given@example.com"
        assert LINK in sent["body"] and "WST-2026-004212" in sent["body"]
        assert "Sam" in sent["body"]

        # Confirmed: cases announces the resident, and the waiting acknowledgement goes out.
        await notify_kit.publish(
            notify_kit.resident(resident_id=resident_id, email="just-given@example.com", phone=None)
        )

        async def acknowledged() -> list[dict[str, Any]]:
            rows = await notify.notifications(resident_id=resident_id, purpose="case_opened")
            return rows if rows and rows[0]["status"] == "delivered" else []

        (ack,) = await eventually(acknowledged, timeout=90)
    assert notify_kit.at_simulator(str(ack["id"]))[0]["email_address"] == "just-given@example.com"
