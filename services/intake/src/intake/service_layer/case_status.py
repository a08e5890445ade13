"""Keep each submission's public status (Open311 `open`/`closed`) from the life of its case."""

from __future__ import annotations

from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_runtime.uow import UnitOfWork

from intake.adapters import repository


def _words(code: str) -> str:
    return code.replace("_", " ")


async def apply_case_event(
    *, uow: UnitOfWork, event: CaseOpened | CaseStatusChanged | CaseClosed
) -> bool:
    if isinstance(event, CaseOpened):
        status, case_status, notes = "open", event.status, f"Case opened: {_words(event.status)}"
    elif isinstance(event, CaseStatusChanged):
        status, case_status = "open", event.new_status
        notes = f"Status changed to {_words(event.new_status)}"
    else:
        status, case_status = "closed", event.outcome
        notes = f"Closed: {_words(event.outcome)}"
    return await repository.record_status(
        session=uow.session,
        event_id=event.event_id,
        reference=event.subject,
        status=status,
        case_status=case_status,
        notes=notes,
        at=event.occurred_at,
    )
