"""An erased resident is gone from every service's database, not only from cases'.

A resident books and pays for a bulky-waste collection (so intake, cases, notify and payments
each keep something of theirs), a team lead erases them through cases' officer API, and then no
table of any service's database holds their email, phone, address or name: not intake's
submissions or its outbox's FormSubmitted, not cases' residents.v1 outbox, not notify's
notifications, not payments'. What stays is facts without the person: references, statuses,
amounts, dates, delivery states.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.payments import PaymentCreated
from e2e_platform import Platform
from flows import booking, case_reaches, press
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def _where_found(platform: Platform, needles: dict[str, str]) -> list[str]:
    """`service.table: what` for every table of every service's database holding one of the
    needles, as text or (in a bytea column, such as the outbox's payload) as its bytes' hex."""
    found: list[str] = []
    for service, url in platform.database_urls.items():
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        try:
            async with engine.connect() as connection:
                tables = list(
                    (
                        await connection.execute(
                            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                        )
                    ).scalars()
                )
                for table in tables:
                    text = "\n".join(
                        (
                            await connection.execute(sa.text(f'SELECT t::text FROM "{table}" t'))
                        ).scalars()
                    ).lower()
                    found += [
                        f"{service}.{table}: {what}"
                        for what, needle in needles.items()
                        if needle.lower() in text or needle.encode().hex() in text
                    ]
        finally:
            await engine.dispose()
    return found


async def test_erasure_leaves_no_copy_of_the_residents_contact_details_in_any_service(
    platform: Platform, eventually: Any, new_resident: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    resident = {**new_resident, "address": f"{tag} Forgotten Close, Exampleton EX1 2AB"}
    national = resident["phone"].replace(" ", "")
    needles = {
        "email": resident["email"],
        "phone": national,
        "phone (E.164)": "+44" + national[1:],
        "address": resident["address"],
        "name": resident["name"],
    }
    reference = (await platform.submit("bulky-waste", booking(resident)))["reference"]
    await case_reaches(platform, eventually, reference, "awaiting_payment")

    async def link_to_pay() -> PaymentCreated | None:
        events = await platform.events("payments.v1", reference)
        return next((e for e in events if isinstance(e, PaymentCreated)), None)

    # Paid as the resident would, following the link payments made (whether or not notify
    # sends it: that is notify's business, not this test's).
    created = await eventually(link_to_pay, timeout=45, interval=0.5)
    page = await platform.http.get(str(created.next_url), follow_redirects=True)
    await press(platform, page, "success")
    case = await case_reaches(platform, eventually, reference, "booked")

    async def told() -> bool:
        return bool(await platform.messages_to(resident["email"]))

    await eventually(told, timeout=60, interval=0.5)
    held = await _where_found(platform, needles)
    for service in ("intake", "cases", "notify"):
        assert any(place.startswith(f"{service}.") for place in held), (service, held)

    erased = await platform.http.post(
        f"{platform.urls['cases']}/v1/residents/{case['resident_id']}/erasure",
        headers=platform.officer,
        json={"reason": "resident_request"},
    )
    assert erased.status_code == 202, erased.text

    async def forgotten() -> bool:
        return not await _where_found(platform, needles)

    try:
        await eventually(forgotten, timeout=60, interval=1.0)
    except AssertionError:
        pytest.fail(f"still held after erasure: {await _where_found(platform, needles)}")
    # What notify told them (names, places, links) goes; that it told them, and how, stays.
    sent = await _rows(
        platform,
        "notify",
        "SELECT personalisation, status, channel FROM notify_notification "
        "WHERE resident_id = :resident_id",
        resident_id=uuid.UUID(case["resident_id"]),
    )
    assert [row.personalisation for row in sent] == [{}] * len(sent)
    assert "delivered" in {row.status for row in sent}, sent
    # The facts without the person stay: the case, its status and its payment.
    after = await platform.case(reference)
    assert after is not None and after["status"] == "booked"
    (paid,) = await _rows(
        platform,
        "payments",
        "SELECT amount, status FROM payments_payment WHERE case_reference = :reference",
        reference=reference,
    )
    assert paid.amount > 0 and paid.status == "success"


async def _rows(platform: Platform, service: str, query: str, **params: Any) -> list[Any]:
    engine = create_async_engine(platform.database_urls[service], poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(sa.text(query), params))
    finally:
        await engine.dispose()
