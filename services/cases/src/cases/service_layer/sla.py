"""The SLA checker: raises `CaseSlaBreached` once per case and deadline, whichever instance runs it.

Each run claims overdue cases with `FOR UPDATE SKIP LOCKED` and marks them breached in the same
transaction as the event's outbox row, so two instances never raise the same breach.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from civic_events.cases import CaseSlaBreached
from civic_runtime.uow import UnitOfWork
from sqlmodel import col, select

from cases.adapters import repository
from cases.adapters.tables import Case, StatusLookup
from cases.domain.machines import MACHINES, machine_for

SOURCE = "cases"
_KEPT = sorted({status for machine in MACHINES.values() for status in machine.sla_met})


async def raise_breaches(uow: UnitOfWork, *, now: datetime, limit: int = 200) -> int:
    query = (
        select(Case)
        .where(
            col(Case.sla_due_at) < now,
            col(Case.sla_breached_at).is_(None),
            col(Case.sla_paused_at).is_(None),
            col(Case.closed_at).is_(None),
            col(Case.status).not_in(_KEPT),
        )
        .order_by(col(Case.sla_due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    raised = 0
    for case in (await uow.session.execute(query)).scalars():
        assert case.sla_due_at is not None and case.sla_name is not None
        if case.status in machine_for(case.case_type).sla_met:
            continue
        case.sla_breached_at = now
        await uow.stage(
            CaseSlaBreached(
                source=SOURCE,
                subject=case.reference,
                case_id=case.id,
                case_type=case.case_type,
                resident_id=case.resident_id,
                sla=case.sla_name,
                due_at=case.sla_due_at,
                status=case.status,
            )
        )
        await repository.add_timeline(
            uow.session,
            case=case,
            occurred_at=now,
            kind="sla_breached",
            summary=f"SLA {case.sla_name} breached (due {case.sla_due_at.isoformat()})",
            detail={"sla": case.sla_name, "due_at": case.sla_due_at.isoformat()},
            internal=True,
        )
        raised += 1
    return raised


async def forget_old_lookups(uow: UnitOfWork, *, now: datetime) -> None:
    """The status API's counters (a client's per minute, a reference's per hour) are useless
    once their window has passed: keep an hour at most."""
    table = StatusLookup.__table__
    await uow.session.execute(
        sa.delete(table).where(table.c.window_start < now - timedelta(hours=1))
    )
