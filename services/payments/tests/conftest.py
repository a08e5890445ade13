"""Payments test fixtures: the GOV.UK Pay simulator and the payments service, each on a real loopback
port (the simulator's webhooks reach the service over HTTP), real Kafka and PostgreSQL.

Shared through fixtures: test modules cannot import each other under importlib import mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from civic_events.base import Event
from civic_events.envelope import KafkaRecord, decode, encode
from civic_events.payments import (
    PaymentCreated,
    PaymentFailed,
    PaymentRequested,
    PaymentSucceeded,
)
from civic_runtime.migrations import upgrade_async
from civic_runtime.producer import EventProducer
from civic_runtime.uow import UnitOfWork, unit_of_work
from civic_simulators.govuk_pay import PaySimulatorSettings
from civic_simulators.govuk_pay import create_app as create_simulator
from fastapi import FastAPI
from payments.bootstrap import MIGRATIONS_DIR, create_app
from payments.config import PaymentsSettings
from payments.service_layer.context import PaymentsContext
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).parent))

from payments_doubles import InMemoryPayGateway

# The officer the tests' requests come from: a configured token (PAYMENTS_OFFICERS), the same
# string as make run's development officer.
OFFICER_TOKEN = "dev-officer-token"
OFFICERS = [
    {
        "officer_id": "pat.officer",
        "token_sha256": hashlib.sha256(OFFICER_TOKEN.encode()).hexdigest(),
        "role": "officer",
        "teams": ["waste"],
    }
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1:`port` in this event loop, lifespan included."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Simulator:
    url: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def state(self) -> Any:
        return self.app.state.simulator

    async def outcome(self, payment_id: str, outcome: str) -> None:
        response = await self.client.post(
            f"/_sim/payments/{payment_id}/outcome", json={"outcome": outcome}
        )
        response.raise_for_status()

    async def subscribe(self, *urls: str) -> None:
        (
            await self.client.put("/_sim/webhooks/subscriptions", json={"urls": list(urls)})
        ).raise_for_status()

    async def drop_webhooks(self, count: int) -> None:
        (await self.client.post("/_sim/webhooks/drop", json={"count": count})).raise_for_status()

    async def deliveries(self) -> list[dict[str, Any]]:
        response = await self.client.get("/_sim/webhooks")
        response.raise_for_status()
        deliveries: list[dict[str, Any]] = response.json()
        return deliveries


@pytest.fixture
async def pay_simulator() -> AsyncIterator[Simulator]:
    port = free_port()
    settings = PaySimulatorSettings(
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        webhook_urls=[],  # each test subscribes its own service
        webhook_retry_scale=0.001,
        refund_settle_s=0.05,
        expiry_sweep_interval_s=0.05,
    )
    app = create_simulator(settings)
    async with serving(app, port) as url, httpx.AsyncClient(base_url=url) as client:
        yield Simulator(url=url, app=app, client=client)


@dataclass
class PaymentsService:
    url: str
    app: FastAPI
    client: httpx.AsyncClient
    settings: PaymentsSettings

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def context(self) -> Any:
        return self.app.state.payments_context

    async def rows(self, query: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.connect() as connection:
            return list(await connection.execute(sa.text(query), params))


ServiceFactory = Callable[..., Any]


@pytest.fixture
async def payments_service(
    database_url: str, topic_prefix: str, infrastructure: Any, pay_simulator: Simulator
) -> AsyncIterator[ServiceFactory]:
    """Start payments instances (one database, one consumer group) with settings overrides."""
    stack = contextlib.AsyncExitStack()

    async def start(*, subscribe: bool = True, **overrides: Any) -> PaymentsService:
        port = free_port()
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": database_url,
            "kafka_bootstrap_servers": infrastructure.kafka_bootstrap_servers,
            "topic_prefix": topic_prefix,
            "consumer_group": f"{topic_prefix}payments",
            "log_json": False,
            "retry_initial_backoff_ms": 20,
            "retry_max_backoff_ms": 200,
            "pay_api_url": pay_simulator.url,
            "public_base_url": f"http://127.0.0.1:{port}",
            "reconcile_enabled": False,
            "officers": OFFICERS,
        }
        values.update(overrides)
        settings = PaymentsSettings(**values)
        app = create_app(settings)
        url = await stack.enter_async_context(serving(app, port))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
        if subscribe:
            await pay_simulator.subscribe(f"{url}/gateway/webhooks")
        return PaymentsService(url=url, app=app, client=client, settings=settings)

    try:
        yield start
    finally:
        await stack.aclose()


@pytest.fixture
def payment_requested() -> Callable[..., PaymentRequested]:
    def make(
        *,
        reference: str | None = None,
        amount: int = 3500,
        service_code: str = "bulky_waste",
        **fields: Any,
    ) -> PaymentRequested:
        reference = reference or f"WST-2026-{uuid.uuid4().int % 1_000_000:06d}"
        values: dict[str, Any] = {
            "source": "cases",
            "subject": reference,
            "payment_request_id": uuid.uuid4(),
            "resident_id": uuid.uuid4(),
            "amount": amount,
            "description": "Bulky waste collection: 3 items",
            "reference": reference,
            "service_code": service_code,
        }
        values.update(fields)
        return PaymentRequested(**values)

    return make


@pytest.fixture
def publish(infrastructure: Any, topic_prefix: str) -> Callable[..., Awaitable[None]]:
    async def send(*events: Event) -> None:
        producer = EventProducer(
            bootstrap_servers=infrastructure.kafka_bootstrap_servers, client_id="test"
        )
        await producer.start()
        try:
            for event in events:
                record = encode(event)
                await producer.send(
                    KafkaRecord(
                        topic_prefix + record.topic, record.key, record.value, record.headers
                    )
                )
        finally:
            await producer.stop()

    return send


async def read_all(bootstrap: str, topic: str) -> list[Event]:
    """Every event on `topic` right now, from the beginning of each partition to its end."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        # Subscribing made the client fetch the topic's metadata; read it, then assign by hand.
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"no partitions for {topic}"
        consumer.unsubscribe()
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            batch = await consumer.getmany(*partitions, timeout_ms=200)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return [decode(record.headers, record.value) for record in records]


