"""notify's HTTP API: templates (save, list, preview), residents' preferences, notifications,
broadcasts, and GOV.UK Notify's delivery callbacks.

Who may call what (each route's OpenAPI description says it too): templates and broadcasts need
an officer's token with the role `template-editor`; a resident's preferences and notifications
need an officer's token (`officer` or `team_lead`) of a team holding one of the resident's cases
(notify records their types from CaseOpened; a resident with none is a team lead's), as in cases'
officer API: any other resident is the same 404 as one that does not exist. The delivery
callbacks carry GOV.UK Notify's own token.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from civic_runtime.app import UnitOfWorkDep
from civic_runtime.officer_access import OFFICER_RESPONSES, officer_holding, officers_only
from civic_runtime.officers import TEAM_LEAD, Officer, resident_visible
from civic_runtime.problems import problem
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from notify.adapters import residents
from notify.domain.neighbourhood import DEFAULT_PLANNING_ALERT_RADIUS_METRES
from notify.domain.preferences import first_name
from notify.domain.purposes import status_page_url
from notify.domain.push_endpoints import push_endpoint_allowed
from notify.domain.samples import sample_personalisation
from notify.domain.templates import (
    Channel,
    MissingPersonalisation,
    TemplateContent,
    TemplateRefused,
    kind_of,
    sms_length,
)
from notify.service_layer import broadcasts, notifications, preferences, templates
from notify.service_layer.outcomes import apply_provider_status

TEMPLATE_EDITOR = "template-editor"
OFFICER_ROLES = ("officer", "team_lead")
FOR_EDITORS = officers_only(TEMPLATE_EDITOR)
FOR_OFFICERS = officers_only(*OFFICER_ROLES)

router = APIRouter()
editors_router = APIRouter(
    dependencies=[Depends(officer_holding(TEMPLATE_EDITOR))], responses=OFFICER_RESPONSES
)
# One dependency for the router and the routes that need the officer: verified once a request.
_AN_OFFICER = officer_holding(*OFFICER_ROLES)
officers_router = APIRouter(dependencies=[Depends(_AN_OFFICER)], responses=OFFICER_RESPONSES)
OfficerDep = Annotated[Officer, Depends(_AN_OFFICER)]
NO_SUCH_RESIDENT = "no such resident"


async def _sees(uow: Any, request: Request, officer: Officer, resident_id: uuid.UUID) -> bool:
    """Whether the resident is the officer's to see: one of their cases is of a type the
    officer's teams handle (a resident with none, a team lead's); as cases' officer API."""
    return resident_visible(
        case_types=officer.case_types(request.app.state.runtime.settings.teams),
        team_lead=TEAM_LEAD in officer.roles,
        resident_case_types=await residents.case_types_of(
            session=uow.session, resident_id=resident_id
        ),
    )


# --- templates ---------------------------------------------------------------------------------
class TemplateIn(BaseModel):
    subject: str | None = Field(
        default=None, max_length=300, description="Email subject, push title."
    )
    body: str = Field(min_length=1, max_length=20_000)
    link: str | None = Field(default=None, max_length=500, description="Push only.")


# A template's version is a 32-bit integer column.
MAX_VERSION = 2**31 - 1


class PreviewIn(BaseModel):
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    personalisation: dict[str, str] = Field(
        default_factory=dict, description="Overrides of the sample event's values."
    )


def _template_out(content: TemplateContent, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": content.name,
        "channel": content.channel,
        "version": version,
        "subject": content.subject,
        "body": content.body,
        "link": content.link,
    }
    if content.channel == "sms":
        length = content.worst_case_sms_length()
        out["sms"] = {
            "encoding": length.encoding,
            "characters": length.characters,
            "fragments": length.fragments,
        }
    return out


@editors_router.get(
    "/templates", tags=["templates"], description=f"{FOR_EDITORS} The latest of each template."
)
async def list_templates(uow: UnitOfWorkDep) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
        for row in await templates.list_latest(session=uow.session)
    ]


