"""Shared by the cases service's tests: event factories, a running service, Kafka in and out."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from civic_events.base import Event
from civic_events.envelope import decode, encode
from civic_runtime.producer import EventProducer
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).parent))

from cases_factories import officers_setting


@dataclasses.dataclass
class CasesKit:
    database_url: str
    kafka: str
    prefix: str
    read_records: Callable[..., Awaitable[list[Any]]]

    def settings(self, **overrides: Any) -> Any:
        from cases.config import CasesSettings

        values: dict[str, Any] = {
            "environment": "test",
            "database_url": self.database_url,
            "kafka_bootstrap_servers": self.kafka,
            "topic_prefix": self.prefix,
            "consumer_group": f"{self.prefix}cases",
            "log_json": False,
            "retry_initial_backoff_ms": 20,
            "retry_max_backoff_ms": 200,
            "sla_checker_enabled": False,
            "officers": officers_setting(),
            # No contractor unless a test brings its fake one.
            "waste_contractor_url": "",
        }
        values.update(overrides)
        return CasesSettings(**values)

    @asynccontextmanager
    async def running(self, **overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
        from cases.bootstrap import create_app

        app = create_app(self.settings(**overrides))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            yield app, client

    async def produce(self, *events: Event) -> None:
        producer = EventProducer(bootstrap_servers=self.kafka, client_id="cases-tests")
        await producer.start()
        try:
            records = [encode(event) for event in events]
            await producer.send_many(
                [dataclasses.replace(r, topic=self.prefix + r.topic) for r in records]
            )
        finally:
            await producer.stop()

    @staticmethod
    async def outbox_types(app: Any, key: str) -> list[str]:
        """The events written for `key`, in order (as the relay will publish them)."""
        async with app.state.runtime.engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT event_type FROM outbox WHERE key = :key ORDER BY id"), {"key": key}
            )
            return [row.event_type.split(".")[-2] for row in rows]

    @staticmethod
    async def timeline(app: Any, reference: str) -> list[Any]:
        async with app.state.runtime.engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT t.kind, t.summary, t.event_id FROM cases_timeline t "
                    "JOIN cases_case c ON c.id = t.case_id WHERE c.reference = :reference "
                    "ORDER BY t.occurred_at, t.id"
                ),
                {"reference": reference},
            )
            return list(rows)

    @staticmethod
    async def metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
        """A sample's value on the service's /metrics (0 when absent)."""
        text = (await client.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    @staticmethod
    async def _first_row(app: Any, query: str, **params: Any) -> Any:
        async with app.state.runtime.engine.connect() as connection:
            return (await connection.execute(sa.text(query), params)).first()

    async def work_order(self, app: Any, reference: str) -> Any:
        return await self._first_row(
            app,
            "SELECT * FROM cases_work_orders WHERE council_reference = :reference",
            reference=reference,
        )

    async def case_row(self, app: Any, reference: str) -> Any:
        return await self._first_row(
            app, "SELECT * FROM cases_case WHERE reference = :reference", reference=reference
        )

    async def open_case(self, app: Any, submitted: Event, *, timeout: float = 30.0) -> Any:
        """Produce the event that opens a case and wait until the case exists."""
        await self.produce(submitted)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (row := await self.case_row(app, submitted.subject)) is None:
            if loop.time() > deadline:
                raise AssertionError(f"case {submitted.subject} not opened in {timeout}s")
            await asyncio.sleep(0.05)
        return row

    async def confirm_contacts(self, app: Any, client: httpx.AsyncClient, resident_id: Any) -> int:
        """Do what the resident does with each link sent to them: confirm it (the links read
        from the outbox's ContactChangeRequested). Returns how many."""
        async with app.state.runtime.engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT payload FROM outbox WHERE key = :key "
                    "AND event_type LIKE '%.ContactChangeRequested.%' ORDER BY id"
                ),
                {"key": str(resident_id)},
            )
            links = [json.loads(row.payload)["confirm_url"] for row in rows]
        for link in links:
            confirmed = await client.post(
                "/v1/contact-changes/confirm", json={"token": link.rsplit("/", 1)[1]}
            )
            assert confirmed.status_code == 200, confirmed.text
        return len(links)

    async def events(self, topic: str, count: int, *, timeout: float = 30.0) -> list[Event]:
        records = await self.read_records(self.prefix + topic, count, timeout=timeout)
        return [decode(record.headers, record.value) for record in records]


@pytest.fixture
async def kit(
    database_url: str, topic_prefix: str, infrastructure: Any, read_records: Any
) -> CasesKit:
    return CasesKit(
        database_url, infrastructure.kafka_bootstrap_servers, topic_prefix, read_records
    )
