"""Reading and writing residents, cases and timeline entries (one session, the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from cases.adapters.tables import Case, Resident, StatusLookup, TimelineEntry
from cases.domain.officers import CaseFilters


async def case_by_reference(
    session: AsyncSession, *, reference: str, lock: bool = True
) -> Case | None:
    """The case, locked for update by default so that one case's changes apply one at a time."""
    query = select(Case).where(Case.reference == reference)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def search_cases(
    session: AsyncSession,
    *,
    case_types: Collection[str],
    filters: CaseFilters,
    offset: int,
    limit: int,
) -> tuple[list[Case], int]:
    """One page of the cases of `case_types` that match every filter given (newest first), and
    how many match in all."""
    conditions = [col(Case.case_type).in_(sorted(case_types))]
    if filters.reference:
        conditions.append(Case.reference == filters.reference)
    if filters.postcode:
        conditions.append(Case.postcode == filters.postcode)
    if filters.status:
        conditions.append(Case.status == filters.status)
    if filters.case_type:
        conditions.append(Case.case_type == filters.case_type)
    if filters.assigned_to:
        conditions.append(Case.assigned_to == filters.assigned_to)
    if filters.sla_breached is not None:
        breached = col(Case.sla_breached_at).is_not(None)
        conditions.append(breached if filters.sla_breached else sa.not_(breached))
    total = (
        await session.execute(select(sa.func.count()).select_from(Case).where(*conditions))
    ).scalar_one()
    rows = await session.execute(
        select(Case)
        .where(*conditions)
        .order_by(col(Case.opened_at).desc(), col(Case.reference))
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), total


async def cases_of_resident(session: AsyncSession, *, resident_id: uuid.UUID) -> list[Case]:
    """The cases the resident made, or acts in as an agent."""
    rows = await session.execute(
        select(Case).where(
            sa.or_(Case.resident_id == resident_id, Case.agent_resident_id == resident_id)
        )
    )
    return list(rows.scalars())


async def case_by_payment_request(
    session: AsyncSession, *, payment_request_id: uuid.UUID
) -> Case | None:
    query = select(Case).where(Case.payment_request_id == payment_request_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def resident_by_id(
    session: AsyncSession, *, resident_id: uuid.UUID, lock: bool = False
) -> Resident | None:
    query = select(Resident).where(Resident.id == resident_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def add_timeline(
    session: AsyncSession,
    *,
    occurred_at: datetime,
    kind: str,
    summary: str,
    case: Case | None = None,
    resident_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    actor: str | None = None,
    internal: bool = False,
) -> None:
    session.add(
        TimelineEntry(
            case_id=case.id if case else None,
            resident_id=resident_id
            if resident_id is not None
            else (case.resident_id if case else None),
            occurred_at=occurred_at,
            kind=kind,
            summary=summary,
            detail=detail or {},
            event_id=event_id,
            actor=actor,
            internal=internal,
        )
    )


async def timeline(
    session: AsyncSession,
    *,
    case_id: uuid.UUID | None = None,
    resident_id: uuid.UUID | None = None,
    include_internal: bool = True,
) -> list[TimelineEntry]:
    query = select(TimelineEntry)
    if case_id is not None:
        query = query.where(TimelineEntry.case_id == case_id)
    if resident_id is not None:
        query = query.where(TimelineEntry.resident_id == resident_id)
    if not include_internal:
        query = query.where(col(TimelineEntry.internal).is_(False))
    query = query.order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
    return list((await session.execute(query)).scalars())


async def count_status_lookup(session: AsyncSession, *, client: str, window_start: datetime) -> int:
    """Count one more status lookup against `client` (a rate limit's key: a client's address or
    a reference) in the window; how many it has counted in it."""
    table = StatusLookup.__table__
    statement = (
        insert(table)
        .values(client=client, window_start=window_start, attempts=1)
        .on_conflict_do_update(
            index_elements=["client", "window_start"], set_={"attempts": table.c.attempts + 1}
        )
        .returning(table.c.attempts)
    )
    return int((await session.execute(statement)).scalar_one())


async def uncount_status_lookup(
    session: AsyncSession, *, client: str, window_start: datetime
) -> None:
    """Take back one lookup counted against `client` in the window."""
    table = StatusLookup.__table__
    await session.execute(
        sa.update(table)
        .where(table.c.client == client, table.c.window_start == window_start)
        .values(attempts=table.c.attempts - 1)
    )


async def has_timeline_event(session: AsyncSession, *, event_id: uuid.UUID) -> bool:
    query = sa.select(sa.literal(1)).where(TimelineEntry.event_id == event_id).limit(1)
    return (await session.execute(query)).first() is not None


def _reference_lock(reference: str) -> str:
    return f"cases-reference:{reference}"


async def lock_reference(session: AsyncSession, *, reference: str) -> None:
    """Serialise, until this transaction ends, whoever opens or holds updates for `reference`.

    A case that does not exist yet has no row to lock: this lock stands in for it, so that an
    update held for a case and the case's opening cannot pass each other unseen.
    """
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": _reference_lock(reference)},
    )


async def lock_references(session: AsyncSession, *, references: Collection[str]) -> None:
    """`lock_reference` for each of `references`, in one round trip and always in the same
    order, so that two transactions locking several cannot deadlock on them."""
    await session.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
            "FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS locking(key, position) "
            "ORDER BY position"
        ),
        {"keys": sorted({_reference_lock(reference) for reference in references})},
    )
