"""An erased resident's sent notifications keep their delivery facts and lose what they said."""

from __future__ import annotations

from typing import Any

import pytest
from civic_events.residents import ResidentErased

pytestmark = pytest.mark.integration

KEPT = (
    "purpose",
    "subject",
    "template_name",
    "channel",
    "status",
    "provider",
    "provider_reference",
)


async def test_an_erasure_drops_the_personalisation_of_what_was_sent_and_keeps_the_facts(
    notify_kit: Any, eventually: Any
) -> None:
    erased = notify_kit.resident(email="erased@example.com")
    other = notify_kit.resident(email="other@example.com")
    told = [
        notify_kit.case_status_changed(erased.resident_id, "WST-2026-000901"),
        notify_kit.case_status_changed(other.resident_id, "WST-2026-000902"),
    ]
    async with notify_kit.service() as notify:
        await notify_kit.publish(erased, other, *told)

        async def delivered() -> list[dict[str, Any]]:
            rows = await notify.notifications()
            return rows if len(rows) == 2 and {r["status"] for r in rows} == {"delivered"} else []

        before = {row["resident_id"]: row for row in await eventually(delivered, timeout=90)}
        assert before[erased.resident_id]["personalisation"], "what the message said"

        erasure = ResidentErased(
            source="cases",
            subject=str(erased.resident_id),
            resident_id=erased.resident_id,
            reason="resident_request",
            references=("WST-2026-000901",),
        )
        await notify_kit.publish(erasure)
        await eventually(lambda: notify.has_applied(erasure.event_id), timeout=90)

        after = {row["resident_id"]: row for row in await notify.notifications()}
        forgotten = after[erased.resident_id]
        assert forgotten["personalisation"] == {}
        assert [forgotten[name] for name in KEPT] == [
            before[erased.resident_id][name] for name in KEPT
        ]
        assert forgotten["history"] == before[erased.resident_id]["history"]
        assert (
            after[other.resident_id]["personalisation"]
            == (before[other.resident_id]["personalisation"])
        )
