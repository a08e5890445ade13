"""Confirming contact details: the resident sends back the one-time token of the link we sent to
the details on record (`service_layer.contact_changes`). The token travels in the body, never the
URL, so it stays out of access logs and traces."""

from __future__ import annotations

from datetime import UTC, datetime

from civic_runtime.app import UnitOfWorkDep
from civic_runtime.problems import problem
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cases.service_layer.contact_changes import CONFIRMABLE, ChangeNotFound, confirm_change

contact_changes_router = APIRouter(prefix="/v1/contact-changes", tags=["resident contact details"])


class Confirmation(BaseModel):
    token: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class Confirmed(BaseModel):
    resident_id: str
    details: list[str] = Field(description="The contact details on record now, by name.")


@contact_changes_router.post(
    "/confirm",
    response_model=Confirmed,
    responses={404: {"description": "No change waits for this token."}},
    description=(
        "Public (deliberately): the proof is the one-time token itself, sent only to the "
        "resident's contact details on record. Applies the change it confirms, once, before it "
        "expires."
    ),
)
async def confirm(body: Confirmation, uow: UnitOfWorkDep) -> Confirmed | JSONResponse:
    try:
        resident = await confirm_change(uow, token=body.token, now=datetime.now(UTC))
    except ChangeNotFound:
        return problem(
            404,
            detail="This link has expired or was already used. Submitting the form again sends "
            "a new one.",
        )
    return Confirmed(
        resident_id=str(resident.id),
        details=[detail for detail in CONFIRMABLE if getattr(resident, detail, None)],
    )
