"""The resident status API: a case's status for whoever proves it is theirs, and nothing else.

Proof is a signed link token, or the postcode or email given at submission. A wrong proof and a
reference that does not exist get the same answer; attempts are rate-limited per client in the
database, so the limit holds across instances.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from civic_runtime.app import UnitOfWorkDep
from civic_runtime.problems import problem
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert

from cases.adapters import repository
from cases.adapters.tables import Case, StatusLookup
from cases.domain.proof import normalise_postcode, status_token_valid
from cases.domain.wording import describe
from cases.entrypoints.auth import SettingsDep

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


def _now() -> datetime:
    return datetime.now(UTC)


def _not_found() -> JSONResponse:
    return problem(404, detail="We could not find a case with those details.")


async def _within_limit(uow: UnitOfWorkDep, client: str, limit: int) -> bool:
    window = _now().replace(second=0, microsecond=0)
    table = StatusLookup.__table__
    statement = (
        insert(table)
        .values(client=client, window_start=window, attempts=1)
        .on_conflict_do_update(
            index_elements=["client", "window_start"], set_={"attempts": table.c.attempts + 1}
        )
        .returning(table.c.attempts)
    )
    attempts = (await uow.session.execute(statement)).scalar_one()
    return bool(attempts <= limit)


async def _proven(
    uow: UnitOfWorkDep,
    case: Case | None,
    reference: str,
    *,
    token: str | None,
    postcode: str | None,
    email: str | None,
    secret: str | None,
) -> bool:
    if case is None:
        return False
    if token:
        return secret is not None and status_token_valid(
            secret=secret, reference=reference, token=token, now=datetime.now(UTC)
        )
    if postcode:
        return case.postcode is not None and normalise_postcode(postcode) == case.postcode
    if email and case.resident_id is not None:
        resident = await repository.resident_by_id(uow.session, resident_id=case.resident_id)
        return (
            resident is not None
            and resident.email is not None
            and resident.email == email.strip().lower()
        )
    return False


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
    client = request.client.host if request.client else "unknown"
    if not await _within_limit(uow, client, settings.status_lookups_per_minute):
        return problem(
            429, detail="Too many attempts; try again in a minute.", headers={"Retry-After": "60"}
        )
    case = await repository.case_by_reference(uow.session, reference=reference, lock=False)
    proven = await _proven(
        uow,
        case,
        reference,
        token=token,
        postcode=postcode,
        email=email,
        secret=settings.link_secret,
    )
    if not proven or case is None:
        return _not_found()
    entries = await repository.timeline(uow.session, case_id=case.id, include_internal=False)
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
        for e in entries
        if e.kind == "status_changed"
    ]
    return CaseStatus(
        reference=case.reference,
        service=CASE_TYPE_NAMES.get(case.case_type, case.case_type),
        status=case.status,
        text=describe(case.status),
        opened_at=case.opened_at.astimezone(LONDON),
        history=history,
    )
