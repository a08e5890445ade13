"""Flow 4 of DESIGN.md: a service disruption on a round, broadcast to the residents who opted in.

The waste contractor (the simulator) reports snow on a round through intake's signed webhook;
notify tells every resident on that round who asked for disruption alerts, by their channel,
in one broadcast whose progress ends with a final count; nobody else hears of it, nobody twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from e2e_platform import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def household(uprn: str, round_id: str) -> dict[str, Any]:
    return {
        "uprn": uprn,
        "address": f"{int(uprn[-3:])} Ashley Road, Epsom, KT18 5AA",
        "postcode": "KT18 5AA",
        "latitude": 51.336,
        "longitude": -0.267,
        "round_id": round_id,
    }


def resident(key: str, uprn: str, channel: str, alerts: bool, phone: str | None) -> dict[str, Any]:
    return {
        "resident_key": key,
        "name": f"Resident {key}",
        "email": f"{key}@example.org",
        "phone": phone,
        "uprn": uprn,
        "preferred_channel": channel,
        "case_updates": True,
        "disruption_alerts": alerts,
        "planning_alerts": False,
        "planning_alert_radius_metres": None,
    }


async def test_everyone_opted_in_on_the_round_is_told_once_by_their_channel(
    platform: Platform, eventually: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    digits = str(int(tag, 16) % 10**6).zfill(6)
    round_id, other_round = f"R-SNOW-{tag}", f"R-CLEAR-{tag}"
    uprns = [f"500{digits}{n:03d}" for n in range(5)]
    households = [household(u, round_id) for u in uprns[:4]] + [household(uprns[4], other_round)]
    residents = [
        resident(f"snow-email-{tag}", uprns[0], "email", True, None),
        resident(
            f"snow-sms-{tag}",
            uprns[1],
            "sms",
            True,
            f"+447911{digits[:3]}{int(digits[3:]) % 1000:03d}",
        ),
        resident(f"snow-email2-{tag}", uprns[2], "email", True, None),
        resident(f"snow-optout-{tag}", uprns[3], "email", False, None),
        resident(f"clear-{tag}", uprns[4], "email", True, None),
    ]
    await platform.load_residents(households, residents)
    await platform.settle(2)

    disruption_id = f"DIS-{tag}"
    reported = await platform.http.post(
        f"{platform.urls['waste_contractor']}/_simulator/disruptions",
        json={
            "round_id": round_id,
            "reason": "weather",
            "disruption_id": disruption_id,
            "public_message": "Snow: collections on your round are suspended today.",
        },
    )
    assert reported.status_code == 202, reported.text

    async def broadcast_done() -> dict[str, Any] | None:
        ids = await platform.http.get(
            f"{platform.urls['notify']}/disruptions/{disruption_id}/broadcasts",
            headers=platform.officer,
        )
        if ids.status_code != 200 or not ids.json():
            return None
        progress = await platform.http.get(
            f"{platform.urls['notify']}/broadcasts/{ids.json()[0]}", headers=platform.officer
        )
        body = dict(progress.json())
        return body if body.get("status") == "done" else None

    progress = await eventually(broadcast_done, timeout=60, interval=0.5)
    assert progress["recipients"] == 3 and progress["handled"] == 3, progress

    await platform.settle()
    sms = residents[1]["phone"]
    told = {
        r["resident_key"]: await platform.messages_to(
            r["email"] if r["preferred_channel"] == "email" else sms
        )
        for r in residents
    }
    assert [len(told[r["resident_key"]]) for r in residents] == [1, 1, 1, 0, 0]
    assert told[residents[1]["resident_key"]][0]["type"] == "sms"
    for key in (residents[0]["resident_key"], residents[2]["resident_key"]):
        message = told[key][0]
        assert message["type"] == "email" and "snow" in message["body"].lower()
