"""Back-office events (waste contractor, planning back office) turned into our transitions."""

from __future__ import annotations

import logging

from civic_events.base import Event
from civic_events.planning import ApplicationValidated, DecisionIssued
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.domain.backoffice import target_status
from cases.domain.sla import PLANNING_DETERMINATION, end_of_day
from cases.service_layer.lifecycle import apply_update

logger = logging.getLogger(__name__)


async def backoffice_update(uow: UnitOfWork, *, event: Event, system: str) -> None:
    """Move the case named by the event's subject, by the system's mapping of the event's code."""
    code = type(event).__name__
    case = await repository.case_by_reference(uow.session, reference=event.subject)
    if case is None:
        # Routine jobs (every bin emptied) are reported too; only our cases concern us.
        logger.debug("no case for %s %s", system, code, extra={"case_reference": event.subject})
        return
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
