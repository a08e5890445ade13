"""A unit of work: one database transaction holding a state change and the events that announce it.

On an ORM session (`unit_of_work`), or on a Core connection (`connection_unit_of_work`) where the
work needs no ORM: both execute statements, and both stage events the same way (`outbox.stage_many`).
Rows described as `writes.Insert` and `writes.Update` go through `write`, with their events, to the
writer the runtime chose (`writes`: at once, or at the end of a consumer's batch). What the
consumer runtime read once for all of a transaction's events (`Preparation`) is in `prepared`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic

import sqlalchemy as sa
from civic_events.base import Event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from typing_extensions import TypeVar

from civic_runtime.outbox import STAGE_MANY, OutboxEntry, outbox_entry, stage_many
from civic_runtime.telemetry import current_trace_headers
from civic_runtime.writes import ImmediateWriter, Row, Writer

Db = TypeVar("Db", AsyncSession, AsyncConnection, default=AsyncSession)
P = TypeVar("P")


class Preparation(Generic[P]):
    """What a service's handlers need read once for all the events of a transaction, instead of
    once per event: the locks to take and the rows to look up (`EventHandlers.prepare`).

    The consumer runtime calls `read` with the transaction's fresh events (a whole batch, or the
    one record applied alone) before the first handler; a handler then finds the result in
    `uow.prepared(preparation)` and keeps it current with what it writes.
    """

    def __init__(self, read: Callable[[Sequence[Event], UnitOfWork], Awaitable[P]]) -> None:
        self.read = read

    def __repr__(self) -> str:
        return f"Preparation({getattr(self.read, '__qualname__', self.read)!r})"


class UnitOfWork(Generic[Db]):
    """`session`: the ORM session, or the Core connection, the work runs on. `atomic`: whether
    that is one transaction (a Core connection may run each statement on its own instead).
    `writer`: where `write` sends rows (default: at once). `prepared`: see `Preparation`."""

    def __init__(
        self,
        session: Db,
        *,
        atomic: bool = True,
        writer: Writer | None = None,
        prepared: Mapping[Preparation[Any], Any] | None = None,
    ) -> None:
        self.session: Db = session
        self.atomic = atomic
        self.published: list[Event] = []
        self._writer = writer if writer is not None else ImmediateWriter(session)
        self._prepared = prepared or {}

    async def write(self, rows: Sequence[Row], events: Sequence[Event] = ()) -> None:
        """Write `rows` and announce `events` (each in this order) in this unit of work's
        transaction: at once or later in it, as the writer chosen by the runtime does; either way
        before anything else in the transaction reads or writes."""
        await self._writer.write(rows, events)
        self.published.extend(events)

    def prepared(self, preparation: Preparation[P]) -> P:
        """What `preparation` read for this unit of work's transaction."""
        try:
            found: P = self._prepared[preparation]
        except KeyError:
            raise LookupError(
                f"{preparation!r} was not read for this unit of work: only the consumer runtime "
                "prepares a transaction's events"
            ) from None
        return found

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
