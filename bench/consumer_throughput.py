"""Consumer: events applied per second by one instance (inbox claim, handler, transaction, offset
commit), one record per transaction (`consumer_batch_size` 1) and up to 100 per transaction."""

from __future__ import annotations

import asyncio
import time
import uuid

from civic_events.cases import CaseOpened
from civic_events.envelope import KafkaRecord, encode
from civic_runtime.consumers import EventHandlers
from civic_runtime.producer import EventProducer
from civic_runtime.progress import NoProgress, ProgressSink
from civic_runtime.uow import UnitOfWork

from bench.stack import KAFKA, app, scratch, settings

EVENTS = 3_000
BATCH_SIZES = (1, 100)


async def rate(batch_size: int) -> tuple[int, float]:
    """Events applied and events/s from the first to the last, with this batch size."""
    handlers = EventHandlers()
    applied: list[float] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        applied.append(time.perf_counter())

    async with scratch() as (database_url, prefix):
        producer = EventProducer(bootstrap_servers=KAFKA, client_id="bench")
        await producer.start()
        records = []
        for n in range(EVENTS):
            record = encode(
                CaseOpened(
                    source="bench",
                    subject=f"BEN-{n % 200:05d}",
                    case_id=uuid.uuid4(),
                    case_type="missed_bin",
                    status="received",
                )
            )
            records.append(
                KafkaRecord(prefix + record.topic, record.key, record.value, record.headers)
            )
        await producer.send_many(records)
        await producer.stop()

        service = app(settings(database_url, prefix, consumer_batch_size=batch_size), handlers)
        started = time.perf_counter()
        async with service.router.lifespan_context(service):
            while len(applied) < EVENTS and time.perf_counter() - started < 120:
                await asyncio.sleep(0.05)
        first, last = applied[0], applied[-1]
    return len(applied), (len(applied) - 1) / (last - first)


async def run(progress: ProgressSink | None = None) -> str:
    progress = progress or NoProgress()
    lines = ["## Consumer throughput (one instance, one topic, 2 partitions)", ""]
    for batch_size in BATCH_SIZES:
        progress.describe(f"consumer_throughput: {EVENTS:,} events, batch size {batch_size}")
        count, events_per_s = await rate(batch_size)
        how = (
            "each: inbox row and handler in one transaction"
            if batch_size == 1
            else f"up to {batch_size} records per transaction, one inbox row each"
        )
        lines.append(
            f"- batch size {batch_size}: {count} events applied at {events_per_s:,.0f} events/s "
            f"({how}; offsets committed after, coalesced every 100 ms)"
        )
    return "\n".join([*lines, ""])
