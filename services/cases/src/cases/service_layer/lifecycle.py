"""Opening cases and moving them through their state machines, with the events that announce it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.payments import PaymentRequested
from civic_runtime.uow import UnitOfWork

from cases.adapters import opening, repository
from cases.adapters.opening import ResidentWrite
from cases.adapters.tables import Case, Resident
from cases.domain.machines import TransitionRefused, machine_for
from cases.domain.prices import charge_for
from cases.domain.sla import SlaClock, resumed_due
from cases.domain.transitions import Step, plan

SOURCE = "cases"


async def open_case(
    uow: UnitOfWork,
    *,
    reference: str,
    case_type: str,
    resident_id: uuid.UUID | None,
    opened_at: datetime,
    opened_from: uuid.UUID | None,
    fields: dict[str, Any],
    timeline: Sequence[dict[str, Any]] = (),
    work_order: dict[str, Any] | None = None,
    resident_write: ResidentWrite | None = None,
    sla: SlaClock | None,
) -> uuid.UUID:
    """Open a case: its row, its first `timeline` entries and its `work_order` (from
    `opening.timeline_row` and `work_orders.return_visit`, without the case id), its
    resident's row (`resident_write`, from `residents.match_resident`) and CaseOpened, written
    together (`opening.add_case`). A chargeable case then moves on to `awaiting_payment`. `sla` sets its deadline if its type has a service level in
    working days (None: its clock starts later, as a planning application's does). Returns its id.
    """
    machine = machine_for(case_type)
    case_id = uuid.uuid4()
    due = sla.due(case_type, opened_at) if sla is not None else None
    sla_name, sla_due_at = due if due is not None else (None, None)
    row: dict[str, Any] = {
        "id": case_id,
        "reference": reference,
        "case_type": case_type,
        "status": machine.initial,
        "resident_id": resident_id,
        "opened_from": opened_from,
        "opened_at": opened_at,
        "updated_at": datetime.now(UTC),
        "answers": {},
        "paid": False,
        "sla_name": sla_name,
        "sla_due_at": sla_due_at,
        **fields,
    }
    others = await _others(
        uow, resident_id=resident_id, agent_resident_id=row.get("agent_resident_id")
    )
    opened = CaseOpened(
        source=SOURCE,
        subject=reference,
        case_id=case_id,
        case_type=case_type,
        status=machine.initial,
        resident_id=resident_id,
        sla_due_at=sla_due_at,
        opened_from=opened_from,
        triggered_at=opened_at,
        other_resident_ids=others,
    )
    await opening.add_case(
        uow,
        case=row,
        timeline=[
            {**entry, "case_id": case_id, "resident_id": entry["resident_id"] or resident_id}
            for entry in timeline
        ],
        work_order={**work_order, "case_id": case_id} if work_order is not None else None,
        events=[opened],
        resident=resident_write,
    )
    if machine.chargeable:
        case = await repository.case_by_reference(uow.session, reference=reference)
        assert case is not None  # written above, in this transaction
        await move_case(
            uow,
            case=case,
            target="awaiting_payment",
            reason="a payment is needed to book",
            changed_by="system",
            occurred_at=opened_at,
        )
    return case_id


async def others_to_tell(uow: UnitOfWork, *, case: Case) -> tuple[uuid.UUID, ...]:
    """Who hears of the case's changes besides its resident: a planning application's agent.

    An erased agent is no longer told (notify forgets them too); an agent who is also the
    applicant hears once, as the resident.
    """
    return await _others(
        uow, resident_id=case.resident_id, agent_resident_id=case.agent_resident_id
    )


async def _others(
    uow: UnitOfWork, *, resident_id: uuid.UUID | None, agent_resident_id: uuid.UUID | None
) -> tuple[uuid.UUID, ...]:
    if agent_resident_id is None or agent_resident_id == resident_id:
        return ()
    # Already in the session when loaded earlier in this transaction; otherwise one lookup.
    agent = await uow.session.get(Resident, agent_resident_id)
    if agent is None or agent.erased_at is not None:
        return ()
    return (agent_resident_id,)


async def move_case(
    uow: UnitOfWork,
    *,
    case: Case,
    target: str,
    reason: str,
    changed_by: str,
    occurred_at: datetime,
    event_id: uuid.UUID | None = None,
    outcome: str | None = None,
    notify_resident: bool = True,
    request_payment: bool = True,
) -> list[Step]:
    """Apply the move (and any automatic follow-on) or raise `TransitionRefused`, changing nothing.

    `request_payment=False` enters `awaiting_payment` for a payment already made (the resident
    trying again from payments' return page), so no new PaymentRequested is issued.
    """
    machine = machine_for(case.case_type)
    steps = plan(machine, case.status, target)
    if outcome:
        case.outcome = outcome
    for step in steps:
        await _apply(
            uow,
            case=case,
            step=step,
            reason=reason,
            changed_by=changed_by,
            occurred_at=occurred_at,
            event_id=event_id,
            notify_resident=notify_resident,
            request_payment=request_payment,
        )
    case.updated_at = datetime.now(UTC)
    return steps


async def _apply(
    uow: UnitOfWork,
    *,
    case: Case,
    step: Step,
    reason: str,
    changed_by: str,
    occurred_at: datetime,
    event_id: uuid.UUID | None,
    notify_resident: bool,
    request_payment: bool = True,
) -> None:
    machine = machine_for(case.case_type)
    case.status = step.new_status
    step_reason = f"follows {step.old_status}" if step.automatic else reason
    others = await others_to_tell(uow, case=case)
    # Worth telling: a move that is not silent, with someone to tell (the agent, if no applicant).
    has_audience = case.resident_id is not None or bool(others)
    notify = notify_resident and step.notify_resident and has_audience
    await uow.stage(
        CaseStatusChanged(
            source=SOURCE,
            subject=case.reference,
            case_id=case.id,
            case_type=case.case_type,
            resident_id=case.resident_id,
            old_status=step.old_status,
            new_status=step.new_status,
            reason=step_reason[:500],
            notify_resident=notify,
            changed_by=changed_by,
            # What caused the move happened then: notify measures time to tell from it.
            triggered_at=occurred_at,
            other_resident_ids=others,
        )
    )
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=occurred_at,
        kind="status_changed",
        summary=f"{step.old_status} → {step.new_status}: {step_reason}",
        detail={
            "old_status": step.old_status,
            "new_status": step.new_status,
            "notify_resident": notify,
        },
        event_id=event_id,
        actor=changed_by,
    )
    _run_sla_clock(case, old=step.old_status, new=step.new_status, at=occurred_at)
    if step.new_status == "awaiting_payment" and request_payment:
        await _request_payment(uow, case=case, occurred_at=occurred_at)
    if machine.is_final(step.new_status):
        case.closed_at = occurred_at
        outcome = case.outcome or (
            step.old_status if step.new_status == "closed" else step.new_status
        )
        case.outcome = outcome
        refund = step.new_status == "cancelled" and case.paid
        await uow.stage(
            case_closed(
                case,
                outcome=outcome,
                refund_requested=refund,
                triggered_at=occurred_at,
                other_resident_ids=others,
            )
        )


def case_closed(
    case: Case,
    *,
    outcome: str,
    refund_requested: bool,
    triggered_at: datetime,
    other_resident_ids: tuple[uuid.UUID, ...],
) -> CaseClosed:
    """The event that says `case` closed (or, paid after cancelling, asks again for a refund)."""
    return CaseClosed(
        source=SOURCE,
        subject=case.reference,
        case_id=case.id,
        case_type=case.case_type,
        resident_id=case.resident_id,
        outcome=outcome,
        refund_requested=refund_requested,
        # The resident was told of the status that led here.
        notify_resident=False,
        triggered_at=triggered_at,
        other_resident_ids=other_resident_ids,
    )


def _run_sla_clock(case: Case, *, old: str, new: str, at: datetime) -> None:
    machine = machine_for(case.case_type)
    if case.sla_due_at is None:
        return
    if new in machine.paused and old not in machine.paused:
        case.sla_paused_at = at
    elif old in machine.paused and new not in machine.paused and case.sla_paused_at is not None:
        case.sla_due_at = resumed_due(case.sla_due_at, case.sla_paused_at, at)
        case.sla_paused_at = None


async def _request_payment(uow: UnitOfWork, *, case: Case, occurred_at: datetime) -> None:
    charge = charge_for(case.case_type, case.answers)
    if charge is None:
        raise TransitionRefused(case.case_type, case.status, "awaiting_payment")
    case.payment_request_id = uuid.uuid4()
    case.amount_pence = charge.amount
    await uow.stage(
        PaymentRequested(
            source=SOURCE,
            subject=case.reference,
            payment_request_id=case.payment_request_id,
            resident_id=case.resident_id,
            amount=charge.amount,
            description=charge.description,
            reference=case.reference,
            service_code=case.case_type,
        )
    )
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=occurred_at,
        kind="payment",
        summary=f"Payment of £{charge.amount / 100:.2f} requested",
        detail={"payment_request_id": str(case.payment_request_id), "amount_pence": charge.amount},
    )


async def record_ignored(
    uow: UnitOfWork,
    *,
    case: Case,
    reason: str,
    occurred_at: datetime,
    event_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """An update that changed nothing, kept on the timeline with the reason."""
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=occurred_at,
        kind="update_ignored",
        summary=reason,
        detail=detail or {},
        event_id=event_id,
        internal=True,
    )


async def apply_update(
    uow: UnitOfWork,
    *,
    case: Case,
    target: str | None,
    code: str,
    system: str,
    occurred_at: datetime,
    event_id: uuid.UUID,
    outcome: str | None = None,
) -> bool:
    """Apply a back-office update in order; one that is stale or does not fit changes nothing."""
    label = f"{system}: {code}"
    if target is None:
        await record_ignored(
            uow,
            case=case,
            reason=f"{label} means nothing for a {case.case_type} case",
            occurred_at=occurred_at,
            event_id=event_id,
        )
        return False
    if case.last_update_at is not None and occurred_at < case.last_update_at:
        await record_ignored(
            uow,
            case=case,
            reason=f"{label} is older than the last update applied",
            occurred_at=occurred_at,
            event_id=event_id,
            detail={"last_update_at": case.last_update_at.isoformat()},
        )
        return False
    try:
        await move_case(
            uow,
            case=case,
            target=target,
            reason=label,
            changed_by=system,
            occurred_at=occurred_at,
            event_id=event_id,
            outcome=outcome,
        )
    except TransitionRefused as refused:
        await record_ignored(
            uow,
            case=case,
            reason=f"{label} does not fit: {refused}",
            occurred_at=occurred_at,
            event_id=event_id,
        )
        return False
    case.last_update_at = occurred_at
    return True
