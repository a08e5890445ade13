"""The runtime's health gauges against the real broker and database: consumer lag and outbox age."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError
from civic_events.cases import CaseOpened
from civic_events.envelope import encode
from civic_runtime.app import build_runtime, create_service
from civic_runtime.consumers import EventHandlers
from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.outbox import OutboxRelay
from civic_runtime.producer import EventProducer
from civic_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration


def gauge(metrics: RuntimeMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_consumer_lag_shows_a_backlog_while_it_waits_and_returns_to_zero(
    kit: Any, eventually: Any
) -> None:
    gates = [asyncio.Event(), asyncio.Event()]
    handlers = EventHandlers()
    applied: list[str] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        # The consumer is stuck on the first record of each round: the rest pile up.
        await gates[0 if len(applied) < 12 else 1].wait()
        applied.append(event.subject)

    app = create_service(
        build_runtime(kit.settings(), handlers=handlers),
        title="test",
        description="lag",
        migrations_dir=Path("/nonexistent"),
    )
    runtime = app.state.runtime
    runtime.processor.lag.interval_s = 0.2
    topic = kit.prefix + "cases.lifecycle.v1"
    unsubscribed = kit.prefix + "payments.v1"  # no handler for it, so no consumer of it
    async with app.router.lifespan_context(app):
        # Every subscribed topic has a series from the start, at 0.
        assert gauge(runtime.metrics, "civic_consumer_lag", topic=topic) == 0
        assert gauge(runtime.metrics, "civic_consumer_lag", topic=unsubscribed) is None

        await kit.produce(*(encode(kit.case_opened(f"WST-2026-{n:06d}")) for n in range(12)))
        # 12 records, one in the handler: at least 11 are behind on the partitions' ends.
        await eventually(
            lambda: (gauge(runtime.metrics, "civic_consumer_lag", topic=topic) or 0) >= 11,
            timeout=30,
        )
        assert applied == []

        gates[0].set()
        await eventually(lambda: len(applied) == 12, timeout=30)
        await eventually(
            lambda: gauge(runtime.metrics, "civic_consumer_lag", topic=topic) == 0, timeout=10
        )
        assert await runtime.processor.lag.refresh() == {topic: 0}

        # Now that the group has committed offsets, the record held in its handler counts too:
        # five sent, none finished, five behind.
        await kit.produce(*(encode(kit.case_opened(f"WST-2026-{n:06d}")) for n in range(100, 105)))
        await eventually(
            lambda: gauge(runtime.metrics, "civic_consumer_lag", topic=topic) == 5, timeout=30
        )
        await asyncio.sleep(0.5)
        assert await runtime.processor.lag.refresh() == {topic: 5}
        gates[1].set()
        await eventually(lambda: len(applied) == 17, timeout=30)
        await eventually(
            lambda: gauge(runtime.metrics, "civic_consumer_lag", topic=topic) == 0, timeout=10
        )


async def test_outbox_age_grows_while_the_broker_refuses_and_is_zero_once_published(
    kit: Any, eventually: Any
) -> None:
    # This instance writes but does not relay, so the event waits in the outbox.
    async with (
        kit.running(kit.settings(outbox_enabled=False), EventHandlers()) as harness,
        harness.runtime.unit_of_work() as uow,
    ):
        await uow.stage(kit.case_opened("WST-2026-000900"))
    await asyncio.sleep(1.1)

    engine = create_async_engine(kit.database_url, poolclass=sa.pool.NullPool)
    try:
        dead = EventProducer(bootstrap_servers="127.0.0.1:1", client_id="dead")
        with pytest.raises(KafkaConnectionError):
            await dead.start()
        dead_metrics = RuntimeMetrics()
        dead_relay = OutboxRelay(
            database_url=kit.database_url,
            producer=dead,
            metrics=dead_metrics,
            topic_prefix=kit.prefix,
        )
        async with engine.connect() as connection:
            with pytest.raises(RuntimeError):
                await dead_relay.publish_batch(connection)
        age = gauge(dead_metrics, "civic_outbox_oldest_age_seconds")
        assert age is not None and 1.0 <= age < 60
    finally:
        await engine.dispose()

    live = EventProducer(bootstrap_servers=kit.kafka, client_id="live")
    await live.start()
    live_metrics = RuntimeMetrics()
    relay = OutboxRelay(
        database_url=kit.database_url,
        producer=live,
        metrics=live_metrics,
        topic_prefix=kit.prefix,
    )
    relay.start()
    try:
        await eventually(
            lambda: (
                gauge(live_metrics, "civic_outbox_published_total", topic="cases.lifecycle.v1") == 1
                and gauge(live_metrics, "civic_outbox_oldest_age_seconds") == 0
            )
        )
    finally:
        await relay.stop()
        await live.stop()
