"""Consumer: events applied per second by one instance (inbox claim, handler, transaction, offset commit)."""

from __future__ import annotations

import asyncio
import time
import uuid

from civic_events.cases import CaseOpened
from civic_events.envelope import KafkaRecord, encode
from civic_runtime.consumers import EventHandlers
from civic_runtime.producer import EventProducer
from civic_runtime.uow import UnitOfWork

from bench.stack import KAFKA, app, scratch, settings

EVENTS = 3_000


async def run() -> str:
    handlers = EventHandlers()
    applied: list[float] = []

    @handlers.on(CaseOpened)
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

        service = app(settings(database_url, prefix), handlers)
        started = time.perf_counter()
        async with service.router.lifespan_context(service):
            while len(applied) < EVENTS and time.perf_counter() - started < 120:
                await asyncio.sleep(0.05)
        first, last = applied[0], applied[-1]
    rate = (len(applied) - 1) / (last - first)
    return "\n".join(
        [
            "## Consumer throughput (one instance, one topic, 2 partitions)",
            "",
            f"- {len(applied)} events applied at {rate:,.0f} events/s (each: inbox row and handler in "
            "one transaction; offsets committed after, coalesced every 100 ms)",
            "",
        ]
    )
