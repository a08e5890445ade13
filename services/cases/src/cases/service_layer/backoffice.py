"""Back-office events (waste contractor, planning back office) turned into our transitions.

A contractor's update can overtake the submission that opens its case: they travel on different
topics, which Kafka does not order. Retrying it in the consumer would not help (one consumer
applies one record at a time, so the submission could not be applied meanwhile) and would end on
the dead-letter topic. Instead the update is held, and applied, in time order, as soon as the
case opens; one whose case never opens is dropped after `early_update_hold_s`.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from civic_events.base import Event
from civic_events.limits import RECEIVED
from civic_events.planning import ApplicationValidated, DecisionIssued
from civic_events.registry import EVENT_TYPES
from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from cases.adapters import repository
from cases.adapters.tables import Case, HeldUpdate
from cases.domain.backoffice import WASTE_CONTRACTOR, target_status
from cases.domain.sla import PLANNING_DETERMINATION, end_of_day
from cases.service_layer.lifecycle import apply_update
from cases.service_layer.openings import Openings

logger = logging.getLogger(__name__)

# Intake's references (e.g. WST-2026-004211): a contractor's job for one of them is for a case
# that will open; its routine jobs carry other references and concern no case.
SUBMISSION_REFERENCE = re.compile(r"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6,}$")


async def backoffice_update(
    uow: UnitOfWork,
    *,
    event: Event,
    system: str,
    hold_for: timedelta | None = None,
    openings: Openings | None = None,
) -> None:
    """Move the case named by the event's subject, by the system's mapping of the event's code.

    With `hold_for`, an update for a case not open yet is held (and noted in the transaction's
    `openings`, so that a submission later in it opening the case applies it)."""
    code = type(event).__name__
    case = await repository.case_by_reference(uow.session, reference=event.subject)
    if hold_for and not (system == WASTE_CONTRACTOR and SUBMISSION_REFERENCE.match(event.subject)):
        hold_for = None  # not an update for one of our cases-to-be
    if case is None and hold_for:
        # Look again under the reference's lock: the case may have opened meanwhile.
        await repository.lock_reference(uow.session, reference=event.subject)
        case = await repository.case_by_reference(uow.session, reference=event.subject)
    if case is None:
        if hold_for:
            await _hold(uow, event=event, system=system, hold_for=hold_for)
            if openings is not None:
                openings.held(event.subject)
        else:
            # Routine jobs (every bin emptied) are reported too; only our cases concern us.
            logger.debug("no case for %s %s", system, code, extra={"case_reference": event.subject})
        return
    await _apply(uow, case=case, event=event, system=system)


async def _apply(uow: UnitOfWork, *, case: Case, event: Event, system: str) -> None:
    code = type(event).__name__
    outcome = event.decision if isinstance(event, DecisionIssued) else None
    applied = await apply_update(
        uow,
        case=case,
        target=target_status(system, code, case.case_type),
        code=code,
        system=system,
        occurred_at=event.occurred_at,
        event_id=event.event_id,
        outcome=outcome,
    )
    if applied and isinstance(event, ApplicationValidated):
        # The statutory determination period starts on validation.
        case.sla_name = PLANNING_DETERMINATION
        case.sla_due_at = end_of_day(event.determination_deadline)


async def _hold(uow: UnitOfWork, *, event: Event, system: str, hold_for: timedelta) -> None:
    held_at = datetime.now(UTC)
    await uow.session.execute(
        insert(HeldUpdate.__table__)
        .values(
            event_id=event.event_id,
            reference=event.subject,
            system=system,
            event_type=event.ce_type,
            payload=event.model_dump(mode="json"),
            occurred_at=event.occurred_at,
            held_at=held_at,
            expires_at=held_at + hold_for,
        )
        .on_conflict_do_nothing()
    )
    logger.info(
        "%s %s arrived before its case: held until the case opens",
        system,
        type(event).__name__,
        extra={"case_reference": event.subject},
    )


async def apply_held_updates(uow: UnitOfWork, *, case: Case) -> int:
    """Apply, in time order, the updates that arrived before `case` opened."""
    rows = await uow.session.execute(
        select(HeldUpdate)
        .where(HeldUpdate.reference == case.reference)
        .order_by(col(HeldUpdate.occurred_at), col(HeldUpdate.held_at))
        .with_for_update()
    )
    held = list(rows.scalars())
    for update in held:
        # Read back as received: producers' limits are not a reader's to apply.
        event = EVENT_TYPES[update.event_type].model_validate(update.payload, context=RECEIVED)
        await _apply(uow, case=case, event=event, system=update.system)
        await uow.session.delete(update)
    return len(held)


async def forget_expired_updates(uow: UnitOfWork, *, now: datetime) -> int:
    """Drop held updates whose case never opened."""
    table = HeldUpdate.__table__
    dropped = await uow.session.execute(
        sa.delete(table).where(table.c.expires_at < now).returning(table.c.reference)
    )
    references = [row.reference for row in dropped]
    for reference in references:
        logger.warning(
            "a held contractor update expired: its case never opened",
            extra={"case_reference": reference},
        )
    return len(references)
