"""What officers do through the officer API (the CRM), always within their teams' case types.

Each use case takes the unit of work and the signed-in `Officer`; a request the rules refuse
raises a `Refused`, whose message is the reason to show the officer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from civic_events.contact import Coordinates
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case, Resident, TimelineEntry
from cases.domain.machines import TransitionRefused, machine_for
from cases.domain.officers import CaseFilters, Officer
from cases.domain.proof import normalise_postcode, sign_status_token
from cases.service_layer import erasure
from cases.service_layer.lifecycle import move_case
from cases.service_layer.residents import change_preferences


class Refused(Exception):
    """An officer's request the rules refuse; the message says why."""


class CaseNotFound(Refused):
    def __init__(self) -> None:
        # The same answer whether the case does not exist or belongs to another team.
        super().__init__("no such case among your teams' case types")


class ResidentNotFound(Refused):
    def __init__(self) -> None:
        super().__init__("no such resident")


class TeamLeadOnly(Refused):
    """Allowed to a team lead only."""


class StatusRefused(Refused):
    """The case's state machine does not allow the move."""


class StatusLinksOff(Refused):
    def __init__(self) -> None:
        super().__init__("status links are switched off: no signing secret is set")


@dataclass(frozen=True)
class FoundCases:
    cases: list[Case]
    total: int


@dataclass(frozen=True)
class CaseRecord:
    case: Case
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class ResidentRecord:
    """A resident with the cases and timeline entries the officer may see."""

    resident: Resident
    cases: list[Case]
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class StatusLink:
    reference: str
    token: str
    expires_at: datetime


async def _visible_case(uow: UnitOfWork, officer: Officer, reference: str) -> Case:
    case = await repository.case_by_reference(uow.session, reference=reference)
    if case is None or not officer.sees(case.case_type):
        raise CaseNotFound()
    return case


async def search_cases(
    *, uow: UnitOfWork, officer: Officer, filters: CaseFilters, page: int, page_size: int
) -> FoundCases:
    if filters.postcode:
        filters = replace(filters, postcode=normalise_postcode(filters.postcode))
    cases, total = await repository.search_cases(
        uow.session,
        case_types=officer.case_types,
        filters=filters,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return FoundCases(cases=cases, total=total)


async def case_record(*, uow: UnitOfWork, officer: Officer, reference: str) -> CaseRecord:
    case = await _visible_case(uow, officer, reference)
    return CaseRecord(case=case, timeline=await repository.timeline(uow.session, case_id=case.id))


async def assign_case(*, uow: UnitOfWork, officer: Officer, reference: str, assignee: str) -> Case:
    case = await _visible_case(uow, officer, reference)
    if not officer.may_assign_to(assignee):
        raise TeamLeadOnly("only a team lead assigns cases to someone else")
    case.assigned_to = assignee
    case.updated_at = datetime.now(UTC)
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=case.updated_at,
        kind="assignment",
        summary=f"Assigned to {assignee}",
        actor=officer.officer_id,
        internal=True,
    )
    return case


async def change_status(
    *,
    uow: UnitOfWork,
    officer: Officer,
    reference: str,
    status: str,
    note: str,
    notify_resident: bool,
) -> Case:
    """Move the case by hand; `note` is internal, never shown to the resident."""
    case = await _visible_case(uow, officer, reference)
    now = datetime.now(UTC)
    try:
        await move_case(
            uow,
            case=case,
            target=status,
            reason="changed by an officer",
            changed_by=officer.officer_id,
            occurred_at=now,
            notify_resident=notify_resident,
        )
    except TransitionRefused as refused:
        allowed = machine_for(case.case_type).moves_from(case.status)
        raise StatusRefused(f"{refused}; allowed: {', '.join(allowed) or 'none'}") from refused
    await _note(uow, officer, case, note, at=now)
    return case


async def add_note(*, uow: UnitOfWork, officer: Officer, reference: str, text: str) -> None:
    case = await _visible_case(uow, officer, reference)
    await _note(uow, officer, case, text, at=datetime.now(UTC))


async def _note(uow: UnitOfWork, officer: Officer, case: Case, text: str, *, at: datetime) -> None:
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=at,
        kind="note",
        summary=text,
        actor=officer.officer_id,
        internal=True,
    )


async def issue_status_link(
    *,
    uow: UnitOfWork,
    officer: Officer,
    reference: str,
    secret: str | None,
    ttl_days: int,
) -> StatusLink:
    """A signed token that lets whoever holds it see the case's status until it expires."""
    case = await _visible_case(uow, officer, reference)
    if secret is None:
        raise StatusLinksOff()
    expires_at = datetime.now(UTC) + timedelta(days=ttl_days)
    token = sign_status_token(secret=secret, reference=case.reference, expires_at=expires_at)
    return StatusLink(reference=case.reference, token=token, expires_at=expires_at)


async def _visible_resident(
    uow: UnitOfWork, officer: Officer, resident_id: uuid.UUID
) -> tuple[Resident, list[Case]]:
    """The resident, locked, and their cases; ResidentNotFound, the same answer as for no such
    resident, when they are not the officer's to see."""
    resident = await repository.resident_by_id(uow.session, resident_id=resident_id, lock=True)
    if resident is None:
        raise ResidentNotFound()
    cases = await repository.cases_of_resident(uow.session, resident_id=resident.id)
    if not officer.sees_resident([case.case_type for case in cases]):
        raise ResidentNotFound()
    return resident, cases


async def resident_record(
    *, uow: UnitOfWork, officer: Officer, resident_id: uuid.UUID
) -> ResidentRecord:
    """The resident, if theirs to see (`Officer.sees_resident`): only the cases of the officer's
    teams' case types, and the timeline without the other cases' entries."""
    resident, cases = await _visible_resident(uow, officer, resident_id)
    visible = [case for case in cases if officer.sees(case.case_type)]
    visible_ids = {case.id for case in visible}
    entries = await repository.timeline(uow.session, resident_id=resident.id)
    shown = [e for e in entries if e.case_id is None or e.case_id in visible_ids]
    return ResidentRecord(resident=resident, cases=visible, timeline=shown)


async def set_preferences(
    *,
    uow: UnitOfWork,
    officer: Officer,
    resident_id: uuid.UUID,
    preferred_channel: str,
    case_updates: bool,
    disruption_alerts: bool,
    planning_alerts: bool,
    planning_alert_radius_metres: int | None,
    home: Coordinates | None,
    consent_source: str,
) -> ResidentRecord:
    resident, _ = await _visible_resident(uow, officer, resident_id)
    if resident.erased_at is not None:
        raise ResidentNotFound()
    await change_preferences(
        uow,
        resident=resident,
        preferred_channel=preferred_channel,
        case_updates=case_updates,
        disruption_alerts=disruption_alerts,
        planning_alerts=planning_alerts,
        planning_alert_radius_metres=planning_alert_radius_metres,
        home=home,
        consent_source=consent_source,
    )
    return await resident_record(uow=uow, officer=officer, resident_id=resident_id)


async def erase_resident(
    *,
    uow: UnitOfWork,
    officer: Officer,
    resident_id: uuid.UUID,
    reason: Literal["resident_request", "retention_period_ended"],
) -> None:
    """Forget the person (once: erasing again changes nothing)."""
    if not officer.is_team_lead:
        raise TeamLeadOnly("only a team lead erases a resident")
    resident, _ = await _visible_resident(uow, officer, resident_id)
    if resident.erased_at is None:
        await erasure.erase_resident(uow, resident=resident, reason=reason)
