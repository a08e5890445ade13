"""Rows written with the events that announce them: at once, or deferred to the end of a batch.

A use case describes its rows (`Insert`, `Update`) and hands them, with their events, to its unit
of work (`UnitOfWork.write`); it never knows which of the two writers the runtime chose:

- `ImmediateWriter` (a record applied alone, and any unit of work outside the consumers) writes
  them at once, all in ONE statement: each row operation a data-modifying CTE of the outbox's
  `STAGE_MANY`, so the rows and their events cost one round trip.
- `DeferredWriter` (a batch of records in one transaction) keeps them and writes them when the
  batch ends, a statement per table and kind of write for all the batch's rows (sent at once with
  asyncpg's executemany), then all their events with one `stage_many`.

Deferring must never change what the transaction sees or publishes. So a `DeferredWriter` writes
what it holds before anything else touches the database through the session: before any
statement the session executes (SQLAlchemy's `do_orm_execute`) and before the session flushes ORM
changes (`before_flush`); and a write handed to it first flushes the ORM changes made before it.
Reads therefore see every row written earlier in the batch, and each key's events reach the
outbox in the order they were staged.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from civic_events.base import Event
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.schema import sort_tables

from civic_runtime.outbox import STAGE_MANY, OutboxEntry, outbox_entry, stage_many, stage_params
from civic_runtime.telemetry import current_trace_headers


@dataclass(frozen=True)
class Insert:
    """A row to insert into `table`: its columns' values (columns left out take their default)."""

    table: sa.Table
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Update:
    """Set `values` in the row of `table` whose columns equal `where` (its primary key)."""

    table: sa.Table
    where: Mapping[str, Any]
    values: Mapping[str, Any]


Row = Insert | Update


class Writer(Protocol):
    async def write(self, rows: Sequence[Row], events: Sequence[Event] = ()) -> None:
        """Write `rows` (in this order) and stage `events` (in this order) in the unit of work's
        transaction: published only if it commits."""

    async def flush(self) -> None:
        """Write whatever is held back (nothing, for a writer that writes at once)."""


class ImmediateWriter:
    """Writes each call's rows and events at once, in one statement."""

    def __init__(self, db: AsyncSession | AsyncConnection) -> None:
        self._db = db

    async def write(self, rows: Sequence[Row], events: Sequence[Event] = ()) -> None:
        trace_headers = current_trace_headers()
        entries = [outbox_entry(event, trace_headers) for event in events]
        # Consecutive rows of one shape are one multi-row INSERT: inserted in the order given.
        groups: list[tuple[tuple[Any, ...], list[Row]]] = []
        for row in rows:
            shape = _shape(row)
            if groups and groups[-1][0] == shape and shape[0] == "insert":
                groups[-1][1].append(row)
            else:
                groups.append((shape, [row]))
        params: dict[str, Any] = {}
        for index, (_, grouped) in enumerate(groups):
            for place, row in enumerate(grouped):
                params |= _row_params(f"w{index}_{place}_", row)
        statement = _combined(tuple((shape, len(grouped)) for shape, grouped in groups))
        await stage_many(self._db, entries, statement=statement, params=params)

    async def flush(self) -> None:
        return None


@dataclass
class _Held:
    """A DeferredWriter's rows by statement shape (each list in the order written) and events."""

    rows: dict[tuple[Any, ...], list[Mapping[str, Any]]] = field(default_factory=dict)
    events: list[OutboxEntry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows or self.events)


class DeferredWriter:
    """Holds the rows and events of a batch's handlers and writes them together (see the module's
    description for when). Use it as a context manager around the batch: it listens to the
    session's executions and flushes for as long as it is open."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._held = _Held()

    def __enter__(self) -> DeferredWriter:
        sync_session = self._session.sync_session
        sa_event.listen(sync_session, "do_orm_execute", self._before_execute)
        sa_event.listen(sync_session, "before_flush", self._before_flush)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sync_session = self._session.sync_session
        sa_event.remove(sync_session, "do_orm_execute", self._before_execute)
        sa_event.remove(sync_session, "before_flush", self._before_flush)
        self._held = _Held()

    async def write(self, rows: Sequence[Row], events: Sequence[Event] = ()) -> None:
        session = self._session
        # ORM changes made before this write go first, as they would with a writer that wrote at once.
        if session.new or session.dirty or session.deleted:
            await session.flush()
        for row in rows:
            shape = _shape(row)
            held = self._held.rows.get(shape)
            if held is None:
                held = self._held.rows[shape] = []
            held.append(row.values if isinstance(row, Insert) else {**row.where, **row.values})
        trace_headers = current_trace_headers()
        self._held.events.extend(outbox_entry(event, trace_headers) for event in events)

    async def flush(self) -> None:
        if self._held:
            await self._session.run_sync(self._write_held)

    def _before_execute(self, state: ORMExecuteState) -> None:
        if self._held:
            self._write_held(state.session)

    def _before_flush(self, session: Session, *_: object) -> None:
        if self._held:
            self._write_held(session)

    def _write_held(self, session: Session) -> None:
        """Runs in the session's greenlet (an event handler, or `run_sync`): plain calls reach the
        database through the asyncio driver."""
        held, self._held = self._held, _Held()
        connection = session.connection()
        for shape in _in_dependency_order(held.rows):
            statement = _for_driver(_statement(shape), connection.dialect)
            connection.exec_driver_sql(statement.sql, statement.rows(held.rows[shape]))
        if held.events:
            connection.execute(STAGE_MANY, stage_params(held.events))


def _shape(row: Row) -> tuple[Any, ...]:
    """What decides a row's statement: its kind, table and columns."""
    if isinstance(row, Insert):
        return ("insert", row.table, tuple(row.values))
    return ("update", row.table, tuple(row.where), tuple(row.values))


