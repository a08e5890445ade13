"""The submission's database work on a Core connection, with FormSubmitted into the outbox.

Every submission pays for this, so it skips what it does not need: no ORM session (a Core
connection has the same `execute`), statements built once with bind parameters rather than per
request, and the outbox row written in the same statement as the receipt. The outbox
row is the runtime's STAGE statement (the key's advisory lock a sub-select of the INSERT), here
extended by the receipt's data-modifying CTE.

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
from civic_runtime.app import ServiceRuntime
from civic_runtime.outbox import STAGE, stage_parameters
from sqlalchemy.ext.asyncio import AsyncConnection


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
        await self.connection.execute(statement, {**(params or {}), **stage_parameters(event)})
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
