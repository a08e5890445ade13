"""notify against real Kafka and PostgreSQL, the GOV.UK Notify simulator and the SMTP sink.

Fixtures (test modules cannot import each other): `notify_kit` starts the simulators and gives
`kit.service(**overrides)` (an async context manager running notify on a real loopback port),
`kit.publish(*events)`, `kit.resident(...)` and `kit.case_status_changed(...)` factories.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from civic_events.base import Event
from civic_events.cases import CaseStatusChanged
from civic_events.contact import Contact
from civic_events.envelope import KafkaRecord, encode
from civic_events.fields import Channel
from civic_events.residents import ResidentUpserted
from civic_events.waste import ServiceDisruption
from civic_runtime.producer import EventProducer
from civic_runtime.telemetry import current_trace_headers
from civic_simulators.govuk_notify.app import SimulatorConfig
from civic_simulators.govuk_notify.server import RunningSimulator, free_port, running
from civic_simulators.smtp_sink import SmtpSink
from fastapi import FastAPI
from notify.adapters.providers.base import (
    DeliveryProvider,
    OutgoingMessage,
    ProviderReceipt,
)
from notify.adapters.tables import Notification
from notify.bootstrap import build_providers, create_app
from notify.config import NotifySettings
from notify.entrypoints.dispatcher import Dispatcher

CALLBACK_TOKEN = "test-callback-token"
# Configured officers' tokens (NOTIFY_OFFICERS): an editor of templates who is not a caseworker,
# and a caseworker who edits no templates.
OFFICER_TOKENS = {
    "editor": ("token-template-editor-0123456789abcdef", "template-editor"),
    "officer": ("token-waste-officer-0123456789abcdef", "officer"),
}


def officers_setting() -> list[dict[str, Any]]:
    return [
        {
            "officer_id": name,
            "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
            "role": role,
            "teams": ["waste"],
        }
        for name, (token, role) in OFFICER_TOKENS.items()
    ]


def bearer(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {OFFICER_TOKENS[officer][0]}"}


class ProcessDied(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


class CrashAfterSend(DeliveryProvider):
    """Hands messages to the real provider; at the `fatal`-th (from 1), 'dies' right after the
    provider took it, before notify could record it; a dead process sends nothing more."""

    def __init__(self, inner: DeliveryProvider, *, fatal: int = 1) -> None:
        self.inner, self.fatal, self.calls = inner, fatal, 0
        self.name = inner.name
        self.channels = inner.channels
        self.supports_lookup = inner.supports_lookup

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        self.calls += 1
        if self.calls > self.fatal:
            raise ProcessDied(message.reference)
        receipt = await self.inner.send(message)
        if self.calls == self.fatal:
            raise ProcessDied(message.reference)
        return receipt

    async def find(self, reference: str) -> ProviderReceipt | None:
        return await self.inner.find(reference)


@asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[None]:
    """`app` served by uvicorn on the loopback `port` in this event loop, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@dataclass
class RunningNotify:
    app: FastAPI
    base_url: str
    settings: NotifySettings

    @property
    def dispatcher(self) -> Dispatcher:
        dispatcher: Dispatcher = self.app.state.dispatcher
        return dispatcher

    async def has_applied(self, event_id: uuid.UUID) -> bool:
        """Whether the event is in the inbox: its consumer has applied it."""
        async with self.app.state.runtime.engine.connect() as connection:
            found = await connection.scalar(
                sa.text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": event_id}
            )
        return bool(found)

    async def holds_case(self, resident_id: uuid.UUID, case_type: str = "missed_bin") -> None:
        """As a CaseOpened would record it: the resident has a case of `case_type`, so that
        officers of a team handling that type see them."""
        async with self.app.state.runtime.engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO notify_resident_case_type (resident_id, case_type) "
                    "VALUES (:resident_id, :case_type) ON CONFLICT DO NOTHING"
                ),
                {"resident_id": resident_id, "case_type": case_type},
            )

    async def notifications(self, **where: Any) -> list[dict[str, Any]]:
        table = Notification.__table__  # type: ignore[attr-defined]
        query = sa.select(table).order_by(table.c.created_at)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        async with self.app.state.runtime.engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(query)).mappings()]


