"""A new case, and the resident who reported it, written with Core in as few statements as can be.

Opening a case is the service's busiest path (a backlog of submissions, as in bench/cases_opened.py):
the rows are written without ORM objects, each write as one statement with the events that
announce it (data-modifying CTEs of the runtime's `STAGE_MANY`), and the reads a
batch of submissions needs are made once for the batch (`service_layer.prepared`). The
statements are built once, with bind parameters, so SQLAlchemy compiles each once.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from civic_events.base import Event
from civic_runtime.outbox import STAGE_MANY, OutboxEntry, outbox_entry, stage_many
from civic_runtime.telemetry import current_trace_headers
from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters.tables import Case, HeldUpdate, Resident, TimelineEntry, WorkOrder

_resident = Resident.__table__
_case = Case.__table__
_timeline = TimelineEntry.__table__
_held = HeldUpdate.__table__
_work_order = WorkOrder.__table__


async def opening_state(session: AsyncSession, *, reference: str) -> tuple[bool, bool]:
    """Whether a case has `reference`, and whether updates are held for it: one round trip.

    Read under the reference's lock (`repository.lock_reference`), so neither can change until
    the transaction ends.
    """
    row = (
        await session.execute(
            sa.select(
                sa.exists().where(_case.c.reference == reference),
                sa.exists().where(_held.c.reference == reference),
            )
        )
    ).one()
    return bool(row[0]), bool(row[1])


@dataclass(frozen=True)
class ResidentRecord:
    """What is read and written of a resident when matching contact details (no ORM object)."""

    id: uuid.UUID
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    postcode: str | None
    uprn: str | None
    preferred_channel: str
    language: str
    collection_round_ids: Sequence[str] = ()
    home_latitude: float | None = None
    home_longitude: float | None = None

    @classmethod
    def of(cls, row: sa.Row[Any]) -> ResidentRecord:
        return cls(**{column.name: getattr(row, column.name) for column in fields(cls)})


async def residents_by_contact(
    session: AsyncSession, *, emails: Collection[str], phones: Collection[str]
) -> list[ResidentRecord]:
    """Residents with one of these emails or phone numbers, oldest first, locked: one round trip."""
    matches = []
    if emails:
        matches.append(_resident.c.email.in_(list(emails)))
    if phones:
        matches.append(_resident.c.phone.in_(list(phones)))
    if not matches:
        return []
    query = (
        sa.select(_resident)
        .where(sa.or_(*matches))
        .order_by(_resident.c.created_at, _resident.c.id)
        .with_for_update()
    )
    return [ResidentRecord.of(row) for row in await session.execute(query)]


async def opening_states(
    session: AsyncSession, *, references: Collection[str]
) -> tuple[set[str], set[str]]:
    """`opening_state` of many references in one round trip: those with a case, those with held
    updates. Read under the references' locks (`repository.lock_references`)."""
    wanted = list(set(references))
    rows = await session.execute(
        sa.union_all(
            sa.select(sa.literal("case"), _case.c.reference).where(_case.c.reference.in_(wanted)),
            sa.select(sa.literal("held"), _held.c.reference).where(_held.c.reference.in_(wanted)),
        )
    )
    found: dict[str, set[str]] = {"case": set(), "held": set()}
    for kind, reference in rows:
        found[kind].add(reference)
    return found["case"], found["held"]


def _values(table: sa.Table, prefix: str, columns: Sequence[str]) -> dict[str, Any]:
    """Each column's value as a bind parameter `<prefix><column>` of the column's type."""
    return {
        column: sa.bindparam(f"{prefix}{column}", type_=table.c[column].type) for column in columns
    }