def _row_params(prefix: str, row: Row) -> dict[str, Any]:
    """The row's values as the parameters of `_statement(_shape(row), prefix)`."""
    params = {f"{prefix}v_{column}": value for column, value in row.values.items()}
    if isinstance(row, Update):
        params |= {f"{prefix}k_{column}": value for column, value in row.where.items()}
    return params


def _in_dependency_order(shapes: Mapping[tuple[Any, ...], object]) -> list[tuple[Any, ...]]:
    """Tables referenced before the tables referring to them; in a table, inserts before updates
    (an update may change a row inserted in the same batch), each kind in the order first held."""
    tables = sort_tables({shape[1] for shape in shapes})
    kinds = ("insert", "update")
    return sorted(shapes, key=lambda shape: (tables.index(shape[1]), kinds.index(shape[0])))


def _bound(table: sa.Table, name: str, column: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=table.c[column].type)


@functools.cache
def _statement(shape: tuple[Any, ...], prefix: str = "") -> sa.Insert | sa.Update:
    """The statement writing one row of `shape`: a column's new value is the bind parameter
    `<prefix>v_<column>`, a key column's value `<prefix>k_<column>`."""
    if shape[0] == "insert":
        _, table, columns = shape
        return sa.insert(table).values(
            {column: _bound(table, f"{prefix}v_{column}", column) for column in columns}
        )
    _, table, where, columns = shape
    return (
        sa.update(table)
        .where(*(table.c[key] == _bound(table, f"{prefix}k_{key}", key) for key in where))
        .values({column: _bound(table, f"{prefix}v_{column}", column) for column in columns})
    )


@functools.lru_cache(maxsize=512)
def _combined(groups: tuple[tuple[tuple[Any, ...], int], ...]) -> sa.Insert:
    """STAGE_MANY with a data-modifying CTE per group of rows of one shape (`count` rows, their
    parameters prefixed `w<group>_<row>_`): built, and so compiled, once per sequence of groups.

    All of one statement's CTEs see the same snapshot and the foreign keys are checked at its end,
    so a case may refer to a resident inserted beside it."""
    ctes = []
    for index, (shape, count) in enumerate(groups):
        if count == 1:
            statement = _statement(shape, f"w{index}_0_")
        else:
            _, table, columns = shape
            statement = sa.insert(table).values(
                [
                    {
                        column: _bound(table, f"w{index}_{place}_v_{column}", column)
                        for column in columns
                    }
                    for place in range(count)
                ]
            )
        ctes.append(statement.cte(f"w{index}"))
    return STAGE_MANY.add_cte(*ctes) if ctes else STAGE_MANY


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once for the database driver, its rows then given as tuples: a
    batch's rows go to asyncpg's executemany without SQLAlchemy's processing of each row (which
    costs more than the rows' own writing)."""

    sql: str
    # Per positional parameter: its column (`_statement`'s name for it, less the `v_` or `k_`),
    # whether it is JSON (sent as text), and the constant it takes when it is no column of the
    # row (a literal of the statement).
    parameters: tuple[tuple[str, bool, Any], ...]

    def rows(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            tuple(
                (json.dumps(row[key]) if is_json else row[key]) if key in row else constant
                for key, is_json, constant in self.parameters
            )
            for row in rows
        ]


@functools.cache
def _for_driver(statement: sa.Insert | sa.Update, dialect: sa.Dialect) -> _DriverStatement:
    compiled = statement.compile(dialect=dialect)
    assert compiled.positiontup is not None, "a positional paramstyle (asyncpg's $n)"
    parameters = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        column = name[2:] if name[:2] in ("v_", "k_") else name
        parameters.append((column, isinstance(bind.type, sa.JSON), bind.effective_value))
    return _DriverStatement(compiled.string, tuple(parameters))