@pytest.fixture
def payment_events(infrastructure: Any, topic_prefix: str) -> Callable[[], Awaitable[list[Event]]]:
    """Every event now on payments.v1 (the requests included)."""

    async def read() -> list[Event]:
        return await read_all(infrastructure.kafka_bootstrap_servers, f"{topic_prefix}payments.v1")

    return read


@pytest.fixture
def events_of(
    payment_events: Callable[[], Awaitable[list[Event]]], eventually: Any
) -> Callable[..., Awaitable[list[Any]]]:
    """Wait until at least `count` events of `event_type` are on payments.v1; return them all."""

    async def wait(event_type: type[Event], count: int = 1, *, timeout: float = 30.0) -> list[Any]:
        found: list[Any] = []

        async def check() -> bool:
            found[:] = [e for e in await payment_events() if isinstance(e, event_type)]
            return len(found) >= count

        await eventually(check, timeout=timeout, interval=0.2)
        return found

    return wait


@dataclass
class PaymentFlow:
    """One integration test's world: payments instances (`start`), the GOV.UK Pay simulator
    (`pay`), requests from cases (`request`, `publish`) and what payments announced (`events`)."""

    start: ServiceFactory
    pay: Simulator
    request: Callable[..., PaymentRequested]
    publish: Callable[..., Awaitable[None]]
    events_of: Callable[..., Awaitable[list[Any]]]
    events: Callable[[], Awaitable[list[Event]]]
    eventually: Any

    async def created(self, request: PaymentRequested) -> PaymentCreated:
        """Publish the request; the one PaymentCreated that answers it."""
        await self.publish(request)
        [created] = [
            e
            for e in await self.events_of(PaymentCreated)
            if e.payment_request_id == request.payment_request_id
        ]
        return created

    async def finished(self, request: PaymentRequested, outcome: str = "success") -> PaymentCreated:
        """Publish the request, end its payment on the simulator with `outcome` (success, failed,
        expired, ...) and wait until payments announces the result."""
        created = await self.created(request)
        await self.pay.outcome(created.payment_id, outcome)
        await self.events_of(PaymentSucceeded if outcome == "success" else PaymentFailed)
        return created

    async def settled(self, service: PaymentsService) -> None:
        """Wait until everything the service wrote to its outbox is on Kafka."""

        async def empty() -> bool:
            rows = await service.rows("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            return bool(rows[0][0] == 0)

        await self.eventually(empty)


@pytest.fixture
def flow(
    payments_service: ServiceFactory,
    pay_simulator: Simulator,
    payment_requested: Callable[..., PaymentRequested],
    publish: Callable[..., Awaitable[None]],
    events_of: Callable[..., Awaitable[list[Any]]],
    payment_events: Callable[[], Awaitable[list[Event]]],
    eventually: Any,
) -> PaymentFlow:
    return PaymentFlow(
        start=payments_service,
        pay=pay_simulator,
        request=payment_requested,
        publish=publish,
        events_of=events_of,
        events=payment_events,
        eventually=eventually,
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class UseCases:
    """The use cases wired to a real, migrated database and the in-memory gateway; no Kafka, no HTTP."""

    context: PaymentsContext
    gateway: InMemoryPayGateway
    clock: Clock
    session_factory: Any
    events: list[Event] = field(default_factory=list)  # published by committed units of work

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with unit_of_work(self.session_factory) as uow:
            yield uow
        self.events.extend(uow.published)

    def published(self, event_type: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, event_type)]

    async def rows(self, query: str, **params: Any) -> list[Any]:
        async with self.session_factory() as session:
            return list(await session.execute(sa.text(query), params))


@pytest.fixture
async def use_cases(database_url: str) -> AsyncIterator[UseCases]:
    await upgrade_async(MIGRATIONS_DIR, database_url)
    engine = create_async_engine(database_url, poolclass=sa.pool.NullPool)
    clock = Clock()
    gateway = InMemoryPayGateway(clock=clock)
    settings = PaymentsSettings(environment="test", database_url=database_url, log_json=False)
    context = PaymentsContext(settings=settings, gateway=gateway, clock=clock)
    try:
        yield UseCases(
            context=context,
            gateway=gateway,
            clock=clock,
            session_factory=async_sessionmaker(engine, expire_on_commit=False),
        )
    finally:
        await engine.dispose()
