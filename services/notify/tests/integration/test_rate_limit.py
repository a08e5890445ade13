"""A provider's rate limit holds for the whole service, however many instances share the work.

The window is shortened by a setting (`rate_limit_window_s`) so that the tests take seconds, not
minutes; the bucket's arithmetic is the same for a minute.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from civic_simulators.govuk_notify.server import free_port
from notify.adapters.providers.base import DeliveryProvider, OutgoingMessage, ProviderReceipt

pytestmark = pytest.mark.integration

ROUND = "ROUND-THU-03"


class Recorded(DeliveryProvider):
    """A provider that takes every message at once (so that the limit, not the machine, sets the
    pace), noting when and by which instance."""

    def __init__(self, inner: DeliveryProvider, instance: str, log: list[Any]) -> None:
        self.inner, self.instance, self.log = inner, instance, log
        self.name = inner.name
        self.channels = inner.channels
        self.supports_lookup = inner.supports_lookup

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        self.log.append((time.monotonic(), self.instance, message.reference))
        return ProviderReceipt(provider_reference=message.reference)

    async def find(self, reference: str) -> ProviderReceipt | None:
        return None


async def _count(notify: Any, query: str) -> int:
    async with notify.app.state.runtime.engine.connect() as connection:
        return int(await connection.scalar(sa.text(query)) or 0)


async def _counted(notify: Any, query: str, expected: int) -> bool:
    return await _count(notify, query) == expected


async def _broadcast_to(kit: Any, notify: Any, eventually: Any, households: int) -> None:
    """`households` residents on the round, then a disruption: as many pending emails."""
    residents = [
        kit.resident(channel="email", email=f"house{i}@example.com", rounds=(ROUND,))
        for i in range(households)
    ]
    await kit.publish(*residents)
    await eventually(
        lambda: _counted(notify, "SELECT count(*) FROM notify_resident", households), timeout=90
    )
    await kit.publish(
        kit.disruption(
            ROUND,
            cause="vehicle_breakdown",
            affected_date=date(2026, 12, 3),
            public_message="A lorry broke down. We will collect tomorrow.",
        )
    )
    await eventually(
        lambda: _counted(notify, "SELECT count(*) FROM notify_notification", households),
        timeout=90,
    )


def _most_in_any_window(times: list[float], window_s: float) -> int:
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window_s:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_two_instances_together_hand_no_more_than_the_limit_to_a_provider_in_a_window(
    notify_kit: Any, eventually: Any
) -> None:
    # 10 in 4 s: a bucket of 1, refilled at 9 in 4 s (slow enough for a loaded machine to keep
    # up with twice that, so that two instances each keeping the limit alone would exceed it).
    limit, window_s, households = 10, 4.0, 25
    log: list[Any] = []
    limited = {
        "rate_limit_govuk_notify_per_minute": limit,
        "rate_limit_window_s": window_s,
        "dispatch_batch_size": 50,
        "dispatch_poll_interval_ms": 20,
    }
    async with (
        notify_kit.service(
            wrap=lambda p: Recorded(p, "a", log), port=free_port(), **limited
        ) as first,
        notify_kit.service(wrap=lambda p: Recorded(p, "b", log), port=free_port(), **limited),
    ):
        await _broadcast_to(notify_kit, first, eventually, households)
        await eventually(lambda: len(log) >= households, timeout=120, interval=0.2)
        await eventually(
            lambda: _counted(
                first,
                "SELECT count(*) FROM notify_notification WHERE status IN ('pending', 'sending')",
                0,
            ),
            timeout=30,
        )
        rows = await first.notifications()

    # Each message handed over once, by one of the two instances; both shared the work.
    references = Counter(reference for _, _, reference in log)
    assert len(references) == households and set(references.values()) == {1}
    by_instance = Counter(instance for _, instance, _ in log)
    assert by_instance["a"] > 0 and by_instance["b"] > 0, by_instance
    # Never more than the limit in a window, across both. The limit holds when the tokens are
    # taken; each hand-over follows its claim after a delay that varies (a database read, the
    # event loop): allowing a second of that variation, no window a second shorter may exceed it.
    times = [at for at, _, _ in log]
    assert _most_in_any_window(times, window_s - 1.0) <= limit
    # ... and the limit is a limit, not a stall: the backlog goes at about the limit's pace.
    span = max(times) - min(times)
    assert span >= (households - limit) / limit * window_s * 0.9
    assert span <= households / limit * window_s * 2.5
    # Messages waiting for tokens were never claimed: each was claimed once, and none failed.
    assert {row["status"] for row in rows} <= {"sent", "delivered"}
    assert {row["attempts"] for row in rows} == {1}


async def test_the_dispatcher_claims_only_what_it_has_tokens_for_and_all_when_the_limit_is_off(
    notify_kit: Any, eventually: Any
) -> None:
    pending = "SELECT count(*) FROM notify_notification WHERE status = 'pending' AND attempts = 0"
    # 120 a minute: a bucket of 2, refilled at 118 a minute; the window is stretched so that the
    # refill does not matter within the test.
    limited = {
        "dispatcher_enabled": False,
        "rate_limit_govuk_notify_per_minute": 120,
        "rate_limit_window_s": 3600,
    }
    async with (
        notify_kit.service(port=free_port(), **limited) as first,
        notify_kit.service(port=free_port(), **limited) as second,
    ):
        await _broadcast_to(notify_kit, first, eventually, 10)
        assert len(await first.dispatcher.claim(limit=50)) == 2
        assert await _count(first, pending) == 8  # left as they were, not failed
        # The other instance finds the bucket the first emptied: one bucket for the service.
        assert await second.dispatcher.claim(limit=50) == []
        assert await first.dispatcher.claim(limit=50) == []
        assert await _count(first, pending) == 8
        tokens = await _count(
            first, "SELECT floor(tokens) FROM notify_rate_limit WHERE provider = 'govuk-notify'"
        )
        assert tokens == 0
    async with notify_kit.service(
        dispatcher_enabled=False, rate_limit_govuk_notify_per_minute=0
    ) as unlimited:
        assert len(await unlimited.dispatcher.claim(limit=50)) == 8
        assert await _count(unlimited, pending) == 0
