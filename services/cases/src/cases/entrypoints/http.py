"""HTTP: the officer API (the CRM) and the resident status API.

The officer routes parse the request, call the use case in `service_layer.officers` and turn
its answer, or its refusal, into the response.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

from civic_events.contact import Coordinates
from civic_runtime.app import UnitOfWorkDep
from civic_runtime.officer_access import OFFICER_RESPONSES
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from cases.domain.officers import CaseFilters
from cases.entrypoints.auth import OfficerDep, SettingsDep
from cases.entrypoints.dependencies import ContextDep
from cases.entrypoints.status_api import status_router
from cases.entrypoints.views import (
    CaseDetail,
    CasePage,
    CaseView,
    ResidentView,
    case_detail,
    case_page,
    case_view,
    resident_view,
)
from cases.service_layer import officers

officer_router = APIRouter(prefix="/v1", tags=["officer API"], responses=OFFICER_RESPONSES)
__all__ = ["officer_router", "status_router"]

# A search term: one line of text, which the database can compare (a NUL it cannot).
SearchText = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]

REFUSAL_STATUS_CODES: dict[type[officers.Refused], int] = {
    officers.CaseNotFound: 404,
    officers.ResidentNotFound: 404,
    officers.TeamLeadOnly: 403,
    officers.StatusRefused: 409,
    officers.StatusLinksOff: 503,
}


@contextmanager
def _refusals_as_problems() -> Iterator[None]:
    try:
        yield
    except officers.Refused as refused:
        raise HTTPException(REFUSAL_STATUS_CODES[type(refused)], detail=str(refused)) from refused


@officer_router.get("/cases", response_model=CasePage)
async def search_cases(
    uow: UnitOfWorkDep,
    officer: OfficerDep,
    reference: SearchText = None,
    postcode: SearchText = None,
    status: SearchText = None,
    case_type: SearchText = None,
    assigned_to: SearchText = None,
    sla_breached: bool | None = None,
    # Bounded so that the page's offset stays a 64-bit integer for the database.
    page: int = Query(default=1, ge=1, le=1_000_000),
    page_size: int = Query(default=20, ge=1, le=100),
) -> CasePage:
    filters = CaseFilters(
        reference=reference,
        postcode=postcode,
        status=status,
        case_type=case_type,
        assigned_to=assigned_to,
        sla_breached=sla_breached,
    )
    found = await officers.search_cases(
        uow=uow, officer=officer, filters=filters, page=page, page_size=page_size
    )
    return case_page(found, page=page, page_size=page_size)


@officer_router.get("/cases/{reference:path}", response_model=CaseDetail)
async def get_case(reference: str, uow: UnitOfWorkDep, officer: OfficerDep) -> CaseDetail:
    with _refusals_as_problems():
        record = await officers.case_record(uow=uow, officer=officer, reference=reference)
    return case_detail(record)


class Assignment(BaseModel):
    officer_id: str = Field(min_length=1, max_length=100)


@officer_router.post("/cases/{reference:path}/assignment", response_model=CaseView)
async def assign_case(
    reference: str, body: Assignment, uow: UnitOfWorkDep, officer: OfficerDep
) -> CaseView:
    with _refusals_as_problems():
        case = await officers.assign_case(
            uow=uow, officer=officer, reference=reference, assignee=body.officer_id
        )
    return case_view(case)


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
    with _refusals_as_problems():
        case = await officers.change_status(
            uow=uow,
            officer=officer,
            reference=reference,
            status=body.status,
            note=body.note,
            notify_resident=body.notify_resident,
        )
    return case_view(case)


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@officer_router.post("/cases/{reference:path}/notes", status_code=201)
async def add_note(
    reference: str, body: Note, uow: UnitOfWorkDep, officer: OfficerDep
) -> dict[str, str]:
    with _refusals_as_problems():
        await officers.add_note(uow=uow, officer=officer, reference=reference, text=body.text)
    return {"status": "added"}


class StatusLink(BaseModel):
    path: str
    token: str
    expires_at: datetime


@officer_router.post("/cases/{reference:path}/status-link", response_model=StatusLink)
async def issue_status_link(
    reference: str, uow: UnitOfWorkDep, officer: OfficerDep, settings: SettingsDep
) -> StatusLink:
    with _refusals_as_problems():
        link = await officers.issue_status_link(
            uow=uow,
            officer=officer,
            reference=reference,
            secret=settings.link_secret,
            ttl_days=settings.status_link_ttl_days,
        )
    return StatusLink(
        # The token rides in the fragment, which browsers never send: the status page reads it
        # and POSTs it to /v1/status/{reference}.
        path=f"/v1/status/{link.reference}#token={link.token}",
        token=link.token,
        expires_at=link.expires_at,
    )


@officer_router.get("/residents/{resident_id}", response_model=ResidentView)
async def get_resident(
    resident_id: uuid.UUID, uow: UnitOfWorkDep, officer: OfficerDep
) -> ResidentView:
    with _refusals_as_problems():
        record = await officers.resident_record(uow=uow, officer=officer, resident_id=resident_id)
    return resident_view(record)


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
    with _refusals_as_problems():
        record = await officers.set_preferences(
            uow=uow,
            officer=officer,
            resident_id=resident_id,
            preferred_channel=body.preferred_channel,
            case_updates=body.case_updates,
            disruption_alerts=body.disruption_alerts,
            planning_alerts=body.planning_alerts,
            planning_alert_radius_metres=body.planning_alert_radius_metres,
            home=body.home_coordinates,
            consent_source=body.source,
        )
    return resident_view(record)


class Erasure(BaseModel):
    reason: Literal["resident_request", "retention_period_ended"] = "resident_request"


@officer_router.post("/residents/{resident_id}/erasure", status_code=202)
async def erase(
    resident_id: uuid.UUID, body: Erasure, uow: UnitOfWorkDep, officer: OfficerDep
) -> dict[str, str]:
    with _refusals_as_problems():
        await officers.erase_resident(
            uow=uow, officer=officer, resident_id=resident_id, reason=body.reason
        )
    return {"status": "erased"}