@dataclass
class NotifyKit:
    database_url: str
    kafka: str
    prefix: str
    notify_port: int
    simulator: RunningSimulator
    smtp: SmtpSink
    sent_events: list[Event] = field(default_factory=list)
    # Headers of a request by a template editor, and by an officer (caseworker).
    as_editor: dict[str, str] = field(default_factory=lambda: bearer("editor"))
    as_officer: dict[str, str] = field(default_factory=lambda: bearer("officer"))

    def settings(self, **overrides: Any) -> NotifySettings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": self.database_url,
            "kafka_bootstrap_servers": self.kafka,
            "topic_prefix": self.prefix,
            "consumer_group": f"{self.prefix}notify",
            "log_json": False,
            "http_port": self.notify_port,
            "govuk_notify_base_url": self.simulator.base_url,
            "govuk_notify_api_key": self.simulator.api_key(),
            "govuk_notify_callback_token": CALLBACK_TOKEN,
            "officers": officers_setting(),
            "smtp_port": self.smtp.port,
            "dispatch_poll_interval_ms": 50,
            "temporary_failure_backoff_s": 0.05,
            "rate_limit_govuk_notify_per_minute": 0,
            "retry_initial_backoff_ms": 20,
            # The tests run at any hour: SMS and push are not held overnight unless a test about
            # quiet hours sets them.
            "quiet_hours": "",
        }
        values.update(overrides)
        return NotifySettings(**values)

    @asynccontextmanager
    async def service(
        self,
        *,
        wrap: Callable[[DeliveryProvider], DeliveryProvider] | None = None,
        dispatcher_enabled: bool = True,
        port: int | None = None,
        **overrides: Any,
    ) -> AsyncIterator[RunningNotify]:
        """One instance of notify; another at the same time needs its own `port`."""
        port = port or self.notify_port
        settings = self.settings(**overrides, http_port=port)
        providers = build_providers(settings)
        if wrap is not None:
            providers = {ch: [wrap(p) for p in chain] for ch, chain in providers.items()}
        app = create_app(settings, providers=providers, dispatcher_enabled=dispatcher_enabled)
        async with serving(app, port):
            yield RunningNotify(app, f"http://127.0.0.1:{port}", settings)

    async def publish(self, *events: Event) -> None:
        producer = EventProducer(bootstrap_servers=self.kafka, client_id="test")
        await producer.start()
        try:
            for event in events:
                # In the caller's trace, if any, as a service's outbox relay would.
                record = encode(event, **current_trace_headers())
                await producer.send(
                    KafkaRecord(
                        self.prefix + record.topic, record.key, record.value, record.headers
                    )
                )
                self.sent_events.append(event)
        finally:
            await producer.stop()

    @staticmethod
    def resident(
        *,
        channel: Channel = "email",
        email: str | None = "resident@example.com",
        phone: str | None = "+447700900123",
        rounds: tuple[str, ...] = (),
        resident_id: uuid.UUID | None = None,
    ) -> ResidentUpserted:
        resident_id = resident_id or uuid.uuid4()
        return ResidentUpserted(
            source="cases",
            subject=str(resident_id),
            resident_id=resident_id,
            contact=Contact(name="Sam Resident", email=email, phone=phone),
            preferred_channel=channel,
            collection_round_ids=rounds,
        )

    @staticmethod
    def case_status_changed(
        resident_id: uuid.UUID, reference: str = "WST-2026-004211"
    ) -> CaseStatusChanged:
        return CaseStatusChanged(
            source="cases",
            subject=reference,
            case_id=uuid.uuid4(),
            case_type="missed_bin",
            resident_id=resident_id,
            old_status="received",
            new_status="return_visit_scheduled",
            reason="ReturnVisitScheduled from the waste contractor",
            notify_resident=True,
        )

    @staticmethod
    def disruption(round_id: str, **overrides: Any) -> ServiceDisruption:
        """The waste contractor's ServiceDisruption for `round_id` (refuse, started)."""
        fields: dict[str, Any] = {
            "disruption_id": "DIS-2026-0077",
            "status": "started",
            "cause": "weather",
            "affected_date": date(2026, 12, 2),
            "bin_types": ("refuse",),
            "public_message": "Snow has closed the roads.",
            **overrides,
        }
        return ServiceDisruption(
            source="waste-contractor", subject=round_id, round_id=round_id, **fields
        )

    def at_simulator(self, reference: str) -> list[dict[str, Any]]:
        return [
            n
            for n in self.simulator.simulator.notifications.values()
            if n["reference"] == reference
        ]


@pytest.fixture
async def notify_kit(
    database_url: str, topic_prefix: str, infrastructure: Any
) -> AsyncIterator[NotifyKit]:
    notify_port = free_port()
    config = SimulatorConfig(
        callback_url=f"http://127.0.0.1:{notify_port}/callbacks/govuk-notify",
        callback_token=CALLBACK_TOKEN,
        callback_retry_interval_s=0.1,
    )
    smtp = SmtpSink(port=free_port())
    smtp.start()
    try:
        async with running(config) as simulator:
            yield NotifyKit(
                database_url=database_url,
                kafka=infrastructure.kafka_bootstrap_servers,
                prefix=topic_prefix,
                notify_port=notify_port,
                simulator=simulator,
                smtp=smtp,
            )
    finally:
        smtp.stop()


@pytest.fixture
def serve() -> Callable[[Any, int], AbstractAsyncContextManager[None]]:
    """Serve an app on a loopback port (for fakes of third parties)."""
    return serving


@pytest.fixture
def crash_after_send() -> type[CrashAfterSend]:
    return CrashAfterSend


@pytest.fixture
def http() -> Callable[..., httpx.AsyncClient]:
    """A client of `base_url`, sending `headers` (e.g. `notify_kit.as_editor`) with each request."""

    def client(base_url: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10)

    return client