@editors_router.put(
    "/templates/{name}/{channel}",
    status_code=201,
    tags=["templates"],
    response_model=None,
    description=f"{FOR_EDITORS} Saves a new version; refused (422) when it could not be sent.",
)
async def save_template(
    name: str, channel: Channel, template: TemplateIn, uow: UnitOfWorkDep
) -> dict[str, Any] | JSONResponse:
    content = TemplateContent(
        name=name, channel=channel, subject=template.subject, body=template.body, link=template.link
    )
    try:
        version = await templates.save_template(session=uow.session, content=content)
    except TemplateRefused as refused:
        return problem(422, title="Template refused", detail=str(refused), errors=refused.problems)
    return _template_out(content, version)


@editors_router.get(
    "/templates/{name}/{channel}",
    tags=["templates"],
    response_model=None,
    description=f"{FOR_EDITORS} One version of a template (the latest by default).",
)
async def get_template(
    name: str,
    channel: Channel,
    uow: UnitOfWorkDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> dict[str, Any] | JSONResponse:
    found = await templates.get_version(
        session=uow.session, name=name, channel=channel, version=version
    )
    if found is None:
        return problem(404, detail="no such template version")
    return _template_out(*found)


@editors_router.post(
    "/templates/{name}/{channel}/preview",
    tags=["templates"],
    response_model=None,
    description=f"{FOR_EDITORS} Renders a template against a sample event of its kind.",
)
async def preview_template(
    name: str, channel: Channel, preview: PreviewIn, request: Request, uow: UnitOfWorkDep
) -> dict[str, Any] | JSONResponse:
    found = await templates.get_version(
        session=uow.session, name=name, channel=channel, version=preview.version
    )
    if found is None:
        return problem(404, detail="no such template version")
    content, version = found
    values = sample_personalisation(kind_of(name))
    values["first_name"] = first_name("Sam Resident")
    if "reference" in values:
        settings = request.app.state.runtime.settings
        values["status_page_url"] = status_page_url(
            base_url=settings.status_page_base_url,
            reference=values["reference"],
            secret=settings.status_link_secret,
            expires_at=datetime.now(UTC) + timedelta(days=settings.status_link_ttl_days),
        )
    values.update(preview.personalisation)
    try:
        rendered = content.render(values)
    except MissingPersonalisation as exc:
        return problem(422, detail=f"missing placeholder {exc}")
    out: dict[str, Any] = {
        "name": name,
        "channel": channel,
        "version": version,
        "subject": rendered.subject,
        "body": rendered.body,
        "link": rendered.link,
    }
    if channel == "sms":
        length = sms_length(rendered.body)
        out["sms"] = {
            "encoding": length.encoding,
            "characters": length.characters,
            "fragments": length.fragments,
        }
    return out


# --- preferences -------------------------------------------------------------------------------
class PreferencesIn(BaseModel):
    preferred_channel: Literal["email", "sms", "push"] | None = None
    fallback_order: list[Literal["email", "sms", "push"]] | None = Field(default=None, max_length=3)
    case_updates: bool | None = None
    disruption_alerts: bool | None = None
    planning_alerts: bool | None = None
    planning_alert_radius_metres: int | None = Field(
        default=None, ge=50, le=5000, description="Null: the default, 500 m."
    )
    push_subscription: dict[str, Any] | None = Field(
        default=None, description="A browser PushSubscription (endpoint, keys.p256dh, keys.auth)."
    )


def _preferences_out(row: Any) -> dict[str, Any]:
    # Contact details are not echoed: only whether we hold each.
    return {
        "resident_id": str(row["resident_id"]),
        "preferred_channel": row["preferred_channel"],
        "fallback_order": list(row["fallback_order"]),
        "channel_order": residents.to_preferences(row).channel_order(),
        "case_updates": row["case_updates"],
        "disruption_alerts": row["disruption_alerts"],
        "planning_alerts": row["planning_alerts"],
        "planning_alert_radius_metres": row["planning_alert_radius_metres"]
        or DEFAULT_PLANNING_ALERT_RADIUS_METRES,
        "has_home_location": row["home_latitude"] is not None,
        "has_email": bool(row["email"]),
        "has_phone": bool(row["phone"]),
        "has_push_subscription": bool(row["push_subscription"]),
        "quiet_hours": {
            "from": "21:00",
            "to": "08:00",
            "timezone": "Europe/London",
            "channels": ["sms", "push"],
        },
    }


@officers_router.get(
    "/residents/{resident_id}/preferences",
    tags=["preferences"],
    response_model=None,
    description=f"{FOR_OFFICERS} A resident's contact preferences (never their contact details), "
    "for an officer of a team holding one of their cases.",
)
async def get_preferences(
    resident_id: uuid.UUID, request: Request, officer: OfficerDep, uow: UnitOfWorkDep
) -> dict[str, Any] | JSONResponse:
    row = await residents.load_row(session=uow.session, resident_id=resident_id)
    if row is None or row["erased"] or not await _sees(uow, request, officer, resident_id):
        return problem(404, detail=NO_SUCH_RESIDENT)
    return _preferences_out(row)


@officers_router.patch(
    "/residents/{resident_id}/preferences",
    tags=["preferences"],
    response_model=None,
    description=f"{FOR_OFFICERS} Changes a resident's preferences or push subscription, for an "
    "officer of a team holding one of their cases.",
)
async def change_preferences(
    resident_id: uuid.UUID,
    changes: PreferencesIn,
    request: Request,
    officer: OfficerDep,
    uow: UnitOfWorkDep,
) -> dict[str, Any] | JSONResponse:
    if not await _sees(uow, request, officer, resident_id):
        return problem(404, detail=NO_SUCH_RESIDENT)
    values = changes.model_dump(exclude_unset=True)
    if "push_subscription" in values and values["push_subscription"] is not None:
        subscription = values["push_subscription"]
        keys = subscription.get("keys") or {}
        production = request.app.state.runtime.settings.environment == "production"
        endpoint = str(subscription.get("endpoint", ""))
        if not push_endpoint_allowed(endpoint, production=production) or not (
            keys.get("p256dh") and keys.get("auth")
        ):
            return problem(
                422,
                detail="push_subscription needs keys and an https endpoint of a browser's push"
                " service (FCM, Mozilla, Apple or Windows)",
            )
    if not await preferences.change_preferences(
        session=uow.session, resident_id=resident_id, changes=values
    ):
        return problem(404, detail=NO_SUCH_RESIDENT)
    row = await residents.load_row(session=uow.session, resident_id=resident_id)
    return _preferences_out(row)


# --- notifications and broadcasts --------------------------------------------------------------
def _notification_out(row: Any) -> dict[str, Any]:
    return {
        key: (
            str(value)
            if isinstance(value, uuid.UUID)
            else value.isoformat()
            if isinstance(value, datetime)
            else value
        )
        for key, value in row.items()
        if key not in ("personalisation",)
    }


@officers_router.get(
    "/notifications/{notification_id}",
    tags=["notifications"],
    response_model=None,
    description=f"{FOR_OFFICERS} One notification and its delivery state, for an officer of a "
    "team holding one of its resident's cases.",
)
async def get_notification(
    notification_id: uuid.UUID, request: Request, officer: OfficerDep, uow: UnitOfWorkDep
) -> dict[str, Any] | JSONResponse:
    row = await notifications.get(session=uow.session, notification_id=notification_id)
    if row is None or not await _sees(uow, request, officer, row["resident_id"]):
        return problem(404, detail="no such notification")
    return _notification_out(row)


@officers_router.get(
    "/residents/{resident_id}/notifications",
    tags=["notifications"],
    description=f"{FOR_OFFICERS} The notifications sent to a resident, for an officer of a team "
    "holding one of their cases.",
    response_model=None,
)
async def list_notifications(
    resident_id: uuid.UUID, request: Request, officer: OfficerDep, uow: UnitOfWorkDep
) -> list[dict[str, Any]] | JSONResponse:
    if not await _sees(uow, request, officer, resident_id):
        return problem(404, detail=NO_SUCH_RESIDENT)
    rows = await notifications.list_for_resident(session=uow.session, resident_id=resident_id)
    return [_notification_out(row) for row in rows]


@editors_router.get(
    "/broadcasts/{broadcast_id}",
    tags=["broadcasts"],
    response_model=None,
    description=f"{FOR_EDITORS} A broadcast's progress and counts by channel.",
)
async def get_broadcast(
    broadcast_id: uuid.UUID, uow: UnitOfWorkDep
) -> dict[str, Any] | JSONResponse:
    found = await broadcasts.progress(session=uow.session, broadcast_id=broadcast_id)
    if found is None:
        return problem(404, detail="no such broadcast")
    return found


@editors_router.get(
    "/disruptions/{disruption_id}/broadcasts",
    tags=["broadcasts"],
    description=f"{FOR_EDITORS} The broadcasts a service disruption started.",
)
async def list_broadcasts(disruption_id: str, uow: UnitOfWorkDep) -> list[str]:
    return [
        str(b)
        for b in await broadcasts.find_for_disruption(
            session=uow.session, disruption_id=disruption_id
        )
    ]


# --- GOV.UK Notify's delivery receipts ---------------------------------------------------------
class NotifyCallback(BaseModel):
    """GOV.UK Notify's delivery-receipt callback body."""

    id: str
    reference: str | None = None
    to: str | None = None
    status: str
    created_at: str | None = None
    completed_at: str | None = None
    sent_at: str | None = None
    notification_type: str | None = None
    template_id: str | None = None
    template_version: int | None = None


# The body is read by the route, after the token is checked: a body FastAPI parsed for us would
# answer a stranger's malformed one 422 (telling them what we take) before the token is looked at.
@router.post(
    "/callbacks/govuk-notify",
    tags=["callbacks"],
    response_model=None,
    description=(
        "Authenticated: GOV.UK Notify's callback bearer token (NOTIFY_GOVUK_NOTIFY_CALLBACK_TOKEN),"
        " not an officer's, checked before the body is read. Delivery receipts."
    ),
    responses={
        401: {"description": "no or the wrong callback token"},
        422: {"description": "with the right token, a body that is not a delivery receipt"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": NotifyCallback.model_json_schema()}},
        }
    },
)
async def govuk_notify_callback(
    request: Request,
    uow: UnitOfWorkDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any] | JSONResponse:
    expected = f"Bearer {request.app.state.runtime.settings.govuk_notify_callback_token}"
    # Notify's callbacks carry a static token, no signature: compare in constant time.
    if not hmac.compare_digest((authorization or "").encode(), expected.encode()):
        return problem(401, detail="bad bearer token", headers={"WWW-Authenticate": "Bearer"})
    try:
        receipt = NotifyCallback.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc
    try:
        notification_id = uuid.UUID(receipt.reference or "")
    except ValueError:
        # Not one of ours (no reference we issue): accept, so Notify does not retry it.
        return {"status": "ignored"}
    # A receipt can overtake our own record of the hand-over: let this instance's record go
    # first (so NotificationSent keeps the provider call's trace), then apply the receipt.
    await request.app.state.dispatcher.recorded(notification_id)
    changed = await apply_provider_status(
        uow,
        notification_id=notification_id,
        status=receipt.status,
        provider_reference=receipt.id,
        now=datetime.now(UTC),
    )
    return {"status": changed or "unchanged"}


router.include_router(editors_router)
router.include_router(officers_router)
