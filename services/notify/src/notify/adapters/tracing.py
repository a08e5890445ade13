"""The provider call in the trace of the event that asked for the message.

The consumer that creates a notification runs in the event's trace (FastStream continues it from
the `traceparent` header); the dispatcher sends later, from a background loop outside any trace.
So the notification row keeps the W3C trace context it was created in, and the provider call is a
CLIENT span whose parent is that context. A broadcast's thousands of messages would make one
unreadably large trace: theirs start their own traces, each linked to the disruption's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, SpanKind, StatusCode

from notify.adapters.providers.base import DeliveryProvider

tracer = trace.get_tracer("notify.dispatch")


def stored_context(row: Mapping[str, Any]) -> Context:
    """The trace context a notification was created in (empty when it has none)."""
    return _extracted(row.get("traceparent"), row.get("tracestate"))[0]


def stored_span_context(row: Mapping[str, Any]) -> SpanContext | None:
    return _extracted(row.get("traceparent"), row.get("tracestate"))[1]


# A broadcast's thousands of messages share one stored context: parse it once. (Contexts and
# span contexts are immutable, so sharing them is safe.)
@lru_cache(maxsize=4096)
def _extracted(
    traceparent: str | None, tracestate: str | None
) -> tuple[Context, SpanContext | None]:
    carrier = {
        name: value
        for name, value in (("traceparent", traceparent), ("tracestate", tracestate))
        if value
    }
    context = propagate.extract(carrier, context=Context())
    found = trace.get_current_span(context).get_span_context()
    return context, found if found.is_valid else None


@contextmanager
def provider_span(row: Mapping[str, Any], provider: DeliveryProvider) -> Iterator[Span]:
    """A CLIENT span around one hand-over to a provider: the provider, the channel and our
    notification id, never the address. Exceptions set its status by their type only (their
    messages may quote an address)."""
    origin = stored_span_context(row)
    if row.get("broadcast_id") is None:
        parent, links = stored_context(row), []
    else:
        parent, links = Context(), [Link(origin)] if origin is not None else []
    with tracer.start_as_current_span(
        provider.span_name(row["channel"]),
        context=parent,
        kind=SpanKind.CLIENT,
        links=links,
        attributes={
            "notify.provider": provider.name,
            "notify.channel": row["channel"],
            "notify.notification_id": str(row["id"]),
            "notify.attempt": row.get("attempts") or 0,
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            failed(span, exc)
            raise


def failed(span: Span, exc: BaseException) -> None:
    span.set_status(StatusCode.ERROR, type(exc).__name__)
    span.set_attribute("error.type", type(exc).__name__)


@contextmanager
def within(span_context: SpanContext | None) -> Iterator[None]:
    """Make `span_context` current, so that an event published here (the outbox stores the
    current context in its headers) carries that trace."""
    if span_context is None or not span_context.is_valid:
        yield
        return
    with trace.use_span(NonRecordingSpan(span_context), end_on_exit=False):
        yield
