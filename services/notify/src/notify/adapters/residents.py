"""Reading a resident's projected preferences: what routing a message, a fallback and a batch's
hand-over each need, below the use cases that write the projection and the messages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import ResidentCaseType, ResidentPreferences
from notify.domain.preferences import Preferences

_residents = ResidentPreferences.__table__
_case_types = ResidentCaseType.__table__

# Built once (it runs for every message requested).
_BY_ID = sa.select(_residents).where(_residents.c.resident_id == sa.bindparam("by_resident_id"))


async def load_row(*, session: AsyncSession, resident_id: uuid.UUID) -> Any | None:
    result = await session.execute(_BY_ID, {"by_resident_id": resident_id})
    return result.mappings().first()


def to_preferences(row: Any) -> Preferences:
    return Preferences(
        preferred_channel=row["preferred_channel"],
        email=row["email"],
        phone=row["phone"],
        push_subscription=row["push_subscription"],
        fallback_order=tuple(row["fallback_order"] or ()),
        case_updates=row["case_updates"],
        disruption_alerts=row["disruption_alerts"],
        planning_alerts=row["planning_alerts"],
        erased=row["erased"],
        first_name=row["name"],
    )


async def load(*, session: AsyncSession, resident_id: uuid.UUID) -> Preferences | None:
    row = await load_row(session=session, resident_id=resident_id)
    return to_preferences(row) if row is not None else None


async def load_many(
    *, session: AsyncSession, resident_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    rows = await session.execute(
        sa.select(_residents).where(_residents.c.resident_id.in_(resident_ids))
    )
    return {row["resident_id"]: to_preferences(row) for row in rows.mappings()}


async def record_case_type(
    *, session: AsyncSession, resident_ids: Sequence[uuid.UUID], case_type: str
) -> None:
    """These residents have a case of `case_type` (each pair once)."""
    if resident_ids:
        await session.execute(
            insert(_case_types)
            .values([{"resident_id": r, "case_type": case_type} for r in resident_ids])
            .on_conflict_do_nothing()
        )


async def case_types_of(*, session: AsyncSession, resident_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        sa.select(_case_types.c.case_type).where(_case_types.c.resident_id == resident_id)
    )
    return list(rows.scalars())
