"""A small service built with the runtime's own factory, for the operating commands' tests.

Its one handler records each applied CaseOpened in `effects`; an event whose id is in `broken`
is refused with PermanentError (straight to the `.dlq`), until the test "fixes" it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseOpened
from civic_events.envelope import KafkaRecord, encode
from civic_runtime.app import build_runtime, create_service
from civic_runtime.consumers import EventHandlers, PermanentError
from civic_runtime.ops.cli import run
from civic_runtime.producer import EventProducer
from civic_runtime.settings import ServiceSettings
from civic_runtime.tables import RUNTIME_TABLES
from civic_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import create_async_engine

metadata = sa.MetaData()
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Uuid, nullable=False),
)


@dataclass
class Service:
    """The test service's database, topics and handler; `running()` starts it."""

    database_url: str
    kafka: str
    prefix: str
    broken: set[uuid.UUID] = field(default_factory=set)
    name: str = "opsvc"

    @property
    def group(self) -> str:
        return f"{self.prefix}{self.name}"

    def handlers(self) -> EventHandlers:
        handlers = EventHandlers()

        @handlers.on(CaseOpened, name="case-opened")
        async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
            if event.event_id in self.broken:
                raise PermanentError("this service cannot take that case yet")
            await uow.session.execute(sa.insert(effects).values(event_id=event.event_id))

        return handlers

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Any]:
        settings = ServiceSettings(
            service_name=self.name,
            environment="test",
            database_url=self.database_url,
            kafka_bootstrap_servers=self.kafka,
            topic_prefix=self.prefix,
            consumer_group=self.group,
            migrate_on_start=False,
            log_json=False,
        )
        app = create_service(
            build_runtime(settings, handlers=self.handlers()),
            title="ops test",
            description="a service for the operating commands' tests",
            migrations_dir=Path("/nonexistent"),
        )
        async with app.router.lifespan_context(app):
            yield app.state.runtime

    async def applied(self) -> list[uuid.UUID]:
        engine = create_async_engine(self.database_url, poolclass=sa.pool.NullPool)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    sa.select(effects.c.event_id).order_by(effects.c.id)
                )
                return [row.event_id for row in rows]
        finally:
            await engine.dispose()

    async def produce(self, *records: KafkaRecord) -> None:
        producer = EventProducer(bootstrap_servers=self.kafka, client_id="ops-test")
        await producer.start()
        try:
            for record in records:
                topic = (
                    record.topic
                    if record.topic.startswith(self.prefix)
                    else self.prefix + record.topic
                )
                await producer.send(KafkaRecord(topic, record.key, record.value, record.headers))
        finally:
            await producer.stop()

    def consumed(self, runtime: Any, outcome: str) -> float:
        """How many CaseOpened this running service (`runtime`) has consumed with `outcome`."""
        value = runtime.metrics.registry.get_sample_value(
            "civic_consumer_events_total",
            {
                "topic": self.prefix + "cases.lifecycle.v1",
                "event_type": "uk.gov.council.cases.CaseOpened.v1",
                "outcome": outcome,
            },
        )
        return value or 0.0

    @staticmethod
    def case_opened(reference: str = "WST-2026-000001") -> CaseOpened:
        return CaseOpened(
            source="cases",
            subject=reference,
            case_id=uuid.uuid4(),
            case_type="missed_bin",
            status="received",
        )

    @staticmethod
    def record(event: CaseOpened) -> KafkaRecord:
        return encode(event)


@pytest.fixture
async def service(database_url: str, topic_prefix: str, infrastructure: Any) -> Service:
    engine = create_async_engine(database_url, poolclass=sa.pool.NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: metadata.create_all(c))
        for table in RUNTIME_TABLES:
            await connection.run_sync(lambda c, t=table: t.create(c, checkfirst=True))
    await engine.dispose()
    return Service(database_url, infrastructure.kafka_bootstrap_servers, topic_prefix)


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def ops(capsys: pytest.CaptureFixture[str], infrastructure: Any, topic_prefix: str) -> Any:
    """Run `python -m civic_runtime.ops` in-process against this test's topics; `--json` added."""

    async def call(*argv: str, json_output: bool = True) -> Result:
        capsys.readouterr()
        common = [
            "--bootstrap-servers",
            infrastructure.kafka_bootstrap_servers,
            "--topic-prefix",
            topic_prefix,
        ]
        code = await run([*common, *(["--json"] if json_output else []), *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call
