"""The forms API: the catalogue, submissions, their status, and missed-bin eligibility."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from civic_runtime.app import RuntimeDep, ServiceRuntime
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from intake.adapters import repository
from intake.adapters.waste_contractor import WasteContractorUnavailable
from intake.domain.client_limits import address_client
from intake.domain.eligibility import missed_bin_eligibility
from intake.domain.forms import FieldError, FormDefinition
from intake.domain.status_tokens import status_token_hash
from intake.domain.submissions import SubmissionDetails, normalise_details
from intake.entrypoints.limits import address_of, admit_client
from intake.entrypoints.openapi import (
    PROBLEM_RESPONSES,
    RATE_LIMITED_RESPONSES,
    SUBMISSION_REQUEST_BODY,
)
from intake.entrypoints.problems import (
    Problem,
    database_outage_as_503,
    event_field_errors,
    read_json,
    unavailable,
    validation_problem,
)
from intake.entrypoints.state import IntakeState, IntakeStateDep, Overloaded
from intake.service_layer.submissions import (
    LONDON,
    Accepted,
    IdempotencyRequest,
    request_hash,
    submit_form,
)

router = APIRouter(tags=["forms"])
FormId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,49}$")]
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _form(state: IntakeState, form_id: str, version: int | None = None) -> FormDefinition:
    form = (
        state.catalogue.current(form_id)
        if version is None
        else state.catalogue.version(form_id, version)
    )
    if form is None:
        raise Problem(
            404,
            detail=f"There is no form {form_id!r}" + (f" version {version}" if version else ""),
            kind="not-found",
        )
    return form


def _public(form: FormDefinition, state: IntakeState) -> dict[str, Any]:
    return {**form.definition, "versions": state.catalogue.versions(form.form_id)}


@router.get("/v1/forms", responses=PROBLEM_RESPONSES)
async def list_forms(state: IntakeStateDep) -> dict[str, Any]:
    return {"forms": [form.summary() for form in state.catalogue.all_current()]}


@router.get("/v1/forms/{form_id}", responses=PROBLEM_RESPONSES)
async def get_form(form_id: FormId, state: IntakeStateDep) -> dict[str, Any]:
    return _public(_form(state, form_id), state)


@router.get("/v1/forms/{form_id}/versions/{version}", responses=PROBLEM_RESPONSES)
async def get_form_version(
    form_id: FormId, version: Annotated[int, Path(ge=1, le=10_000)], state: IntakeStateDep
) -> dict[str, Any]:
    return _public(_form(state, form_id, version), state)


async def check_missed_bin(
    state: IntakeState, form: FormDefinition, answers: dict[str, Any], details: SubmissionDetails
) -> None:
    if (
        form.eligibility != "missed_bin"
        or details.location is None
        or details.location.uprn is None
    ):
        return
    today = datetime.now(UTC).astimezone(LONDON).date()
    try:
        collection = await state.waste_contractor.latest_collection(
            uprn=details.location.uprn, bin_type=str(answers["bin_type"]), today=today
        )
    except WasteContractorUnavailable as exc:
        raise unavailable(
            state.settings.retry_after_s,
            "We cannot check your collection with the waste contractor right now. Try again.",
        ) from exc
    verdict = missed_bin_eligibility(
        collection,
        today=today,
        calendar=state.council.working_days,
        working_days=state.settings.missed_bin_report_working_days,
    )
    if not verdict.eligible:
        raise Problem(
            422,
            title="This missed bin cannot be reported",
            detail=verdict.message,
            kind="missed-bin-not-eligible",
            reason=verdict.reason,
            errors=[
                FieldError(
                    "answers.bin_type", f"eligibility.{verdict.reason}", verdict.message
                ).as_dict()
            ],
        )


@router.post(
    "/v1/forms/{form_id}/submissions",
    status_code=202,
    openapi_extra={"requestBody": SUBMISSION_REQUEST_BODY},
    responses={
        **PROBLEM_RESPONSES,
        **RATE_LIMITED_RESPONSES,
        202: {"description": "Accepted: durable, with a reference"},
    },
)
async def submit(
    form_id: FormId,
    request: Request,
    runtime: RuntimeDep,
    state: IntakeStateDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Validate and accept a submission: 202 only once FormSubmitted is committed to the outbox."""
    try:
        with state.admit():
            return await _submit(form_id, request, runtime, state, idempotency_key)
    except Overloaded:
        raise unavailable(
            state.settings.retry_after_s, "We are receiving many submissions; try again shortly."
        ) from None


