"""A message due at once is claimed by the transaction that creates it (the consumer's) and handed
over as that transaction commits, with no claim pass of the dispatcher's: still `sending` with its
lease before the provider sees it, never from a transaction that rolled back, and only with a
token when its provider is rate-limited."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from notify.adapters.providers.base import DeliveryProvider, OutgoingMessage, ProviderReceipt
from notify.domain import purposes
from notify.entrypoints.dispatcher import Dispatcher
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration


class SeesItsRow(DeliveryProvider):
    """Hands messages to the real provider, noting first how the database has each one."""

    def __init__(self, inner: DeliveryProvider, *, database_url: str, seen: list[Any]) -> None:
        self.inner, self.database_url, self.seen = inner, database_url, seen
        self.name = inner.name
        self.channels = inner.channels
        self.supports_lookup = inner.supports_lookup

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        engine = create_async_engine(self.database_url)
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.text(
                        "SELECT status, attempts, provider, lease_until > now() AS leased "
                        "FROM notify_notification WHERE id = :id"
                    ),
                    {"id": uuid.UUID(message.reference)},
                )
            ).first()
        await engine.dispose()
        self.seen.append(tuple(row) if row else None)
        return await self.inner.send(message)

    async def find(self, reference: str) -> ProviderReceipt | None:
        return await self.inner.find(reference)


@pytest.fixture
def no_claim_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher's own passes claim nothing: only a claim at creation can deliver."""

    async def claims_nothing(self: Dispatcher) -> int:
        return 0

    monkeypatch.setattr(Dispatcher, "dispatch_due", claims_nothing)


async def test_a_message_due_at_once_is_sending_under_its_lease_before_the_provider_sees_it(
    notify_kit: Any, eventually: Any, no_claim_passes: None
) -> None:
    seen: list[Any] = []
    resident = notify_kit.resident(channel="sms")
    changed = notify_kit.case_status_changed(resident.resident_id)
    async with notify_kit.service(
        wrap=lambda p: SeesItsRow(p, database_url=notify_kit.database_url, seen=seen)
    ) as notify:
        await notify_kit.publish(resident, changed)
        rows = await eventually(lambda: _with_status(notify, "delivered"), timeout=90)
    assert seen == [("sending", 1, "govuk-notify", True)]
    assert len(notify_kit.at_simulator(str(rows[0]["id"]))) == 1


async def test_a_batch_that_rolls_back_hands_nothing_over_and_its_records_then_send_once(
    notify_kit: Any,
    eventually: Any,
    no_claim_passes: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Two status changes of one case (one key: one partition, one batch). Telling the second
    # resident fails once, after the first's message was claimed in the same transaction: the
    # batch rolls back, and each record is applied on its own. Had the first message been
    # handed over before its transaction committed, the provider would get it twice (under
    # the rolled-back row's id and the new one's).
    first, second = notify_kit.resident(), notify_kit.resident(email="second@example.com")
    changes = [notify_kit.case_status_changed(r.resident_id) for r in (first, second)]
    tell = purposes.case_status_changed
    failures = [RuntimeError("the database went away mid-batch")]

    def fails_once_for_the_second(event: Any, resident_id: uuid.UUID) -> Any:
        if resident_id == second.resident_id and failures:
            raise failures.pop()
        return tell(event, resident_id)

    monkeypatch.setattr(purposes, "case_status_changed", fails_once_for_the_second)
    async with notify_kit.service() as notify:
        await notify_kit.publish(first, second)
        for resident in (first, second):
            await eventually(lambda r=resident: notify.has_applied(r.event_id), timeout=90)
    await notify_kit.publish(*changes)  # while no consumer runs: the next poll takes both
    with caplog.at_level(logging.WARNING, logger="civic_runtime.consumers"):
        async with notify_kit.service() as notify:
            rows = await eventually(
                lambda: _with_status(notify, "delivered", expected=2), timeout=90
            )
    assert "a batch of 2 record(s) failed and was rolled back" in caplog.text
    assert failures == []  # the failure did happen
    assert sorted(len(notify_kit.at_simulator(str(row["id"]))) for row in rows) == [1, 1]
    assert len(notify_kit.simulator.simulator.notifications) == 2


async def test_with_a_rate_limit_only_messages_granted_a_token_are_claimed_at_creation(
    notify_kit: Any, eventually: Any, no_claim_passes: None
) -> None:
    # 120 a minute: a bucket of 2; the window is stretched so that no token comes back here.
    resident = notify_kit.resident()
    changes = [
        notify_kit.case_status_changed(resident.resident_id, f"WST-2026-00030{i}") for i in range(3)
    ]
    async with notify_kit.service(
        rate_limit_govuk_notify_per_minute=120, rate_limit_window_s=3600
    ) as notify:
        await notify_kit.publish(resident, *changes)
        for event in changes:
            await eventually(lambda event=event: notify.has_applied(event.event_id), timeout=90)
        await eventually(lambda: _with_status(notify, "delivered", expected=2), timeout=90)
        rows = await notify.notifications()
    assert sorted((row["status"], row["attempts"]) for row in rows) == [
        ("delivered", 1),
        ("delivered", 1),
        ("pending", 0),
    ]
    assert len(notify_kit.simulator.simulator.notifications) == 2


async def _with_status(notify: Any, status: str, expected: int = 1) -> list[dict[str, Any]]:
    rows = [row for row in await notify.notifications() if row["status"] == status]
    return rows if len(rows) >= expected else []
