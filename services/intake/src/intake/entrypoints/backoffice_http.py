"""Back-office webhooks: signed reports from the waste contractor and the planning back office."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from civic_runtime.app import RuntimeDep
from fastapi import APIRouter, Header, Request

from intake.domain.client_limits import api_client
from intake.domain.forms import FieldError
from intake.domain.signatures import verify
from intake.entrypoints.auth import bearer_key, client_for_key, require_scope
from intake.entrypoints.limits import admit_client
from intake.entrypoints.openapi import (
    BACKOFFICE_REQUEST_BODY,
    PROBLEM_RESPONSES,
    RATE_LIMITED_RESPONSES,
)
from intake.entrypoints.problems import (
    JSON_TYPES,
    Problem,
    database_outage_as_503,
    parse_json,
    require_content_type,
    validation_problem,
)
from intake.entrypoints.state import IntakeStateDep
from intake.service_layer.backoffice import accept_reports, parse_reports

router = APIRouter(tags=["back office"])


@router.post(
    "/v1/backoffice/{system}/events",
    status_code=202,
    openapi_extra={"requestBody": BACKOFFICE_REQUEST_BODY},
    responses={
        **PROBLEM_RESPONSES,
        **RATE_LIMITED_RESPONSES,
        401: {"description": "Missing or wrong key or signature"},
        403: {"description": "The client lacks the system's scope"},
    },
)
async def receive_reports(
    system: Literal["waste", "planning"],
    request: Request,
    runtime: RuntimeDep,
    state: IntakeStateDep,
    authorization: Annotated[str | None, Header()] = None,
    intake_signature: Annotated[str | None, Header(alias="Intake-Signature")] = None,
) -> dict[str, Any]:
    """One event or `{"events": [...]}` (up to 500), signed `Intake-Signature: t=…,v1=…`.

    The whole batch is validated, then published in one transaction; an event id seen before is
    acknowledged as a duplicate and not published again.
    """
    settings = state.settings
    client = await client_for_key(
        runtime, bearer_key(authorization), retry_after_s=settings.retry_after_s
    )
    # Within the service's body limit (the runtime's middleware: larger bodies get 413).
    raw = await request.body()
    refused = verify(
        intake_signature,
        secret=client.signing_secret,
        body=raw,
        now=int(time.time()),
        tolerance_s=settings.signature_tolerance_s,
    )
    if refused is not None:
        raise Problem(401, detail=f"Request signature refused: {refused}", kind="bad-signature")
    require_scope(client, system)
    # Counted once the call is proven the client's: no one else can use up its hour.
    await admit_client(
        runtime,
        client=api_client("backoffice", client.client_id),
        per_hour=settings.backoffice_calls_per_client_per_hour,
        retry_after_s=settings.retry_after_s,
    )
    require_content_type(request, JSON_TYPES)
    body = parse_json(raw)
    reports: Any
    reports = body["events"] if isinstance(body, dict) and "events" in body else [body]
    if not isinstance(reports, list) or not reports:
        raise validation_problem([FieldError("events", "type", "events is a non-empty array")])
    if len(reports) > settings.max_webhook_batch:
        raise validation_problem(
            [FieldError("events", "maxItems", f"at most {settings.max_webhook_batch} events")]
        )
    events, errors = parse_reports(system, reports)
    if errors:
        raise validation_problem(errors, title="The events have errors")
    async with database_outage_as_503(settings.retry_after_s), runtime.unit_of_work() as uow:
        result = await accept_reports(
            uow=uow, system=system, api_client_id=client.client_id, events=events
        )
    accepted = set(result.accepted)
    state.metrics.backoffice_events_accepted(
        system=system,
        event_types=(event.ce_type for event in events if str(event.event_id) in accepted),
    )
    return {
        "accepted": len(result.accepted),
        "duplicates": len(result.duplicates),
        "accepted_event_ids": result.accepted,
        "duplicate_event_ids": result.duplicates,
    }
