"""A unit of work: one database transaction holding a state change and the events that announce it.

On an ORM session (`unit_of_work`), or on a Core connection (`connection_unit_of_work`) where the
work needs no ORM: both execute statements, and both stage events the same way (`outbox.stage_many`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic

import sqlalchemy as sa
from civic_events.base import Event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from typing_extensions import TypeVar

from civic_runtime.outbox import STAGE_MANY, OutboxEntry, outbox_entry, stage_many
from civic_runtime.telemetry import current_trace_headers

Db = TypeVar("Db", AsyncSession, AsyncConnection, default=AsyncSession)


class UnitOfWork(Generic[Db]):
    """`session`: the ORM session, or the Core connection, the work runs on. `atomic`: whether
    that is one transaction (a Core connection may run each statement on its own instead)."""

    def __init__(self, session: Db, *, atomic: bool = True) -> None:
        self.session: Db = session
        self.atomic = atomic
        self.published: list[Event] = []

    async def stage(self, event: Event) -> None:
        """Announce `event` if, and only if, this unit of work commits."""
        await self.stage_many((event,))

    async def stage_many(
        self,
        events: Sequence[Event | OutboxEntry],
        *,
        statement: sa.Insert = STAGE_MANY,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Announce `events`, in this order, if and only if this unit of work commits: one
        statement (`outbox.stage_many`, with its `statement` and `params`). An event given as an
        `OutboxEntry` keeps the trace context it was encoded in; the others take the current one."""
        trace_headers = current_trace_headers()
        entries = [
            event if isinstance(event, OutboxEntry) else outbox_entry(event, trace_headers)
            for event in events
        ]
        await stage_many(self.session, entries, statement=statement, params=params)
        self.published.extend(entry.event for entry in entries)


@asynccontextmanager
async def unit_of_work(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    on_commit: Callable[[], None] | None = None,
) -> AsyncIterator[UnitOfWork]:
    """Commit on normal exit, roll back on an exception; wake the relay when events were written."""
    async with session_factory() as session, session.begin():
        uow = UnitOfWork(session)
        yield uow
    if uow.published and on_commit is not None:
        on_commit()


@asynccontextmanager
async def connection_unit_of_work(
    engine: AsyncEngine, *, atomic: bool = True, on_commit: Callable[[], None] | None = None
) -> AsyncIterator[UnitOfWork[AsyncConnection]]:
    """A unit of work on a Core connection. `atomic`: one transaction, committed on normal exit
    and rolled back on an exception; otherwise each statement commits on its own (autocommit),
    which saves the BEGIN and COMMIT round trips of work that is one statement, or only reads."""
    if atomic:
        async with engine.begin() as connection:
            uow = UnitOfWork(connection)
            yield uow
    else:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            uow = UnitOfWork(connection, atomic=False)
            yield uow
    if uow.published and on_commit is not None:
        on_commit()
