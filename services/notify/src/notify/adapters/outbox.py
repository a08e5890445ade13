"""Many events into the runtime's outbox in one round trip.

`UnitOfWork.publish` stages one event with one statement; a dispatcher batch records hundreds of
hand-overs at once. `publish_all` sends the runtime's own staging statement (with its per-key
advisory lock, which keeps each key's events in commit order) once with every event's parameters
(one pipelined executemany), and notes the events on the unit of work, as `publish` does, so the
relay is woken at commit. The events are staged in key order: two transactions staging some of
the same keys then take those keys' locks in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence

from civic_events.base import Event
from civic_runtime.outbox import STAGE, stage_parameters
from civic_runtime.uow import UnitOfWork
from opentelemetry.trace import SpanContext

from notify.adapters.tracing import within


async def publish_all(uow: UnitOfWork, events: Sequence[tuple[Event, SpanContext | None]]) -> None:
    """Announce each event, carrying the trace of its span context (if any), if and only if
    `uow` commits."""
    if not events:
        return
    staged = []
    for event, span_context in events:
        with within(span_context):  # the outbox keeps the current trace context with the event
            staged.append(stage_parameters(event))
    # A stable sort: one key's events keep the order given.
    staged.sort(key=lambda parameters: str(parameters["lock_key"]))
    await uow.session.execute(STAGE, staged)
    uow.published.extend(event for event, _ in events)
