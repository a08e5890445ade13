"""The resident status API: a case's plain-English status and history, for whoever proves it is
theirs (see `service_layer.status_lookup`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from civic_runtime.app import UnitOfWorkDep
from civic_runtime.problems import problem
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cases.domain.wording import describe
from cases.entrypoints.auth import SettingsDep
from cases.service_layer.status_lookup import NotProven, TooManyAttempts, look_up_status

LONDON = ZoneInfo("Europe/London")
status_router = APIRouter(prefix="/v1/status", tags=["resident status API"])

CASE_TYPE_NAMES = {
    "missed_bin": "Missed bin collection",
    "bulky_waste": "Bulky waste collection",
    "new_bin": "New or replacement bin",
    "planning_application": "Planning application",
    "report": "Report",
    "foi_request": "Freedom of information request",
}


class StatusStep(BaseModel):
    at: datetime
    status: str
    text: str


class CaseStatus(BaseModel):
    reference: str
    service: str
    status: str
    text: str
    opened_at: datetime
    history: list[StatusStep]


@status_router.get("/{reference:path}", response_model=CaseStatus, responses={404: {}, 429: {}})
async def case_status(
    reference: str,
    request: Request,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    token: str | None = None,
    postcode: str | None = None,
    email: str | None = None,
) -> CaseStatus | JSONResponse:
    try:
        found = await look_up_status(
            uow=uow,
            client=request.client.host if request.client else "unknown",
            lookups_per_minute=settings.status_lookups_per_minute,
            reference=reference,
            token=token,
            postcode=postcode,
            email=email,
            secret=settings.link_secret,
        )
    except TooManyAttempts:
        return problem(
            429, detail="Too many attempts; try again in a minute.", headers={"Retry-After": "60"}
        )
    except NotProven:
        return problem(404, detail="We could not find a case with those details.")
    case = found.case
    history = [
        StatusStep(
            at=case.opened_at.astimezone(LONDON), status="received", text=describe("received")
        )
    ]
    history += [
        StatusStep(
            at=e.occurred_at.astimezone(LONDON),
            status=e.detail["new_status"],
            text=describe(e.detail["new_status"]),
        )
        for e in found.status_changes
    ]
    return CaseStatus(
        reference=case.reference,
        service=CASE_TYPE_NAMES.get(case.case_type, case.case_type),
        status=case.status,
        text=describe(case.status),
        opened_at=case.opened_at.astimezone(LONDON),
        history=history,
    )
