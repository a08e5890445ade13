"""The resident status API: a case's plain-English status and history, for whoever proves it is
theirs (see `service_layer.status_lookup`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from civic_runtime.app import UnitOfWorkDep
from civic_runtime.clients import client_address, trusted_networks
from civic_runtime.problems import problem
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

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


class StatusProof(BaseModel):
    """One proof that the case is the asker's. In the body, never the query string: query
    strings end up in access logs, traces and browser history."""

    token: str | None = Field(default=None, max_length=200, description="from a signed link")
    postcode: str | None = Field(default=None, max_length=16, description="given at submission")
    email: str | None = Field(default=None, max_length=320, description="the resident's")


@status_router.get("/{reference:path}", status_code=405, responses={405: {}})
async def case_status_by_query(reference: str) -> JSONResponse:
    """Refused: a proof in the query string would be logged. POST it in the body instead."""
    return problem(
        405,
        title="Send the proof in a POST body",
        detail="POST /v1/status/{reference} with a JSON body holding one proof: token,"
        " postcode or email. Proofs in the query string are not read.",
        headers={"Allow": "POST"},
    )


@status_router.post(
    "/{reference:path}", response_model=CaseStatus, responses={404: {}, 422: {}, 429: {}}
)
async def case_status(
    reference: str,
    proof: StatusProof,
    request: Request,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
) -> CaseStatus | JSONResponse:
    try:
        found = await look_up_status(
            uow=uow,
            client=client_address(request, trusted_networks(settings.trusted_proxies)),
            lookups_per_minute=settings.status_lookups_per_minute,
            failures_per_reference_per_hour=settings.status_failures_per_reference_per_hour,
            reference=reference,
            token=proof.token,
            postcode=proof.postcode,
            email=proof.email,
            secret=settings.link_secret,
        )
    except TooManyAttempts as refused:
        return problem(
            429,
            detail="Too many attempts; try again later.",
            headers={"Retry-After": str(max(refused.retry_after_s, 1))},
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
