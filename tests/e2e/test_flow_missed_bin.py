"""Flow 1 of DESIGN.md: a missed bin, from the resident's report to closure, across all services.

The resident reports through intake (which asks the contractor's system whether the bin can
still be reported); cases opens the case and sends the contractor a work order; the contractor
(the simulator, through intake's signed webhook, as a real system would) reports a return visit
and then the collection, or that the bin was not put out, or nothing at all — when the SLA
clock raises a breach. The resident hears of each change, by their channel, exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_platform import Platform
from flows import (
    normal_uprn,
    report_missed_bin,
    sms_digits,
    updates,
    uprn_ending,
    wait_for_case,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_a_missed_bin_is_collected_and_the_resident_told_by_sms_once_per_step(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    reference = await report_missed_bin(platform, new_resident, normal_uprn(), "sms")
    # The first message (to the number given, as chosen) asks to confirm it; nothing more goes
    # there until the resident has.
    await platform.confirm_contact(sms_digits(new_resident["phone"]))
    case = await wait_for_case(platform, eventually, reference, "closed")
    statuses = [entry["summary"] for entry in case["timeline"]]
    assert case["outcome"] == "resolved" or "collected" in " ".join(statuses).lower()

    # Three things to tell: received, return visit scheduled, collected (closing is silent).
    async def three_messages() -> list[dict[str, Any]] | None:
        found = updates(await platform.messages_to(sms_digits(new_resident["phone"])))
        return found if len(found) >= 3 else None

    messages = await eventually(three_messages, timeout=45, interval=0.3)
    assert [m["type"] for m in messages] == ["sms"] * 3
    assert all(reference in m["body"] for m in messages)
    # Those that waited for the confirmation went out together: in any order.
    bodies = sorted(m["body"].lower() for m in messages)
    assert any("received" in body or "reporting" in body for body in bodies)
    assert any(word in body for body in bodies for word in ("come back", "return", "visit"))
    assert any("collected" in body for body in bodies)
    # Nothing by email for a resident who chose SMS, and nothing twice.
    assert await platform.messages_to(new_resident["email"]) == []
    await platform.settle()
    assert len(await platform.messages_to(sms_digits(new_resident["phone"]))) == 1 + 3

    job = await platform.http.get(
        f"{platform.urls['waste_contractor']}/api/v1/missed-collections/{reference}",
        headers={"X-Api-Key": "sim-key"},
    )
    assert job.status_code == 200, job.text


async def test_a_bin_not_presented_closes_the_case_and_the_resident_is_told_why(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    reference = await report_missed_bin(platform, new_resident, uprn_ending("13"), "email")
    await platform.confirm_contact(new_resident["email"])
    await wait_for_case(platform, eventually, reference, "closed")

    async def told() -> list[dict[str, Any]] | None:
        found = await platform.messages_to(new_resident["email"])
        return (
            found
            if any("not" in m["body"].lower() and "out" in m["body"].lower() for m in found)
            else None
        )

    messages = await eventually(told, timeout=45, interval=0.3)
    assert all(m["type"] == "email" for m in messages)
    assert len({m["body"] for m in messages}) == len(messages)


async def test_a_missed_return_visit_breaches_the_sla_once(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    reference = await report_missed_bin(platform, new_resident, uprn_ending("99"), "email")

    async def breached() -> list[Any]:
        events = await platform.events("cases.lifecycle.v1", subject=reference)
        return [e for e in events if type(e).__name__ == "CaseSlaBreached"]

    breaches = await eventually(breached, timeout=60, interval=0.5)
    assert breaches[0].sla == "missed_bin_return_2_working_days"
    await platform.settle()
    assert len(await breached()) == 1
    case = await platform.case(reference)
    assert case is not None and case["status"] != "closed"
    assert any("sla" in str(entry).lower() for entry in case["timeline"])
