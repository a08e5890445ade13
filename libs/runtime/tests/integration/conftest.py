"""A minimal service built with the runtime's own factory, for the runtime's integration tests.

Its handlers record each applied event in an `effects` table, in the handler's transaction.
Exposed as fixtures: test modules cannot import each other under importlib import mode.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseOpened
from civic_events.envelope import KafkaRecord
from civic_runtime.app import ServiceRuntime, build_runtime, create_service
from civic_runtime.consumers import EventHandlers
from civic_runtime.producer import EventProducer
from civic_runtime.settings import ServiceSettings
from civic_runtime.tables import RUNTIME_TABLES
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

metadata = sa.MetaData()
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.Column("subject", sa.String, nullable=False),
)


def settings_for(
    *, database_url: str, kafka: str, prefix: str, name: str = "testsvc", **overrides: Any
) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": name,
        "environment": "test",
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka,
        "topic_prefix": prefix,
        "consumer_group": f"{prefix}{name}",
        "migrate_on_start": False,
        "retry_initial_backoff_ms": 20,
        "retry_max_backoff_ms": 200,
        "log_json": False,
    }
    values.update(overrides)
    return ServiceSettings(**values)


async def create_tables(database_url: str) -> None:
    engine = create_async_engine(database_url, poolclass=sa.pool.NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: metadata.create_all(c))
        for table in RUNTIME_TABLES:
            await connection.run_sync(lambda c, t=table: t.create(c, checkfirst=True))
    await engine.dispose()


@dataclass
class Harness:
    app: FastAPI
    runtime: ServiceRuntime
    calls: list[uuid.UUID] = field(default_factory=list)

    async def effects(self) -> list[tuple[uuid.UUID, str]]:
        async with self.runtime.engine.connect() as connection:
            rows = await connection.execute(
                sa.select(effects.c.event_id, effects.c.subject).order_by(effects.c.id)
            )
            return [(row.event_id, row.subject) for row in rows]


@asynccontextmanager
async def running(settings: ServiceSettings, handlers: EventHandlers) -> AsyncIterator[Harness]:
    app = create_service(
        build_runtime(settings, handlers=handlers),
        title="test",
        description="runtime test service",
        migrations_dir=Path("/nonexistent"),
    )
    async with app.router.lifespan_context(app):
        yield Harness(app=app, runtime=app.state.runtime)


@dataclass(frozen=True)
class Kit:
    """What a runtime test needs: settings for this test's database and topics, and the harness."""

    database_url: str
    kafka: str
    prefix: str
    effects: sa.Table = effects

    def settings(self, **overrides: Any) -> ServiceSettings:
        return settings_for(
            database_url=self.database_url, kafka=self.kafka, prefix=self.prefix, **overrides
        )

    def running(self, settings: ServiceSettings, handlers: EventHandlers) -> Any:
        return running(settings, handlers)

    async def produce(self, *records: KafkaRecord) -> None:
        """Send records to this test's topics, one after another (their order matters)."""
        producer = EventProducer(bootstrap_servers=self.kafka, client_id="test")
        await producer.start()
        try:
            for record in records:
                await producer.send(
                    KafkaRecord(
                        self.prefix + record.topic, record.key, record.value, record.headers
                    )
                )
        finally:
            await producer.stop()

    @staticmethod
    def case_opened(reference: str = "WST-2026-000001") -> CaseOpened:
        return CaseOpened(
            source="cases",
            subject=reference,
            case_id=uuid.uuid4(),
            case_type="missed_bin",
            status="received",
        )


@pytest.fixture
async def kit(database_url: str, topic_prefix: str, infrastructure: Any) -> Kit:
    await create_tables(database_url)
    return Kit(database_url, infrastructure.kafka_bootstrap_servers, topic_prefix)
