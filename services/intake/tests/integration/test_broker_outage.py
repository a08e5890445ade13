"""The broker down: a submission is still durable (committed to the outbox) and answered 202;
the event stays in the outbox while the broker is unreachable and is published once it is back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError
from civic_events.envelope import decode
from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.outbox import OutboxRelay
from civic_runtime.producer import EventProducer
from intake_factories import submission
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration


async def test_an_event_outlives_a_dead_broker_and_is_published_when_it_is_back(
    database_url: str, topic_prefix: str, infrastructure: Any, read_records: Any, eventually: Any
) -> None:
    from intake.bootstrap import create_app
    from intake.config import IntakeSettings

    settings = IntakeSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
        outbox_enabled=False,  # this instance's relay is "the one that cannot reach Kafka"
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        response = await client.post(
            "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
        )
    assert response.status_code == 202
    reference = response.json()["reference"]

    engine = create_async_engine(database_url)
    pending = sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(pending) == 1

        # A relay whose broker is unreachable: publishing fails, the row stays unpublished.
        dead = EventProducer(bootstrap_servers="127.0.0.1:1", client_id="dead")
        with pytest.raises(KafkaConnectionError):
            await dead.start()
        dead_relay = OutboxRelay(
            database_url=database_url,
            producer=dead,
            metrics=RuntimeMetrics(),
            topic_prefix=topic_prefix,
        )
        async with engine.connect() as connection:
            with pytest.raises(RuntimeError):
                await dead_relay.publish_batch(connection)
        async with engine.connect() as connection:
            assert await connection.scalar(pending) == 1

        # The broker is back: a relay publishes what the outbox kept.
        live = EventProducer(
            bootstrap_servers=infrastructure.kafka_bootstrap_servers, client_id="live"
        )
        await live.start()
        relay = OutboxRelay(
            database_url=database_url,
            producer=live,
            metrics=RuntimeMetrics(),
            topic_prefix=topic_prefix,
        )
        relay.start()
        try:
            records = await read_records(topic_prefix + "intake.submission.v1", 1)
        finally:
            await relay.stop()
            await live.stop()
        assert decode(records[0].headers, records[0].value).subject == reference

        async def published() -> bool:
            async with engine.connect() as connection:
                return await connection.scalar(pending) == 0

        await eventually(published)
    finally:
        await engine.dispose()
