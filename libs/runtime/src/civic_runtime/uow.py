"""A unit of work: one database transaction holding a state change and the events that announce it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from civic_events.base import Event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civic_runtime.outbox import add_to_outbox


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.published: list[Event] = []

    async def publish(self, event: Event) -> None:
        """Announce `event` if, and only if, this unit of work commits."""
        await add_to_outbox(self.session, event)
        self.published.append(event)


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
