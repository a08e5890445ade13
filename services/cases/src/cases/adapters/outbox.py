"""Several events staged in the runtime's outbox in one statement, with the rows they announce.

The runtime's `UnitOfWork.publish` writes one event per statement. Opening a case writes its
rows and two to four events: here they go in one round trip, the rows as data-modifying CTEs of
the statement that stages the events. Each event's key is locked (the runtime's transaction-scoped
advisory lock on the key) before its row takes an id, and the rows take ids in the order given,
so the relay publishes them as `UnitOfWork.publish` would have, in commit order per key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from civic_events.base import Event
from civic_runtime.outbox import stage_parameters
from civic_runtime.tables import OutboxMessage
from civic_runtime.telemetry import current_trace_headers
from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

_outbox = OutboxMessage.__table__

_events = (
    sa.func.unnest(
        sa.bindparam("outbox_event_id", type_=ARRAY(sa.Uuid)),
        sa.bindparam("outbox_event_type", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_topic", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_key", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_headers", type_=ARRAY(sa.Text)),
        sa.bindparam("outbox_payload", type_=ARRAY(sa.LargeBinary)),
    )
    .table_valued(
        "event_id", "event_type", "topic", "key", "headers", "payload", with_ordinality="position"
    )
    .render_derived(name="staged")
)
# The lock is in the select list of a sub-select: PostgreSQL does not flatten a sub-select with a
# volatile function, so it runs once per event, before the event's row (and its id) is written.
_locked = sa.select(
    _events.c.event_id,
    _events.c.event_type,
    _events.c.topic,
    _events.c.key,
    sa.cast(_events.c.headers, JSONB).label("headers"),
    _events.c.payload,
    _events.c.position,
    sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(_events.c.key, 0)).label("locked"),
).subquery("key_locked")
STAGE_MANY = sa.insert(_outbox).from_select(
    ["event_id", "event_type", "topic", "key", "headers", "payload"],
    sa.select(
        _locked.c.event_id,
        _locked.c.event_type,
        _locked.c.topic,
        _locked.c.key,
        _locked.c.headers,
        _locked.c.payload,
    ).order_by(_locked.c.position),
)


async def publish(
    uow: UnitOfWork,
    events: Sequence[Event],
    *,
    statement: sa.Insert = STAGE_MANY,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Stage `events` in order with `statement`: STAGE_MANY, or STAGE_MANY with data-modifying
    CTEs (and their `params`) writing what the events announce.

    Like `uow.publish`, the events are announced if, and only if, the unit of work commits.
    """
    trace_headers = current_trace_headers()
    staged = [stage_parameters(event, trace_headers) for event in events]
    await uow.session.execute(
        statement,
        {
            **(params or {}),
            "outbox_event_id": [row["event_id"] for row in staged],
            "outbox_event_type": [row["event_type"] for row in staged],
            "outbox_topic": [row["topic"] for row in staged],
            "outbox_key": [row["key"] for row in staged],
            "outbox_headers": [json.dumps(row["headers"]) for row in staged],
            "outbox_payload": [row["payload"] for row in staged],
        },
    )
    uow.published.extend(events)
