"""Group commit: the receipts of submissions that arrive together are written in one transaction.

A submission's 202 waits for its receipt and FormSubmitted to be committed. Committed one by one,
every submission pays its own round trips (a reference number, the INSERT) and its own share of
PostgreSQL's commit; under load the connections queue for that. Here one writer task takes every
submission waiting at that moment (up to `max_batch`), and in one transaction draws their
reference numbers from the database sequences (one statement per family) and inserts every
receipt with its outbox row (one statement, the runtime's `stage_many`). Each caller is answered only after that
COMMIT, so a 202 still means durable; if the transaction fails in an outage, every caller in it
gets the error (and answers 503), and nothing of the batch was written. If it fails otherwise
(the database refused one submission's data), each submission is written again in a transaction
of its own, so one bad submission fails alone and never its neighbours.

While one batch commits, the next one gathers, so the batch grows with the load and a lone
submission is written at once, without waiting for company.

Each receipt is built in the context of the request that asked for it (`contextvars`), so its
event carries that request's trace. The batch's own database spans hang off a span that links to
every request it served.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from civic_events.base import Event
from civic_runtime.uow import UnitOfWork
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.adapters.repository import NewReceipt

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("intake.group_commit")

# A receipt from its reference number: its event, and the receipt to write.
Receipt = tuple[Event, NewReceipt]
BuildReceipt = Callable[[int], Receipt]
# Reference numbers for a family: (connection, family, how many) -> numbers.
DrawNumbers = Callable[[AsyncConnection, str, int], Awaitable[list[int]]]
# Writes the receipts, and stages their events, in the unit of work.
WriteReceipts = Callable[[UnitOfWork[AsyncConnection], Sequence[NewReceipt]], Awaitable[None]]


@dataclass
class _Waiting:
    family: str
    build: BuildReceipt
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    done: asyncio.Future[Receipt] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """Writes receipts with `write` (once per batch, in a unit of work from `begin`, which wakes
    the outbox relay when it commits). `observe` gets the number of receipts each commit wrote.
    `is_outage` tells a failed transaction the database could not run (every submission in it
    fails) from one it refused (each submission is then written alone)."""

    def __init__(
        self,
        *,
        begin: Callable[[], AbstractAsyncContextManager[UnitOfWork[AsyncConnection]]],
        write: WriteReceipts,
        draw_numbers: DrawNumbers,
        observe: Callable[[int], None] = lambda submissions: None,
        max_batch: int = 200,
        is_outage: Callable[[Exception], bool] = lambda exc: True,
    ) -> None:
        self._is_outage = is_outage
        self._begin = begin
        self._write_receipts = write
        self._draw_numbers = draw_numbers
        self._observe = observe
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        # Fresh for each run: an app may be started again, on another event loop.
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="intake-group-commit")

    async def stop(self) -> None:
        """Write what is waiting, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        await self._task
        self._task = None

    async def write(self, family: str, build: BuildReceipt) -> Receipt:
        """Draw a reference number of `family`, build the receipt from it in the caller's
        context, and return the receipt once it is committed."""
        if self._task is None or self._stopping:
            raise RuntimeError("the group commit is not running")
        waiting = _Waiting(family, build)
        self._waiting.append(waiting)
        self._wakeup.set()
        return await waiting.done

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                await self._write_next()
            if self._stopping:
                return

    async def _write_next(self) -> None:
        batch = self._waiting[: self._max_batch]
        del self._waiting[: self._max_batch]
        await self._commit(batch)

    async def _commit(self, batch: list[_Waiting]) -> None:
        links = [
            trace.Link(span.get_span_context())
            for span in (w.context.run(trace.get_current_span) for w in batch)
            if span.get_span_context().is_valid
        ]
        with tracer.start_as_current_span(
            "intake.submissions group commit",
            context=trace.set_span_in_context(trace.INVALID_SPAN),
            links=links,
            attributes={"intake.batch_size": len(batch)},
        ):
            try:
                written = await self._write(batch)
            except Exception as exc:
                logger.warning(
                    "a group commit of %d submissions failed: %s", len(batch), type(exc).__name__
                )
                if len(batch) > 1 and not self._is_outage(exc):
                    for waiting in batch:
                        if not waiting.done.done():
                            await self._commit([waiting])
                    return
                for waiting in batch:
                    if not waiting.done.done():
                        waiting.done.set_exception(exc)
                return
        for waiting, receipt in written:
            if not waiting.done.done():
                waiting.done.set_result(receipt)
        try:  # never the writer's end: a metric can be missed
            self._observe(len(written))
        except Exception:
            logger.exception("after a group commit")

    async def _write(self, batch: list[_Waiting]) -> list[tuple[_Waiting, Receipt]]:
        by_family: dict[str, list[_Waiting]] = defaultdict(list)
        for waiting in batch:
            by_family[waiting.family].append(waiting)
        written: list[tuple[_Waiting, Receipt]] = []
        async with self._begin() as uow:
            for family, members in by_family.items():
                numbers = await self._draw_numbers(uow.session, family, len(members))
                for waiting, number in zip(members, numbers, strict=True):
                    try:
                        receipt = waiting.context.run(waiting.build, number)
                    except Exception as exc:  # this submission only; its number is a gap
                        if not waiting.done.done():
                            waiting.done.set_exception(exc)
                        continue
                    written.append((waiting, receipt))
            if written:
                await self._write_receipts(uow, [receipt for _, (_, receipt) in written])
        return written
