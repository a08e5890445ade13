"""What residents and officers do in the flow tests, as small helpers shared by them."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from e2e_platform import Platform

LINK = re.compile(r"https?://\S+?/(?:secure|payments)/\S+")


def updates(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages about the case: all but the first, which asked to confirm the address."""
    return [m for m in messages if "/contact-details/confirm/" not in m["body"]]


def london_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()


def booking(resident: dict[str, Any], channel: str = "email") -> dict[str, Any]:
    return {
        "answers": {
            "items": [{"item": "sofa", "quantity": 1}, {"item": "fridge_freezer", "quantity": 1}],
            "preferred_date": (london_today() + timedelta(days=14)).isoformat(),
            "location_on_property": "driveway",
        },
        "location": {"uprn": "100090123456"},
        "contact": resident,
        "preferred_channel": channel,
        "consent": True,
    }


async def case_reaches(platform: Platform, eventually: Any, reference: str, status: str) -> Any:
    async def check() -> Any:
        case = await platform.case(reference)
        return case if case is not None and case["status"] == status else None

    return await eventually(check, timeout=45, interval=0.3)


async def payment_links(
    platform: Platform, eventually: Any, address: str, count: int = 1
) -> list[dict[str, Any]]:
    """Wait for `count` messages to `address` carrying a link to pay; return them, oldest first."""

    async def check() -> list[dict[str, Any]] | None:
        found = [m for m in await platform.messages_to(address) if LINK.search(m["body"])]
        return found if len(found) >= count else None

    return list(await eventually(check, timeout=45, interval=0.3))


async def pay(platform: Platform, message: dict[str, Any], outcome: str) -> httpx.Response:
    """Do what the resident does: follow the link in the message and press a button.

    Returns our return page, where the gateway sends the resident back.
    """
    match = LINK.search(message["body"])
    assert match, message["body"]
    page = await platform.http.get(match.group(0).rstrip(").,"), follow_redirects=True)
    return await press(platform, page, outcome)


async def press(platform: Platform, page: httpx.Response, outcome: str) -> httpx.Response:
    """Press a button on the gateway's hosted payment page and land on our return page."""
    assert page.status_code == 200, page.text
    action = re.search(rf'action="(/secure/[^"]+/{outcome})"', page.text)
    assert action, page.text
    back = await platform.http.post(
        f"{platform.urls['govuk_pay']}{action.group(1)}", follow_redirects=True
    )
    assert back.status_code == 200, back.text
    assert str(back.url).startswith(platform.urls["payments"]), back.url
    return back


def uprn_ending(suffix: str) -> str:
    """A UPRN the contractor simulator treats by its last digits (13: not presented, 99: no show)."""
    middle = random.randrange(10 ** (11 - len(suffix)), 10 ** (12 - len(suffix)))
    uprn = f"{middle}{suffix}"
    assert len(uprn) == 12 and not uprn.startswith("0")
    return uprn


def normal_uprn() -> str:
    while True:
        uprn = uprn_ending(str(random.randrange(100)).zfill(2))
        if not uprn.endswith(("13", "99")):
            return uprn


async def report_missed_bin(
    platform: Platform, resident: dict[str, Any], uprn: str, channel: str
) -> str:
    today = london_today()
    # The crew's round today left this bin behind, as the contractor's system records it.
    recorded = await platform.http.put(
        f"{platform.urls['waste_contractor']}/_simulator/properties/{uprn}/collections",
        json={"bin_type": "refuse", "scheduled_date": today.isoformat(), "status": "missed"},
    )
    assert recorded.status_code == 204, recorded.text
    receipt = await platform.submit(
        "missed-bin",
        {
            "answers": {"bin_type": "refuse", "bin_presented": True},
            "location": {"uprn": uprn},
            "contact": resident,
            "preferred_channel": channel,
            "consent": True,
        },
    )
    return str(receipt["reference"])


async def wait_for_case(
    platform: Platform, eventually: Any, reference: str, status: str, timeout: float = 60
) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        case = await platform.case(reference)
        return case if case is not None and case["status"] == status else None

    return dict(await eventually(check, timeout=timeout, interval=0.3))


def sms_digits(phone: str) -> str:
    digits = phone.replace(" ", "")
    return "+44" + digits[1:] if digits.startswith("0") else digits