async def _submit(
    form_id: str,
    request: Request,
    runtime: ServiceRuntime,
    state: IntakeState,
    idempotency_key: str | None,
) -> JSONResponse:
    settings = state.settings
    form = _form(state, form_id)
    _, body = await read_json(request, settings.max_submission_bytes)
    idempotency: IdempotencyRequest | None = None
    if idempotency_key is not None:
        if not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise Problem(
                400,
                detail="Idempotency-Key is 1 to 255 visible ASCII characters",
                kind="bad-idempotency-key",
            )
        idempotency = IdempotencyRequest(
            scope="web",
            key=idempotency_key,
            request_hash=request_hash(path=request.url.path, body=body),
        )
        # A retry is answered from the stored response before anything else is checked: the
        # answer must not change because, say, the missed-bin window has since closed.
        async with (
            database_outage_as_503(settings.retry_after_s),
            runtime.connection_unit_of_work(atomic=False) as lookup,
        ):
            stored = await repository.find_idempotent_response(
                session=lookup.session, scope=idempotency.scope, key=idempotency.key
            )
        if stored is not None and stored.body is not None:
            if stored.request_hash != idempotency.request_hash:
                raise _key_reused()
            return _accepted(Accepted(status=stored.status or 202, body=stored.body, replayed=True))
    if not isinstance(body, dict):
        raise validation_problem([FieldError("", "type", "The body must be a JSON object")])
    answers = body.get("answers")
    errors: list[FieldError] = []
    if not isinstance(answers, dict):
        errors.append(FieldError("answers", "type", "answers must be an object"))
    else:
        errors.extend(form.validate(answers))
    details, detail_errors = normalise_details(body, form, area=state.council.area)
    errors.extend(detail_errors)
    if errors or details is None or not isinstance(answers, dict):
        raise validation_problem(errors)
    await admit_client(
        runtime,
        client=address_client("form", address_of(request, settings)),
        per_hour=settings.form_submissions_per_address_per_hour,
        retry_after_s=settings.retry_after_s,
    )
    await check_missed_bin(state, form, answers, details)
    async with database_outage_as_503(settings.retry_after_s), refused_event_as_422():
        if idempotency is None:
            outcome = await submit_form(
                writer=state.writer,
                form=form,
                answers=answers,
                details=details,
                reference_prefix=state.reference_prefix(form),
                submitted_via="web",
                status_url_base=settings.public_base_url,
            )
        else:
            async with runtime.connection_unit_of_work() as uow:
                outcome = await submit_form(
                    uow=uow,
                    form=form,
                    answers=answers,
                    details=details,
                    reference_prefix=state.reference_prefix(form),
                    submitted_via="web",
                    idempotency=idempotency,
                    status_url_base=settings.public_base_url,
                    retention_hours=settings.idempotency_retention_hours,
                )
    if not isinstance(outcome, Accepted):
        raise _key_reused()
    if not outcome.replayed:
        state.metrics.submission_accepted(form_id=form.form_id, channel=details.preferred_channel)
    return _accepted(outcome)


@asynccontextmanager
async def refused_event_as_422() -> AsyncIterator[None]:
    """What the submission's FormSubmitted refuses (a control character, an answer too long)
    is the resident's to correct, naming the field: consumers would refuse it too."""
    try:
        yield
    except ValidationError as exc:
        raise validation_problem(event_field_errors(exc)) from exc


def _key_reused() -> Problem:
    return Problem(
        422,
        title="Idempotency key already used",
        detail="This Idempotency-Key was used with a different request; use a new key",
        kind="idempotency-key-reused",
    )


def _accepted(outcome: Accepted) -> JSONResponse:
    headers = {"Location": outcome.body["status_url"]}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


_RECEIPT_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="receipt token",
    description="The `status_token` of the submission's 202 answer. Never in the query string.",
)


@router.get(
    "/v1/submissions/{reference}",
    responses={**PROBLEM_RESPONSES, 401: {"description": "No receipt token presented"}},
    tags=["forms"],
)
async def submission_status(
    reference: Annotated[str, Path(pattern=r"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6,10}$")],
    runtime: RuntimeDep,
    state: IntakeStateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_RECEIPT_TOKEN)],
) -> dict[str, Any]:
    """Where a submission stands, for its submitter: the receipt's token proves it. References
    are sequential, so the reference alone shows nothing; a wrong token and an unknown
    reference get the same 404."""
    if credentials is None:
        raise Problem(
            401,
            detail="Send the status_token from your submission's receipt as"
            " 'Authorization: Bearer <status_token>'",
            kind="receipt-token-required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    async with database_outage_as_503(state.settings.retry_after_s), runtime.unit_of_work() as uow:
        row = await repository.submission_for_token(
            session=uow.session,
            reference=reference,
            token_hash=status_token_hash(credentials.credentials),
        )
    if row is None:
        raise Problem(
            404, detail=f"There is no submission {reference} with that token", kind="not-found"
        )
    return {
        "reference": row.reference,
        "form_id": row.form_id,
        "form_version": row.form_version,
        "status": row.status,
        "case_status": row.case_status,
        "status_notes": row.status_notes,
        "received_at": row.received_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


@router.get("/v1/waste/missed-bin-eligibility", responses=PROBLEM_RESPONSES, tags=["forms"])
async def missed_bin_check(
    uprn: Annotated[str, Query(pattern=r"^[0-9]{1,12}$")],
    bin_type: Annotated[str, Query(pattern=r"^(refuse|recycling|garden|food|glass)$")],
    state: IntakeStateDep,
) -> dict[str, Any]:
    """Tell the resident before they fill in the form whether a missed bin can be reported."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    try:
        collection = await state.waste_contractor.latest_collection(
            uprn=uprn, bin_type=bin_type, today=today
        )
    except WasteContractorUnavailable as exc:
        raise unavailable(
            state.settings.retry_after_s, "The waste contractor cannot be reached"
        ) from exc
    verdict = missed_bin_eligibility(
        collection,
        today=today,
        calendar=state.council.working_days,
        working_days=state.settings.missed_bin_report_working_days,
    )
    return {
        "eligible": verdict.eligible,
        "reason": verdict.reason,
        "message": verdict.message,
        "report_by": verdict.report_by.isoformat() if verdict.report_by else None,
        "scheduled_date": collection.scheduled_date.isoformat() if collection else None,
    }
