"""HTTP: the officer API (the CRM) and the resident status API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from civic_events.contact import Coordinates
from civic_runtime.app import UnitOfWorkDep
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from cases.adapters import repository
from cases.adapters.tables import Case
from cases.domain.machines import TransitionRefused, machine_for
from cases.domain.proof import normalise_postcode, sign_status_token
from cases.entrypoints.auth import Officer, OfficerDep, SettingsDep
from cases.entrypoints.dependencies import ContextDep
from cases.entrypoints.status_api import status_router
from cases.entrypoints.views import (
    CaseDetail,
    CasePage,
    CaseView,
    ResidentView,
    case_view,
    resident_view,
    timeline_view,
)
from cases.service_layer.erasure import erase_resident
from cases.service_layer.lifecycle import move_case
from cases.service_layer.residents import change_preferences

officer_router = APIRouter(prefix="/v1", tags=["officer API"])
__all__ = ["officer_router", "status_router"]


def _allowed(case: Case) -> list[str]:
    machine = machine_for(case.case_type)
    return (
        []
        if machine.is_final(case.status)
        else sorted(set(machine.targets(case.status)) - {case.status})
    )


async def _visible_case(uow: UnitOfWorkDep, officer: Officer, reference: str) -> Case:
    case = await repository.case_by_reference(uow.session, reference=reference)
    if case is None or not officer.sees(case.case_type):
        raise HTTPException(404, detail="no such case among your teams' case types")
    return case


@officer_router.get("/cases", response_model=CasePage)
async def search_cases(
    uow: UnitOfWorkDep,
    officer: OfficerDep,
    reference: str | None = None,
    postcode: str | None = None,
    status: str | None = None,
    case_type: str | None = None,
    assigned_to: str | None = None,
    sla_breached: bool | None = None,
    page: int = Query(default=1, ge=1),
    page_size: int = Query(default=20, ge=1, le=100),
) -> CasePage:
    conditions = [col(Case.case_type).in_(sorted(officer.case_types))]
    if reference:
        conditions.append(Case.reference == reference)
    if postcode:
        conditions.append(Case.postcode == normalise_postcode(postcode))
    if status:
        conditions.append(Case.status == status)
    if case_type:
        conditions.append(Case.case_type == case_type)
    if assigned_to:
        conditions.append(Case.assigned_to == assigned_to)
    if sla_breached is not None:
        breached = col(Case.sla_breached_at).is_not(None)
        conditions.append(breached if sla_breached else sa.not_(breached))
    total = (
        await uow.session.execute(select(sa.func.count()).select_from(Case).where(*conditions))
    ).scalar_one()
    rows = await uow.session.execute(
        select(Case)
        .where(*conditions)
        .order_by(col(Case.opened_at).desc(), col(Case.reference))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    items = [case_view(case, _allowed(case)) for case in rows.scalars()]
    return CasePage(items=items, page=page, page_size=page_size, total=total)


@officer_router.get("/cases/{reference:path}", response_model=CaseDetail)
async def get_case(reference: str, uow: UnitOfWorkDep, officer: OfficerDep) -> CaseDetail:
    case = await _visible_case(uow, officer, reference)
    entries = await repository.timeline(uow.session, case_id=case.id)
    return CaseDetail(
        **case_view(case, _allowed(case)).model_dump(),
        timeline=[timeline_view(entry, {case.id: case.reference}) for entry in entries],
    )


class Assignment(BaseModel):
    officer_id: str = Field(min_length=1, max_length=100)


@officer_router.post("/cases/{reference:path}/assignment", response_model=CaseView)
async def assign_case(
    reference: str, body: Assignment, uow: UnitOfWorkDep, officer: OfficerDep
) -> CaseView:
    case = await _visible_case(uow, officer, reference)
    if body.officer_id != officer.officer_id and not officer.is_team_lead:
        raise HTTPException(403, detail="only a team lead assigns cases to someone else")
    case.assigned_to = body.officer_id
    case.updated_at = datetime.now(UTC)
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=case.updated_at,
        kind="assignment",
        summary=f"Assigned to {body.officer_id}",
        actor=officer.officer_id,
        internal=True,
    )
    return case_view(case, _allowed(case))


class StatusChange(BaseModel):
    status: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)
    note: str = Field(
        min_length=1, max_length=2000, description="Internal: never shown to the resident."
    )
    notify_resident: bool = True


@officer_router.post("/cases/{reference:path}/status", response_model=CaseView)
async def change_status(
    reference: str,
    body: StatusChange,
    uow: UnitOfWorkDep,
    officer: OfficerDep,
    context: ContextDep,
) -> CaseView:
    context.metrics.count_when_committed(uow)
    case = await _visible_case(uow, officer, reference)
    now = datetime.now(UTC)
    try:
        await move_case(
            uow,
            case=case,
            target=body.status,
            reason="changed by an officer",
            changed_by=officer.officer_id,
            occurred_at=now,
            notify_resident=body.notify_resident,
        )
    except TransitionRefused as refused:
        raise HTTPException(
            409, detail=f"{refused}; allowed: {', '.join(_allowed(case)) or 'none'}"
        ) from refused
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=now,
        kind="note",
        summary=body.note,
        actor=officer.officer_id,
        internal=True,
    )
    return case_view(case, _allowed(case))


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@officer_router.post("/cases/{reference:path}/notes", status_code=201)
async def add_note(
    reference: str, body: Note, uow: UnitOfWorkDep, officer: OfficerDep
) -> dict[str, str]:
    case = await _visible_case(uow, officer, reference)
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=datetime.now(UTC),
        kind="note",
        summary=body.text,
        actor=officer.officer_id,
        internal=True,
    )
    return {"status": "added"}


class StatusLink(BaseModel):
    path: str
    token: str
    expires_at: datetime


@officer_router.post("/cases/{reference:path}/status-link", response_model=StatusLink)
async def issue_status_link(
    reference: str, uow: UnitOfWorkDep, officer: OfficerDep, settings: SettingsDep
) -> StatusLink:
    case = await _visible_case(uow, officer, reference)
    secret = settings.link_secret
    if secret is None:
        raise HTTPException(503, detail="status links are switched off: no signing secret is set")
    expires_at = datetime.now(UTC) + timedelta(days=settings.status_link_ttl_days)
    token = sign_status_token(
        secret=secret,
        reference=case.reference,
        expires_at=expires_at,
    )
    return StatusLink(
        path=f"/v1/status/{case.reference}?token={token}", token=token, expires_at=expires_at
    )


async def _resident_view(
    uow: UnitOfWorkDep, officer: Officer, resident_id: uuid.UUID
) -> ResidentView:
    resident = await repository.resident_by_id(uow.session, resident_id=resident_id, lock=True)
    if resident is None:
        raise HTTPException(404, detail="no such resident")
    rows = await uow.session.execute(
        select(Case).where(
            sa.or_(Case.resident_id == resident.id, Case.agent_resident_id == resident.id)
        )
    )
    cases = list(rows.scalars())
    visible = {case.id: case.reference for case in cases if officer.sees(case.case_type)}
    entries = await repository.timeline(uow.session, resident_id=resident.id)
    shown = [e for e in entries if e.case_id is None or e.case_id in visible]
    return resident_view(
        resident,
        [case_view(case, _allowed(case)) for case in cases if case.id in visible],
        [timeline_view(entry, visible) for entry in shown],
    )


@officer_router.get("/residents/{resident_id}", response_model=ResidentView)
async def get_resident(
    resident_id: uuid.UUID, uow: UnitOfWorkDep, officer: OfficerDep
) -> ResidentView:
    return await _resident_view(uow, officer, resident_id)


class Preferences(BaseModel):
    preferred_channel: Literal["email", "sms", "push"]
    case_updates: bool = True
    disruption_alerts: bool = False
    planning_alerts: bool = False
    planning_alert_radius_metres: int | None = Field(
        default=None, ge=50, le=5000, description="How near a new planning application must be."
    )
    home_coordinates: Coordinates | None = Field(
        default=None, description="Where the resident lives, for planning alerts nearby."
    )
    source: str = Field(default="officer, by phone", min_length=1, max_length=100)


@officer_router.put("/residents/{resident_id}/preferences", response_model=ResidentView)
async def set_preferences(
    resident_id: uuid.UUID, body: Preferences, uow: UnitOfWorkDep, officer: OfficerDep
) -> ResidentView:
    resident = await repository.resident_by_id(uow.session, resident_id=resident_id, lock=True)
    if resident is None or resident.erased_at is not None:
        raise HTTPException(404, detail="no such resident")
    await change_preferences(
        uow,
        resident=resident,
        preferred_channel=body.preferred_channel,
        case_updates=body.case_updates,
        disruption_alerts=body.disruption_alerts,
        planning_alerts=body.planning_alerts,
        planning_alert_radius_metres=body.planning_alert_radius_metres,
        home=body.home_coordinates,
        consent_source=body.source,
    )
    return await _resident_view(uow, officer, resident_id)


class Erasure(BaseModel):
    reason: Literal["resident_request", "retention_period_ended"] = "resident_request"


@officer_router.post("/residents/{resident_id}/erasure", status_code=202)
async def erase(
    resident_id: uuid.UUID, body: Erasure, uow: UnitOfWorkDep, officer: OfficerDep
) -> dict[str, str]:
    if not officer.is_team_lead:
        raise HTTPException(403, detail="only a team lead erases a resident")
    resident = await repository.resident_by_id(uow.session, resident_id=resident_id, lock=True)
    if resident is None:
        raise HTTPException(404, detail="no such resident")
    if resident.erased_at is None:
        await erase_resident(uow, resident=resident, reason=body.reason)
    return {"status": "erased"}
