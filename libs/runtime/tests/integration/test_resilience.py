"""Outages, graceful shutdown and trace propagation, against the real broker and database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.cases import CaseOpened
from civic_events.envelope import encode
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.integration


def sample(harness: Any, name: str, **labels: str) -> float:
    return harness.runtime.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_an_outage_is_waited_out_beyond_the_retry_limit_and_nothing_is_dead_lettered(
    kit: Any, eventually: Any
) -> None:
    handlers = EventHandlers()
    attempts: list[int] = []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        attempts.append(1)
        if len(attempts) <= 5:
            raise ConnectionRefusedError("the waste contractor's database is restarting")
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )

    await kit.produce(encode(kit.case_opened()))
    settings = kit.settings(retry_max_attempts=2, outage_max_backoff_ms=50)
    async with kit.running(settings, handlers) as harness:
        topic = kit.prefix + "cases.lifecycle.v1"
        await eventually(lambda: len(attempts) == 6)
        await eventually(
            lambda: (
                sample(
                    harness,
                    "civic_consumer_events_total",
                    topic=topic,
                    event_type=CaseOpened.ce_type,
                    outcome="applied",
                )
                == 1
            )
        )
        assert sample(harness, "civic_consumer_retries_total", topic=topic, kind="outage") == 5
        assert (
            sample(
                harness,
                "civic_consumer_events_total",
                topic=topic,
                event_type=CaseOpened.ce_type,
                outcome="dead_lettered",
            )
            == 0
        )


async def test_shutdown_finishes_the_message_in_flight_and_commits_its_offset(
    kit: Any, eventually: Any
) -> None:
    handlers = EventHandlers()
    started, applied = asyncio.Event(), []

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        started.set()
        await asyncio.sleep(1.0)  # a slow back-office look-up, say
        await uow.session.execute(
            sa.insert(kit.effects).values(event_id=event.event_id, subject=event.subject)
        )
        applied.append(event.event_id)

    event = kit.case_opened()
    await kit.produce(encode(event))
    async with kit.running(kit.settings(), handlers) as harness:
        await asyncio.wait_for(started.wait(), timeout=30)
        # Leaving the block runs the lifespan's shutdown while the handler is mid-flight.
    assert applied == [event.event_id]
    assert await harness.effects() == [(event.event_id, event.subject)]

    # Restarted, the group resumes after the committed offset: nothing is applied again.
    async with kit.running(kit.settings(), handlers) as harness:
        await asyncio.sleep(2.0)
        assert applied == [event.event_id]
        assert (
            sample(
                harness,
                "civic_consumer_events_total",
                topic=kit.prefix + "cases.lifecycle.v1",
                event_type=CaseOpened.ce_type,
                outcome="duplicate",
            )
            == 0
        )


async def test_one_trace_follows_an_event_from_the_writing_transaction_to_the_consumer(
    kit: Any, eventually: Any
) -> None:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        from civic_runtime.telemetry import configure_tracing

        provider = configure_tracing("test")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    seen: list[int] = []
    handlers = EventHandlers()

    @handlers.on(CaseOpened, name="case-opened")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    async with (
        kit.running(kit.settings(name="producer-svc"), EventHandlers()) as producer_side,
        kit.running(kit.settings(name="consumer-svc"), handlers),
    ):
        with trace.get_tracer("test").start_as_current_span("resident submits the form") as root:
            async with producer_side.runtime.unit_of_work() as uow:
                await uow.stage(kit.case_opened())
        await eventually(lambda: seen)

    trace_id = root.get_span_context().trace_id
    assert seen == [trace_id]
    spans = [span for span in exporter.get_finished_spans() if span.context.trace_id == trace_id]
    kinds = {span.kind for span in spans}
    assert trace.SpanKind.PRODUCER in kinds  # the outbox relay's publish
    assert trace.SpanKind.CONSUMER in kinds  # FastStream's consume span in the other service
