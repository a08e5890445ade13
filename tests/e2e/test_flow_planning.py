"""Flow 2 of DESIGN.md: planning updates, from the planning back office to applicant, agent and neighbours.

The planning back office (the simulator) reports an application's progress through intake's
signed webhook; cases keeps one case per application with the applicant's and agent's contacts;
each status change reaches both; when consultation starts, residents who asked to hear of
applications near their home are told — and only they.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from e2e_platform import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SITE = {"latitude": 51.3360, "longitude": -0.2670}  # Epsom, in the demo district
# About 200 m north of the site, and about 3 km away.
NEAR = {"latitude": 51.3378, "longitude": -0.2670}
FAR = {"latitude": 51.3630, "longitude": -0.2670}


def neighbour(
    key: str, where: dict[str, float], uprn: str, alerts: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    household = {
        "uprn": uprn,
        "address": f"{uprn[-3:]} Mill Road, Epsom Downs, KT17 1AA",
        "postcode": "KT17 1AA",
        "round_id": "R-E2E-PLANNING",
        **where,
    }
    resident = {
        "resident_key": key,
        "name": f"Neighbour {key}",
        "email": f"{key}@example.org",
        "phone": None,
        "uprn": uprn,
        "preferred_channel": "email",
        "case_updates": True,
        "disruption_alerts": False,
        "planning_alerts": alerts,
        "planning_alert_radius_metres": 500 if alerts else None,
    }
    return household, resident


async def test_applicant_and_agent_hear_every_change_and_only_subscribed_neighbours_hear_of_it(
    platform: Platform, eventually: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    near, far, unsubscribed = (
        neighbour(f"near-{tag}", NEAR, f"2000{tag[:4].encode().hex()[:8]}", True),
        neighbour(f"far-{tag}", FAR, f"3000{tag[:4].encode().hex()[:8]}", True),
        neighbour(f"quiet-{tag}", NEAR, f"4000{tag[:4].encode().hex()[:8]}", False),
    )
    await platform.load_residents(
        [h for h, _ in (near, far, unsubscribed)], [r for _, r in (near, far, unsubscribed)]
    )
    await platform.settle(2)  # the residents reach notify's projection through residents.v1

    reference = f"26/{int(tag[:5], 16) % 100000:05d}/HOU"
    applicant = {"name": "Ann Applicant", "email": f"applicant-{tag}@example.org", "phone": None}
    agent = {"name": "Able Agents Ltd", "email": f"agent-{tag}@example.org", "phone": None}
    created = await platform.http.post(
        f"{platform.urls['planning_backoffice']}/_simulator/applications",
        json={
            "reference": reference,
            "application_type": "householder",
            "proposal": "Single storey rear extension",
            "site": {
                "uprn": "100090123999",
                "address": "1 Mill Road, Epsom Downs, KT17 1AA",
                **SITE,
            },
            "applicant": applicant,
            "agent": agent,
        },
    )
    assert created.status_code == 201, created.text

    async def closed() -> dict[str, Any] | None:
        case = await platform.case(reference)
        return case if case is not None and case["status"] == "closed" else None

    await eventually(closed, timeout=90, interval=0.5)

    async def through_closure() -> list[Any] | None:
        # The case row is closed at the commit; its CaseClosed reaches Kafka with the relay's
        # next pass, moments later.
        events = await platform.events("cases.lifecycle.v1", subject=reference)
        return events if any(type(e).__name__ == "CaseClosed" for e in events) else None

    events = await eventually(through_closure, timeout=30, interval=0.5)
    told = [
        e
        for e in events
        if type(e).__name__ == "CaseOpened"
        or (type(e).__name__ in ("CaseStatusChanged", "CaseClosed") and e.notify_resident)
    ]
    assert len(told) >= 4  # received, validated, consultation, decision at least

    await platform.settle()
    to_applicant = await platform.messages_to(applicant["email"])
    to_agent = await platform.messages_to(agent["email"])
    assert len(to_applicant) == len(told), [m["subject"] for m in to_applicant]
    assert len(to_agent) == len(told), [m["subject"] for m in to_agent]
    assert all(reference in m["body"] for m in to_applicant + to_agent)

    near_messages = await platform.messages_to(near[1]["email"])
    assert len(near_messages) == 1 and reference in near_messages[0]["body"]
    assert await platform.messages_to(far[1]["email"]) == []
    assert await platform.messages_to(unsubscribed[1]["email"]) == []
