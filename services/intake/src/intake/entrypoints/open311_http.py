"""Open311 GeoReport v2, for FixMyStreet and other clients: services, requests, updates.

A request is the same submission as a web form (same validation, event and reference). Errors are
the specification's: a list of `{code, description}` with status 400, 403 or 404.

Anyone may read requests and updates, so only those of the services the council's profile marks
public (`open311_public_services`, street issues) are shown; a private service's request (a
missed bin: a home's address, a resident's words) is not found, whoever asks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from civic_runtime.app import RuntimeDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from intake.adapters import repository
from intake.domain import open311
from intake.domain.client_limits import address_client
from intake.domain.forms import FieldError, FormDefinition
from intake.domain.submissions import normalise_details
from intake.entrypoints.auth import client_for_key, require_scope
from intake.entrypoints.forms_http import check_missed_bin
from intake.entrypoints.limits import address_of, admit_client
from intake.entrypoints.problems import (
    Problem,
    database_outage_as_503,
    event_field_errors,
    read_body,
)
from intake.entrypoints.state import IntakeState, IntakeStateDep, Overloaded
from intake.service_layer.submissions import Accepted, submit_form

router = APIRouter(prefix="/open311/v2", tags=["open311"])
FORMATS = ("json", "xml")
FORM_ENCODED = "application/x-www-form-urlencoded"


class Open311Error(Exception):
    def __init__(
        self, status: int, descriptions: list[str], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers


def _render(
    fmt: str,
    root: str,
    item: str,
    items: list[dict[str, Any]],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    if fmt == "xml":
        return Response(
            open311.to_xml(root, item, items),
            status_code=status,
            media_type="text/xml",
            headers=headers,
        )
    return JSONResponse(items, status_code=status, headers=headers)


def _error_response(fmt: str, error: Open311Error) -> Response:
    items = [{"code": error.status, "description": d} for d in error.descriptions]
    return _render(
        fmt if fmt in FORMATS else "json", "errors", "error", items, error.status, error.headers
    )


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, [f"format {fmt!r} is not supported: use json or xml"])
    return fmt


def _services(state: IntakeState) -> list[FormDefinition]:
    return [form for form in state.catalogue.all_current() if open311.offered(form)]


def _service(state: IntakeState, service_code: str) -> FormDefinition:
    for form in _services(state):
        if form.service_code == service_code:
            return form
    raise Open311Error(404, [f"service_code {service_code!r} not found"])


async def _guard(fmt: str, call: Any) -> Response:
    try:
        return await call()
    except Open311Error as error:
        return _error_response(fmt, error)


@router.get("/services.{fmt}")
async def list_services(fmt: str, state: IntakeStateDep) -> Response:
    async def call() -> Response:
        return _render(
            _format(fmt), "services", "service", [open311.service(f) for f in _services(state)]
        )

    return await _guard(fmt, call)


@router.get("/services/{service_code}.{fmt}")
async def service_definition(service_code: str, fmt: str, state: IntakeStateDep) -> Response:
    async def call() -> Response:
        form = _service(state, service_code)
        body = open311.definition(form)
        if _format(fmt) == "xml":
            return Response(_definition_xml(body), media_type="text/xml")
        return JSONResponse(body)

    return await _guard(fmt, call)


def _definition_xml(body: dict[str, Any]) -> bytes:
    # A service definition is one object, not a list: render it as the root element.
    xml = open311.to_xml("wrapper", "service_definition", [body])
    return xml.replace(b"<wrapper>", b"").replace(b"</wrapper>", b"")


def _request_form(raw: bytes) -> tuple[dict[str, str], dict[str, list[str]]]:
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=200
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise Open311Error(400, ["the body is not a valid form-encoded request"]) from exc
    for name, value in pairs:
        if name.startswith("attribute[") and "]" in name:
            code = name[len("attribute[") : name.index("]")]
            attributes.setdefault(code, []).append(value)
        else:
            fields[name] = value
    return fields, attributes


def _submission_body(fields: dict[str, str]) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "name": " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
        or None,
        "email": fields.get("email") or None,
        "phone": fields.get("phone") or None,
    }
    # Every location the client gave: the form takes the kinds it accepts (see the services'
    # `location`), so a map point sent with a property's UPRN does no harm.
    location: dict[str, Any] = {}
    if fields.get("address_id"):
        location["uprn"] = fields["address_id"]
    if fields.get("lat") or fields.get("long"):
        try:
            location["latitude"] = float(fields.get("lat", ""))
            location["longitude"] = float(fields.get("long", ""))
        except ValueError:
            raise Open311Error(400, ["lat and long must be decimal degrees"]) from None
    if fields.get("address_string"):
        location["address"] = fields["address_string"]
    channel = "email" if contact["email"] else "sms" if contact["phone"] else "none"
    return {
        "contact": contact,
        "location": location or None,
        "preferred_channel": channel,
        # Open311 clients ask the resident's permission to send updates before they post.
        "consent": channel != "none",
        "description": fields.get("description") or None,
    }


def _field_messages(errors: list[FieldError]) -> list[str]:
    return [f"{e.field}: {e.message}" for e in errors]


@router.post(
    "/requests.{fmt}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM_ENCODED: {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code"],
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "api_key",
                                "service_code",
                                "lat",
                                "long",
                                "address_string",
                                "address_id",
                                "email",
                                "first_name",
                                "last_name",
                                "phone",
                                "description",
                                "media_url",
                                "device_id",
                                "account_id",
                            )
                        },
                    }
                }
            },
        }
    },
)
async def create_request(
    fmt: str, request: Request, runtime: RuntimeDep, state: IntakeStateDep
) -> Response:
    async def call() -> Response:
        _format(fmt)
        settings = state.settings
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != FORM_ENCODED:
            raise Open311Error(415, [f"send the request as {FORM_ENCODED}"])
        try:
            raw = await read_body(request, settings.max_submission_bytes)
        except Problem as exc:
            raise Open311Error(exc.status, [exc.detail or "too large"]) from exc
        fields, attributes = _request_form(raw)
        try:
            client = await client_for_key(
                runtime, fields.get("api_key"), retry_after_s=settings.retry_after_s
            )
            require_scope(client, "open311")
        except Problem as exc:
            status = 403 if exc.status in (401, 403) else exc.status
            raise Open311Error(
                status, ["api_key is missing, invalid, or lacks the open311 scope"]
            ) from exc
        if not fields.get("service_code"):
            raise Open311Error(400, ["service_code is required"])
        form = _service(state, fields["service_code"])
        description = fields.get("description", "")
        if len(description) > 4000:
            raise Open311Error(400, ["description: at most 4000 characters"])
        answers, errors = open311.answers_from_attributes(form, attributes)
        errors += [
            FieldError(
                e.field.replace("answers.", "attribute[", 1) + "]"
                if e.field.startswith("answers.")
                else e.field,
                e.rule,
                e.message,
            )
            for e in form.validate(answers)
        ]
        details, detail_errors = normalise_details(
            _submission_body(fields), form, area=state.council.area
        )
        errors += detail_errors
        if errors or details is None:
            raise Open311Error(400, _field_messages(errors))
        media_url = fields.get("media_url", "")
        if media_url and not media_url.startswith(("https://", "http://")):
            raise Open311Error(400, ["media_url must be an http(s) URL"])
        try:
            with state.admit():
                await admit_client(
                    runtime,
                    client=address_client("open311", address_of(request, settings)),
                    per_hour=settings.open311_requests_per_address_per_hour,
                    retry_after_s=settings.retry_after_s,
                )
                await check_missed_bin(state, form, answers, details)
                async with database_outage_as_503(settings.retry_after_s):
                    outcome = await submit_form(
                        writer=state.writer,
                        form=form,
                        answers=answers,
                        details=details,
                        reference_prefix=state.reference_prefix(form),
                        submitted_via="open311",
                        api_client_id=client.client_id,
                        media_urls=(media_url,) if media_url else (),
                    )
        except Overloaded:
            raise Open311Error(
                503, ["busy: try again shortly"], {"Retry-After": str(settings.retry_after_s)}
            ) from None
        except ValidationError as exc:  # what its FormSubmitted refuses, as the event names it
            raise Open311Error(400, _field_messages(event_field_errors(exc))) from exc
        except Problem as exc:
            raise Open311Error(
                exc.status if exc.status != 422 else 400,
                [exc.detail or exc.title or "refused"],
                exc.headers,
            ) from exc
        assert isinstance(outcome, Accepted)
        state.metrics.submission_accepted(form_id=form.form_id, channel=details.preferred_channel)
        # The id is known at once; the token (the receipt's event id) is given too, so clients
        # written to look a token up (GET /tokens/{token}) work as well.
        item = {
            "service_request_id": outcome.body["reference"],
            "token": str(outcome.event_id),
            "service_notice": f"Your reference is {outcome.body['reference']}",
            "account_id": fields.get("account_id") or None,
        }
        return _render(fmt, "service_requests", "request", [item], status=201)

    return await _guard(fmt, call)


def _request_item(row: Any, state: IntakeState) -> dict[str, Any]:
    form = state.catalogue.version(row.form_id, row.form_version)
    location = row.location or {}
    coordinates = location.get("coordinates") or {}
    return {
        "service_request_id": row.reference,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": form.title if form else row.form_id,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": state.council.name,
        "service_notice": None,
        "requested_datetime": row.received_at.isoformat(),
        "updated_datetime": row.updated_at.isoformat(),
        "expected_datetime": None,
        "address": location.get("address"),
        "address_id": location.get("uprn"),
        "zipcode": None,
        "lat": coordinates.get("latitude"),
        "long": coordinates.get("longitude"),
        "media_url": row.media_url,
    }


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, [f"{name} must be an ISO 8601 date and time"]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/requests.{fmt}")
async def list_requests(
    fmt: str,
    runtime: RuntimeDep,
    state: IntakeStateDep,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=50)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    async def call() -> Response:
        _format(fmt)
        references = (
            [r.strip() for r in service_request_id.split(",") if r.strip()]
            if service_request_id
            else None
        )
        start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
        if references is None and start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=90)
        async with (
            database_outage_as_503(state.settings.retry_after_s),
            runtime.unit_of_work() as uow,
        ):
            rows = await repository.list_submissions(
                session=uow.session,
                public_services=state.council.profile.open311_public_services,
                references=references,
                service_code=service_code,
                status=status,
                start=start,
                end=end,
            )
        return _render(fmt, "service_requests", "request", [_request_item(r, state) for r in rows])

    return await _outage_guard(fmt, call, state)


@router.get("/requests/{service_request_id}.{fmt}")
async def get_request(
    service_request_id: str, fmt: str, runtime: RuntimeDep, state: IntakeStateDep
) -> Response:
    async def call() -> Response:
        _format(fmt)
        async with (
            database_outage_as_503(state.settings.retry_after_s),
            runtime.unit_of_work() as uow,
        ):
            rows = await repository.list_submissions(
                session=uow.session,
                public_services=state.council.profile.open311_public_services,
                references=[service_request_id[:30]],
            )
        if not rows:
            raise Open311Error(404, [f"service_request_id {service_request_id!r} not found"])
        return _render(fmt, "service_requests", "request", [_request_item(rows[0], state)])

    return await _outage_guard(fmt, call, state)


@router.get("/tokens/{token}.{fmt}")
async def request_id_from_token(
    token: str, fmt: str, runtime: RuntimeDep, state: IntakeStateDep
) -> Response:
    """GeoReport v2 "GET service_request_id from a token": `[{token, service_request_id}]`."""

    async def call() -> Response:
        _format(fmt)
        try:
            event_id = uuid.UUID(token)
        except ValueError:
            raise Open311Error(404, [f"token {token[:64]!r} not found"]) from None
        async with (
            database_outage_as_503(state.settings.retry_after_s),
            runtime.unit_of_work() as uow,
        ):
            reference = await repository.reference_for_event(session=uow.session, event_id=event_id)
        if reference is None:
            raise Open311Error(404, [f"token {token[:64]!r} not found"])
        item = {"token": token, "service_request_id": reference}
        return _render(fmt, "service_requests", "request", [item])

    return await _outage_guard(fmt, call, state)


@router.get("/servicerequestupdates.{fmt}")
async def request_updates(
    fmt: str,
    runtime: RuntimeDep,
    state: IntakeStateDep,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """mySociety's extension: status changes since a time, for FixMyStreet to poll."""

    async def call() -> Response:
        _format(fmt)
        start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
        async with (
            database_outage_as_503(state.settings.retry_after_s),
            runtime.unit_of_work() as uow,
        ):
            rows = await repository.list_updates(
                session=uow.session,
                public_services=state.council.profile.open311_public_services,
                start=start,
                end=end,
            )
        items = [
            {
                "update_id": str(row.id),
                "service_request_id": row.reference,
                "status": row.status,
                "updated_datetime": row.updated_at.isoformat(),
                "description": row.description,
                "media_url": "",
                "external_status_code": row.external_status_code,
            }
            for row in rows
        ]
        return _render(fmt, "service_request_updates", "request_update", items)

    return await _outage_guard(fmt, call, state)


async def _outage_guard(fmt: str, call: Any, state: IntakeState) -> Response:
    try:
        return await _guard(fmt, call)
    except Problem as exc:
        return _error_response(
            fmt, Open311Error(exc.status, [exc.detail or "unavailable"], exc.headers)
        )
