"""The provider call in the trace of the event that asked for the message.

The dispatcher sends from a background loop, outside any trace; the notification row keeps the
trace context of the consumer that created it, and the provider call (and NotificationSent after
it) continues that trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from civic_events.envelope import decode
from civic_events.notify import NotificationSent
from civic_runtime.telemetry import configure_tracing
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.integration


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = configure_tracing("notify-test")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays on the process's provider; it keeps nothing more


def one(spans: list[ReadableSpan], what: str, **attributes: Any) -> ReadableSpan:
    found = [
        s
        for s in spans
        if what in s.name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())
    ]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_the_provider_call_and_its_event_continue_the_trace_of_the_case_event(
    notify_kit: Any, spans: InMemorySpanExporter, read_records: Any, eventually: Any
) -> None:
    resident = notify_kit.resident(channel="email", email="traced@example.com")
    changed = notify_kit.case_status_changed(resident.resident_id, "WST-2026-000888")
    async with notify_kit.service() as notify:
        await notify_kit.publish(resident)
        with trace.get_tracer("test").start_as_current_span("cases publishes") as root:
            await notify_kit.publish(changed)

        async def sent() -> list[dict[str, Any]]:
            rows = await notify.notifications(caused_by=changed.event_id)
            return rows if rows and rows[0]["status"] in ("sent", "delivered") else []

        [row] = await eventually(sent, timeout=90)
        records = await read_records(notify_kit.prefix + "notify.delivery.v1", 1, timeout=60)
    trace_id = root.get_span_context().trace_id
    finished = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]

    provider_span = one(finished, "govuk-notify send email", **{"notify.provider": "govuk-notify"})
    assert provider_span.kind == trace.SpanKind.CLIENT
    assert provider_span.attributes is not None
    assert provider_span.attributes["notify.notification_id"] == str(row["id"])
    assert provider_span.attributes["notify.channel"] == "email"
    assert "traced@example.com" not in repr(dict(provider_span.attributes))
    # Its parent is the span of the consumer that created the notification (FastStream's, which
    # continued the trace from the event's `traceparent`), and the row says so.
    assert provider_span.parent is not None
    [consumer] = [s for s in finished if s.context.span_id == provider_span.parent.span_id]
    assert consumer.kind == trace.SpanKind.CONSUMER
    assert "cases.lifecycle.v1" in consumer.name
    assert provider_span.context.trace_id == consumer.context.trace_id == trace_id
    assert row["traceparent"].startswith(f"00-{trace_id:032x}-{consumer.context.span_id:016x}-")
    # NotificationSent leaves in the same trace: the outbox relay's publish span hangs off the
    # provider call, and the record's `traceparent` carries it on.
    publish = one(finished, "notify.delivery.v1 publish")
    assert publish.parent is not None and publish.parent.span_id == provider_span.context.span_id
    [record] = [r for r in records if isinstance(decode(r.headers, r.value), NotificationSent)]
    headers = {name: value.decode() for name, value in record.headers}
    assert headers["traceparent"].split("-")[1] == f"{trace_id:032x}"


async def test_a_broadcasts_messages_start_their_own_traces_linked_to_the_disruption(
    notify_kit: Any, spans: InMemorySpanExporter, eventually: Any
) -> None:
    # Thousands of provider calls under one parent would make the disruption's trace unreadable.
    round_id = "ROUND-WED-03"
    residents = [
        notify_kit.resident(channel="email", email=f"household{n}@example.com", rounds=(round_id,))
        for n in range(2)
    ]
    disruption = notify_kit.disruption(round_id)
    async with notify_kit.service() as notify:
        await notify_kit.publish(*residents)
        for resident in residents:
            await eventually(lambda r=resident: notify.has_applied(r.event_id), timeout=90)
        with trace.get_tracer("test").start_as_current_span("the contractor reports") as root:
            await notify_kit.publish(disruption)

        async def sent() -> list[dict[str, Any]]:
            rows = await notify.notifications(caused_by=disruption.event_id)
            done = len(rows) == 2 and all(r["status"] in ("sent", "delivered") for r in rows)
            return rows if done else []

        rows = await eventually(sent, timeout=90)
    trace_id = root.get_span_context().trace_id
    consumer = next(
        s
        for s in spans.get_finished_spans()
        if s.context.trace_id == trace_id
        and s.kind == trace.SpanKind.CONSUMER
        and "backoffice.waste.v1" in s.name
    )
    calls = [
        s
        for s in spans.get_finished_spans()
        if s.name == "govuk-notify send email"
        and (s.attributes or {}).get("notify.notification_id") in {str(r["id"]) for r in rows}
    ]
    assert len(calls) == 2
    for call in calls:
        assert call.parent is None
        assert call.context.trace_id != trace_id
        assert [link.context.span_id for link in call.links] == [consumer.context.span_id]
