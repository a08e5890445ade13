"""A new case, and the resident who reported it: the reads opening needs, and the rows it writes.

Opening a case is the service's busiest path (a backlog of submissions, as in bench/cases_opened.py):
the reads a transaction's submissions need are made once for all of them (`residents_by_contact`,
`opening_states`, called by `service_layer.openings`), and the rows are handed with their events to
the unit of work (`UnitOfWork.write`), whose writer writes them in one statement, or with the rest
of the batch at its end.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from civic_events.base import Event
from civic_runtime.uow import UnitOfWork
from civic_runtime.writes import Insert, Row, Update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters.tables import Case, HeldUpdate, Resident, TimelineEntry, WorkOrder

_resident = Resident.__table__
_case = Case.__table__
_timeline = TimelineEntry.__table__
_held = HeldUpdate.__table__
_work_order = WorkOrder.__table__


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
    email_confirmed_at: datetime | None = None
    phone_confirmed_at: datetime | None = None

    @property
    def confirmed(self) -> bool:
        """Whether any of the resident's contact details is confirmed (see `Resident`)."""
        return self.email_confirmed_at is not None or self.phone_confirmed_at is not None

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
    """Which of `references` have a case, and which have updates held, in one round trip. Read
    under the references' locks (`repository.lock_references`), so neither can change until the
    transaction ends."""
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


_RESIDENT_COLUMNS = [column.name for column in _resident.columns]
_CASE_COLUMNS = [column.name for column in _case.columns]
_WORK_ORDER_COLUMNS = [column.name for column in _work_order.columns]
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


def _every_column(columns: Sequence[str], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for every one of `columns` (None where not given): all rows of a table then have
    the same columns, and a batch's rows are written by one statement."""
    return {column: values.get(column) for column in columns}


@dataclass(frozen=True)
class ResidentWrite:
    """A resident's row to insert or update, with the events announcing it: written alone
    (`write_resident`) or with the resident's new case (`add_case`)."""

    row: Row
    events: tuple[Event, ...]


def resident_added(*, resident: Mapping[str, Any], events: Sequence[Event]) -> ResidentWrite:
    """Insert `resident` (its columns)."""
    return ResidentWrite(
        Insert(_resident, _every_column(_RESIDENT_COLUMNS, resident)), tuple(events)
    )


def resident_changed(
    session: AsyncSession,
    *,
    resident_id: uuid.UUID,
    details: Mapping[str, Any],
    updated_at: datetime,
    events: Sequence[Event],
    confirmed: Mapping[str, datetime] | None = None,
) -> ResidentWrite:
    """Update the resident's `RESIDENT_DETAILS` (and, given `confirmed`, when details were
    confirmed: `email_confirmed_at`, `phone_confirmed_at`).

    A copy of the resident already loaded in the session (by an earlier event of the same batch)
    is expired, so that it is read again with these values.
    """
    sync_session = session.sync_session
    loaded = sync_session.identity_map.get(sync_session.identity_key(Resident, resident_id))
    if loaded is not None:
        sync_session.expire(loaded)
    values = {
        **_every_column(RESIDENT_DETAILS, details),
        **(confirmed or {}),
        "updated_at": updated_at,
    }
    return ResidentWrite(Update(_resident, {"id": resident_id}, values), tuple(events))


async def write_resident(uow: UnitOfWork, write: ResidentWrite) -> None:
    """The resident's row and its events."""
    await uow.write([write.row], write.events)


async def add_case(
    uow: UnitOfWork,
    *,
    case: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    work_order: Mapping[str, Any] | None,
    events: Sequence[Event],
    resident: ResidentWrite | None = None,
) -> None:
    """The case (its columns), its first `timeline` entries (in this order, rows of
    `timeline_row`), its work order and its resident's row (`resident`), with the resident's
    events then `events`."""
    rows: list[Row] = [resident.row] if resident is not None else []
    rows.append(Insert(_case, _every_column(_CASE_COLUMNS, case)))
    rows.extend(Insert(_timeline, entry) for entry in timeline)
    if work_order is not None:
        rows.append(Insert(_work_order, _every_column(_WORK_ORDER_COLUMNS, work_order)))
    staged = [*resident.events, *events] if resident is not None else list(events)
    await uow.write(rows, staged)


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
