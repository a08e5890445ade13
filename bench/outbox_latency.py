"""Outbox: from a unit of work's commit to the event's arrival at a Kafka consumer.

Three figures: the writer is the relay's leader (woken in-process), the writer is another instance
(the leader finds the row at its next poll), and a burst (relay throughput).
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer
from civic_events.cases import CaseStatusChanged
from civic_runtime.progress import NoProgress, ProgressSink

from bench.stack import KAFKA, app, percentiles, scratch, settings

SEQUENTIAL = 300
BURST = 5_000


def event(reference: str, step: int) -> CaseStatusChanged:
    return CaseStatusChanged(
        source="bench",
        subject=reference,
        case_id=uuid.uuid5(uuid.NAMESPACE_URL, reference),
        case_type="missed_bin",
        old_status=f"s{step}",
        new_status=f"s{step + 1}",
        reason="benchmark",
        notify_resident=False,
    )


class Arrivals:
    """A consumer at the end of the topic noting when each event id arrives."""

    def __init__(self, topic: str) -> None:
        self.seen: dict[str, float] = {}
        self._consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=KAFKA, auto_offset_reset="latest"
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Arrivals:
        await self._consumer.start()
        while not self._consumer.assignment():
            await asyncio.sleep(0.05)
        await self._consumer.seek_to_end()
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        async for record in self._consumer:
            headers = dict(record.headers)
            self.seen[headers["ce_id"].decode()] = time.perf_counter()

    async def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.perf_counter() + timeout
        while len(self.seen) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await self._consumer.stop()


async def sequential(writer, arrivals: Arrivals, label: str) -> list[float]:  # type: ignore[no-untyped-def]
    committed: dict[str, float] = {}
    for step in range(SEQUENTIAL):
        item = event(f"BEN-{label}-{step % 20:04d}", step)
        async with writer.unit_of_work() as uow:
            await uow.stage(item)
        committed[str(item.event_id)] = time.perf_counter()
        await asyncio.sleep(0.01)
    deadline = time.perf_counter() + 30
    while not set(committed) <= set(arrivals.seen) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    return [
        (arrivals.seen[key] - at) * 1000 for key, at in committed.items() if key in arrivals.seen
    ]


async def run(progress: ProgressSink | None = None) -> str:
    progress = progress or NoProgress()
    async with scratch() as (database_url, prefix):
        first_app = app(settings(database_url, prefix))
        second_app = app(settings(database_url, prefix, migrate_on_start=False))
        async with (
            first_app.router.lifespan_context(first_app),
            second_app.router.lifespan_context(second_app),
        ):
            await asyncio.sleep(0.3)
            first, second = first_app.state.runtime, second_app.state.runtime
            leader, follower = (first, second) if first.relay.is_leader else (second, first)
            topic = prefix + "cases.lifecycle.v1"
            async with Arrivals(topic) as arrivals:
                progress.describe(f"outbox_latency: {SEQUENTIAL} events, writer the relay leader")
                same = await sequential(leader, arrivals, "leader")
                progress.describe(f"outbox_latency: {SEQUENTIAL} events, writer another instance")
                other = await sequential(follower, arrivals, "follower")
                progress.describe(f"outbox_latency: a burst of {BURST:,} events")

                before = len(arrivals.seen)
                started = time.perf_counter()
                for batch in range(BURST // 100):
                    async with leader.unit_of_work() as uow:
                        for step in range(100):
                            await uow.stage(event(f"BEN-burst-{step % 50:04d}", batch * 100 + step))
                written = time.perf_counter() - started
                await arrivals.wait_for(before + BURST)
                drained = max(arrivals.seen.values()) - started
    poll_ms = first.settings.outbox_poll_interval_ms
    return "\n".join(
        [
            "## Outbox publish latency (commit → consumer receives)",
            "",
            f"- writer is the relay leader (in-process wake-up): {percentiles(same)}",
            f"- writer is another instance (leader polls every {poll_ms} ms): {percentiles(other)}",
            f"- burst of {BURST} events in transactions of 100: written in {written:.2f} s, all on "
            f"Kafka after {drained:.2f} s ({BURST / drained:,.0f} events/s through one relay)",
            "",
        ]
    )
