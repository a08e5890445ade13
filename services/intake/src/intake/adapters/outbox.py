"""The submission's database work on a Core connection, with FormSubmitted into the outbox.

Every submission pays for this, so it skips what it does not need: no ORM session (a Core
connection has the same `execute`), statements built once with bind parameters rather than per
request, and the outbox row written in the same statement as the receipt. The runtime's
`UnitOfWork.publish` takes the key's advisory lock and inserts the row in two round trips; here the
lock is a sub-select of the INSERT itself, which PostgreSQL evaluates before the row is written, so
per-key ordering is kept exactly as the relay expects. (A candidate for
`civic_runtime.outbox.add_to_outbox` itself: every service would save the round trip.)

Without an idempotency key a submission is two statements, `nextval` and one INSERT of the receipt
and its event; the INSERT is atomic on its own, so they run in autocommit, with no BEGIN or COMMIT
round trips, and the 202 still comes only once the event is committed. A number taken for an
INSERT that then fails is a gap in the sequence, which sequences have anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from civic_events.base import Event
from civic_events.envelope import encode
from civic_runtime.app import ServiceRuntime
from civic_runtime.tables import OutboxMessage
from civic_runtime.telemetry import current_trace_headers
from sqlalchemy.ext.asyncio import AsyncConnection

_outbox = OutboxMessage.__table__
_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "payload")
STAGE = sa.insert(_outbox).from_select(
    list(_COLUMNS),
    sa.select(*(sa.bindparam(name, type_=_outbox.c[name].type) for name in _COLUMNS)).select_from(
        sa.select(
            sa.func.pg_advisory_xact_lock(
                sa.func.hashtextextended(sa.bindparam("lock_key", type_=sa.Text), 0)
            ).label("locked")
        ).subquery("key_lock")
    ),
)


class CoreUnitOfWork:
    """Database work on one Core connection, and the events it announces once committed."""

    def __init__(self, connection: AsyncConnection, *, atomic: bool) -> None:
        self.connection = connection
        self.atomic = atomic
        self.published: list[Event] = []

    async def publish(
        self, event: Event, *, statement: sa.Insert = STAGE, params: dict[str, Any] | None = None
    ) -> None:
        """Stage `event` in the outbox, with `statement`: STAGE, or STAGE with a data-modifying
        CTE that writes the state change in the same statement (its values in `params`)."""
        record = encode(event, **current_trace_headers())
        await self.connection.execute(
            statement,
            {
                **(params or {}),
                "event_id": event.event_id,
                "event_type": event.ce_type,
                "topic": record.topic,
                "key": event.key,
                "lock_key": event.key,
                "headers": [[name, value.decode()] for name, value in record.headers],
                "payload": record.value,
            },
        )
        self.published.append(event)


@asynccontextmanager
async def core_unit_of_work(
    runtime: ServiceRuntime, *, atomic: bool = True
) -> AsyncIterator[CoreUnitOfWork]:
    """`atomic`: one transaction, committed on normal exit and rolled back on an exception.
    Otherwise each statement commits on its own (autocommit). Wakes the relay after events."""
    if atomic:
        async with runtime.engine.begin() as connection:
            uow = CoreUnitOfWork(connection, atomic=True)
            yield uow
    else:
        async with runtime.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            uow = CoreUnitOfWork(connection, atomic=False)
            yield uow
    if uow.published:
        runtime.relay.wake()