def _params(prefix: str, columns: Sequence[str], values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{column}": values.get(column) for column in columns}


_RESIDENT_COLUMNS = [column.name for column in _resident.columns]
_CASE_COLUMNS = [column.name for column in _case.columns]
_WORK_ORDER_COLUMNS = [column.name for column in _work_order.columns]
_TIMELINE_COLUMNS = [
    "case_id",
    "resident_id",
    "occurred_at",
    "kind",
    "summary",
    "detail",
    "event_id",
    "actor",
    "internal",
]
_TIMELINE_ARRAYS = {
    "case_id": ARRAY(sa.Uuid),
    "resident_id": ARRAY(sa.Uuid),
    "occurred_at": ARRAY(sa.DateTime(timezone=True)),
    "kind": ARRAY(sa.Text),
    "summary": ARRAY(sa.Text),
    "detail": ARRAY(sa.Text),  # JSON text, cast below
    "event_id": ARRAY(sa.Uuid),
    "actor": ARRAY(sa.Text),
    "internal": ARRAY(sa.Boolean),
}
_entries = (
    sa.func.unnest(
        *(sa.bindparam(f"timeline_{name}", type_=kind) for name, kind in _TIMELINE_ARRAYS.items())
    )
    .table_valued(*_TIMELINE_ARRAYS, with_ordinality="position")
    .render_derived(name="entries")
)
_NEW_TIMELINE = (
    sa.insert(_timeline)
    .from_select(
        _TIMELINE_COLUMNS,
        sa.select(
            *(
                sa.cast(_entries.c[name], JSONB) if name == "detail" else _entries.c[name]
                for name in _TIMELINE_COLUMNS
            )
        ).order_by(_entries.c.position),
    )
    .cte("new_timeline")
)
_INSERT_CASE = sa.insert(_case).values(_values(_case, "case_", _CASE_COLUMNS))
_INSERT_TIMELINE = sa.insert(_timeline).values(_values(_timeline, "timeline_", _TIMELINE_COLUMNS))
_INSERT_WORK_ORDER = sa.insert(_work_order).values(
    _values(_work_order, "work_order_", _WORK_ORDER_COLUMNS)
)
_INSERT_RESIDENT = sa.insert(_resident).values(_values(_resident, "resident_", _RESIDENT_COLUMNS))
# What a submission may change of a resident it matched.
RESIDENT_DETAILS = (
    "email",
    "phone",
    "name",
    "address",
    "postcode",
    "uprn",
    "language",
    "preferred_channel",
)
_UPDATE_RESIDENT = (
    sa.update(_resident)
    .where(_resident.c.id == sa.bindparam("resident_id", type_=_resident.c.id.type))
    .values(_values(_resident, "resident_", [*RESIDENT_DETAILS, "updated_at"]))
)
_RESIDENT_ROWS = {
    "new": _INSERT_RESIDENT.cte("new_resident"),
    "changed": _UPDATE_RESIDENT.cte("changed_resident"),
}
_WRITE_RESIDENT = {kind: STAGE_MANY.add_cte(row) for kind, row in _RESIDENT_ROWS.items()}
# A case opened with (or without) its resident's row and (or without) a work order.
_OPEN_CASE = {
    (resident, work_order): STAGE_MANY.add_cte(
        *([_RESIDENT_ROWS[resident]] if resident else []),
        _INSERT_CASE.cte("new_case"),
        _NEW_TIMELINE,
        *([_INSERT_WORK_ORDER.cte("new_work_order")] if work_order else []),
    )
    for resident in (None, "new", "changed")
    for work_order in (False, True)
}


@dataclass(frozen=True)
class ResidentWrite:
    """A resident's row to insert or update, with the events announcing it: written alone
    (`write_resident`) or with the resident's new case (`add_case`)."""

    kind: Literal["new", "changed"]
    params: dict[str, Any]
    events: tuple[Event, ...]


def resident_added(*, resident: Mapping[str, Any], events: Sequence[Event]) -> ResidentWrite:
    """Insert `resident` (its columns)."""
    return ResidentWrite("new", _params("resident_", _RESIDENT_COLUMNS, resident), tuple(events))


def resident_changed(
    session: AsyncSession,
    *,
    resident_id: uuid.UUID,
    details: Mapping[str, Any],
    updated_at: datetime,
    events: Sequence[Event],
) -> ResidentWrite:
    """Update the resident's `RESIDENT_DETAILS`.

    A copy of the resident already loaded in the session (by an earlier event of the same batch)
    is expired, so that it is read again with these values.
    """
    sync_session = session.sync_session
    loaded = sync_session.identity_map.get(sync_session.identity_key(Resident, resident_id))
    if loaded is not None:
        sync_session.expire(loaded)
    params = _params(
        "resident_", [*RESIDENT_DETAILS, "updated_at"], {**details, "updated_at": updated_at}
    )
    return ResidentWrite("changed", {"resident_id": resident_id, **params}, tuple(events))


async def write_resident(uow: UnitOfWork, write: ResidentWrite) -> None:
    """The resident's row and its events, in one statement."""
    await uow.stage_many(write.events, statement=_WRITE_RESIDENT[write.kind], params=write.params)


@dataclass
class PendingOpenings:
    """Cases opened in a batch and left to be written together at its end (`write_pending`):
    the rows and the events' outbox entries, each list in the order the cases were opened."""

    new_residents: list[dict[str, Any]] = field(default_factory=list)
    changed_residents: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    work_orders: list[dict[str, Any]] = field(default_factory=list)
    events: list[OutboxEntry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cases or self.new_residents or self.changed_residents or self.events)


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once for the database driver, its rows then given as tuples: a
    batch's rows go to asyncpg's executemany without SQLAlchemy's processing of each row (which
    cost more than the rows' own writing)."""

    sql: str
    # Per positional parameter: its key in a row, whether it is JSON (sent as text), and the
    # constant it takes when it is no column of the row (a literal of the statement).
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
        parameters.append((name, isinstance(bind.type, sa.JSON), bind.effective_value))
    return _DriverStatement(compiled.string, tuple(parameters))


async def write_pending(session: AsyncSession, pending: PendingOpenings) -> None:
    """Write what `add_case` left pending: a statement per table for all the cases (sent at once
    by asyncpg's executemany), residents before cases before timeline entries and work orders,
    then the events, in order, with the runtime's `stage_many` (one statement)."""
    connection = await session.connection()
    for statement, rows in (
        (_INSERT_RESIDENT, pending.new_residents),
        (_UPDATE_RESIDENT, pending.changed_residents),  # in order, after the inserts
        (_INSERT_CASE, pending.cases),
        (_INSERT_TIMELINE, pending.timeline),
        (_INSERT_WORK_ORDER, pending.work_orders),
    ):
        if rows:
            driver = _for_driver(statement, connection.dialect)
            await connection.exec_driver_sql(driver.sql, driver.rows(rows))
    if pending.events:
        await stage_many(session, pending.events)
    for rows in (
        pending.new_residents,
        pending.changed_residents,
        pending.cases,
        pending.timeline,
        pending.work_orders,
        pending.events,
    ):
        rows.clear()


async def add_case(
    uow: UnitOfWork,
    *,
    case: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    work_order: Mapping[str, Any] | None,
    events: Sequence[Event],
    resident: ResidentWrite | None = None,
    pending: PendingOpenings | None = None,
) -> None:
    """Insert the case (its columns), its first `timeline` entries (in this order, rows of
    `timeline_row`), its work order and its resident's row (`resident`), and stage the resident's
    events then `events`: one statement; or, given `pending`, none yet (`write_pending` will)."""
    staged = [*resident.events, *events] if resident is not None else list(events)
    if pending is not None:
        if resident is not None:
            rows = pending.new_residents if resident.kind == "new" else pending.changed_residents
            rows.append(resident.params)
        pending.cases.append(_params("case_", _CASE_COLUMNS, case))
        pending.timeline.extend(
            _params("timeline_", _TIMELINE_COLUMNS, entry) for entry in timeline
        )
        if work_order is not None:
            pending.work_orders.append(_params("work_order_", _WORK_ORDER_COLUMNS, work_order))
        trace_headers = current_trace_headers()
        pending.events.extend(outbox_entry(event, trace_headers) for event in staged)
        uow.published.extend(staged)
        return
    params = {
        **_params("case_", _CASE_COLUMNS, case),
        **{
            f"timeline_{name}": [
                json.dumps(entry[name]) if name == "detail" else entry[name] for entry in timeline
            ]
            for name in _TIMELINE_COLUMNS
        },
    }
    if work_order is not None:
        params |= _params("work_order_", _WORK_ORDER_COLUMNS, work_order)
    if resident is not None:
        params |= resident.params
    statement = _OPEN_CASE[(resident.kind if resident else None, work_order is not None)]
    await uow.stage_many(staged, statement=statement, params=params)


def timeline_row(
    *,
    occurred_at: datetime,
    kind: str,
    summary: str,
    case_id: uuid.UUID | None = None,
    resident_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    actor: str | None = None,
    internal: bool = False,
) -> dict[str, Any]:
    """The columns of a timeline entry written by `add_case`, as `add_timeline` would write it."""
    return {
        "case_id": case_id,
        "resident_id": resident_id,
        "occurred_at": occurred_at,
        "kind": kind,
        "summary": summary,
        "detail": detail or {},
        "event_id": event_id,
        "actor": actor,
        "internal": internal,
    }
