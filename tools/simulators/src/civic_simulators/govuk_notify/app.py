"""The GOV.UK Notify API as its official clients see it, on loopback.

- `POST /v2/notifications/email` and `/sms`, `GET /v2/notifications/{id}`,
  `GET /v2/notifications?reference=&status=&template_type=&older_than=`;
- authentication as Notify does it: `Authorization: Bearer <JWT>`, HS256 signed with the secret
  half of the API key, `iss` the service id, `iat` within 30 seconds of our clock;
- Notify's test recipients decide the outcome: `temp-fail@simulator.notify` / `07700900003`
  (temporary failure), `perm-fail@simulator.notify` / `07700900002` (permanent failure);
  anything else is delivered;
- a delivery receipt POSTed to the configured callback URL with a static bearer token, retried
  on network errors, 5xx and 429 (Notify: 5 times, 5 minutes apart; here the gap is a setting).

Errors look like Notify's: `{"status_code": 400, "errors": [{"error": "ValidationError",
"message": "..."}]}`. No idempotency on send, just like the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)

DEFAULT_SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
DEFAULT_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"  # noqa: S105 - the local stack's key
DEFAULT_EMAIL_TEMPLATE = "8f1d6c0e-4c3a-4d37-9a55-0f5d4a8c6a01"
DEFAULT_SMS_TEMPLATE = "8f1d6c0e-4c3a-4d37-9a55-0f5d4a8c6a02"
TOKEN_BOUND_S = 30

TEMPORARY_FAILURE = {"temp-fail@simulator.notify", "07700900003", "+447700900003"}
PERMANENT_FAILURE = {"perm-fail@simulator.notify", "07700900002", "+447700900002"}
PLACEHOLDER = re.compile(r"\(\(([^()]+?)\)\)")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UK_MOBILE = re.compile(r"^(?:\+44|0044|0)7\d{9}$")


@dataclass(frozen=True)
class Template:
    id: str
    type: str  # email | sms
    body: str
    subject: str | None = None
    version: int = 1


@dataclass
class SimulatorConfig:
    service_id: str = DEFAULT_SERVICE_ID
    secret: str = DEFAULT_SECRET
    callback_url: str | None = None
    callback_token: str | None = None
    callback_retries: int = 5
    callback_retry_interval_s: float = 300.0
    templates: dict[str, Template] = field(
        default_factory=lambda: {
            DEFAULT_EMAIL_TEMPLATE: Template(
                DEFAULT_EMAIL_TEMPLATE, "email", "((body))", "((subject))"
            ),
            DEFAULT_SMS_TEMPLATE: Template(DEFAULT_SMS_TEMPLATE, "sms", "((body))"),
        }
    )

    @classmethod
    def from_environment(cls) -> SimulatorConfig:
        env = os.environ.get
        return cls(
            service_id=env("GOVUK_NOTIFY_SIMULATOR_SERVICE_ID", DEFAULT_SERVICE_ID),
            secret=env("GOVUK_NOTIFY_SIMULATOR_SECRET", DEFAULT_SECRET),
            callback_url=env(
                "GOVUK_NOTIFY_SIMULATOR_CALLBACK_URL",
                "http://127.0.0.1:8003/callbacks/govuk-notify",
            ),
            callback_token=env(
                "GOVUK_NOTIFY_SIMULATOR_CALLBACK_TOKEN", "development-callback-token"
            ),
            callback_retry_interval_s=float(
                env("GOVUK_NOTIFY_SIMULATOR_CALLBACK_RETRY_INTERVAL_S", "300")
            ),
        )


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Simulator:
    """The simulator's state: what was sent, in order (newest last), and pending callbacks."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.notifications: dict[str, dict[str, Any]] = {}
        self.callbacks_delivered: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    # --- authentication ------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        token = authorization.removeprefix("Bearer ").strip()
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise NotifyError(403, "AuthError", "Invalid token: signature") from exc
        if header.get("alg") != "HS256":
            raise NotifyError(403, "AuthError", "Invalid token: algorithm used is not HS256")
        if "iss" not in unverified:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided")
        if unverified["iss"] != self.config.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        try:
            claims = jwt.decode(
                token, key=self.config.secret, algorithms=["HS256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError as exc:
            raise NotifyError(403, "AuthError", "Invalid token: API key not found") from exc
        if "iat" not in claims:
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided")
        now = int(time.time())
        if abs(now - int(claims["iat"])) > TOKEN_BOUND_S:
            raise NotifyError(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )

    # --- sending -------------------------------------------------------------------------
    def send(self, kind: str, body: dict[str, Any], base_url: str) -> dict[str, Any]:
        recipient_field = "email_address" if kind == "email" else "phone_number"
        errors = []
        recipient = body.get(recipient_field)
        template_id = body.get("template_id")
        if not recipient:
            errors.append(f"{recipient_field} is a required property")
        elif kind == "email" and not EMAIL.match(str(recipient)):
            errors.append("email_address Not a valid email address")
        elif kind == "sms" and not UK_MOBILE.match(str(recipient).replace(" ", "")):
            errors.append("phone_number Not a UK mobile number")
        if not template_id:
            errors.append("template_id is a required property")
        reference = body.get("reference")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 1000):
            errors.append("reference is not valid")
        if errors:
            raise NotifyError(400, "ValidationError", "; ".join(errors))
        template = self.config.templates.get(str(template_id))
        if template is None or template.type != kind:
            raise NotifyError(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        wanted = set(PLACEHOLDER.findall(template.body + (template.subject or "")))
        missing = sorted(p for p in wanted if p not in personalisation)
        if missing:
            raise NotifyError(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: str(personalisation[m.group(1)]), text)

        notification_id = str(uuid.uuid4())
        content: dict[str, Any] = {"body": fill(template.body)}
        if kind == "email":
            content.update(
                subject=fill(template.subject or ""),
                from_email="council.notifications@simulator.notify",
            )
        else:
            content["from_number"] = "COUNCIL"
            if len(content["body"]) > 918:
                raise NotifyError(
                    400, "BadRequestError", "Text messages cannot be longer than 918 characters"
                )
        created = _now()
        self.notifications[notification_id] = {
            "id": notification_id,
            "reference": reference,
            "email_address": recipient if kind == "email" else None,
            "phone_number": recipient if kind == "sms" else None,
            "line_1": None,
            "line_2": None,
            "line_3": None,
            "line_4": None,
            "line_5": None,
            "line_6": None,
            "postcode": None,
            "postage": None,
            "type": kind,
            "status": "sending",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": f"{base_url}v2/template/{template.id}/version/{template.version}",
            },
            "body": content["body"],
            "subject": content.get("subject"),
            "created_at": created,
            "created_by_name": None,
            "sent_at": created,
            "completed_at": None,
            "scheduled_for": None,
            "one_click_unsubscribe_url": None,
            "cost_in_pounds": 0.0,
            "is_cost_data_ready": True,
            "cost_details": {},
        }
        self._schedule_outcome(notification_id, str(recipient).replace(" ", ""))
        return {
            "id": notification_id,
            "reference": reference,
            "content": content,
            "uri": f"{base_url}v2/notifications/{notification_id}",
            "template": self.notifications[notification_id]["template"],
            "scheduled_for": None,
        }

    def _schedule_outcome(self, notification_id: str, recipient: str) -> None:
        status = (
            "temporary-failure"
            if recipient in TEMPORARY_FAILURE
            else "permanent-failure"
            if recipient in PERMANENT_FAILURE
            else "delivered"
        )
        task = asyncio.get_running_loop().create_task(self._complete(notification_id, status))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _complete(self, notification_id: str, status: str) -> None:
        await asyncio.sleep(0)  # the response goes first, as it would with a real network
        notification = self.notifications[notification_id]
        notification["status"] = status
        notification["completed_at"] = _now()
        await self._callback(notification)

    async def _callback(self, notification: dict[str, Any]) -> None:
        if not self.config.callback_url or self._http is None:
            return
        payload = {
            "id": notification["id"],
            "reference": notification["reference"],
            "to": notification["email_address"] or notification["phone_number"],
            "status": notification["status"],
            "created_at": notification["created_at"],
            "completed_at": notification["completed_at"],
            "sent_at": notification["sent_at"],
            "notification_type": notification["type"],
            "template_id": notification["template"]["id"],
            "template_version": notification["template"]["version"],
        }
        headers = {"Authorization": f"Bearer {self.config.callback_token}"}
        for attempt in range(1 + self.config.callback_retries):
            try:
                response = await self._http.post(
                    self.config.callback_url, json=payload, headers=headers
                )
                if response.status_code < 500 and response.status_code != 429:
                    self.callbacks_delivered.append(
                        {"payload": payload, "status_code": response.status_code}
                    )
                    return
            except httpx.HTTPError as exc:
                logger.warning("callback attempt %d failed: %s", attempt + 1, exc)
            await asyncio.sleep(self.config.callback_retry_interval_s)

    # --- reading -------------------------------------------------------------------------
    def get(self, notification_id: str) -> dict[str, Any]:
        notification = self.notifications.get(notification_id)
        if notification is None:
            raise NotifyError(404, "NoResultFound", "No result found")
        return notification

    def list(self, params: dict[str, str], base_url: str) -> dict[str, Any]:
        found = list(reversed(self.notifications.values()))  # newest first, as Notify does
        if "reference" in params:
            found = [n for n in found if n["reference"] == params["reference"]]
        if "status" in params:
            found = [n for n in found if n["status"] == params["status"]]
        if "template_type" in params:
            found = [n for n in found if n["type"] == params["template_type"]]
        if "older_than" in params:
            ids = [n["id"] for n in found]
            if params["older_than"] in ids:
                found = found[ids.index(params["older_than"]) + 1 :]
            else:
                found = []
        page = found[:250]
        links: dict[str, str] = {"current": f"{base_url}v2/notifications"}
        if len(found) > 250:
            links["next"] = f"{base_url}v2/notifications?older_than={page[-1]['id']}"
        return {"notifications": page, "links": links}

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=10.0)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def settle(self) -> None:
        """Wait for outcomes and callbacks already under way (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    simulator = Simulator(config or SimulatorConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    app = FastAPI(title="GOV.UK Notify API (simulator)", lifespan=lifespan)
    app.state.simulator = simulator

    @app.exception_handler(NotifyError)
    async def notify_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotifyError)
        return JSONResponse(
            {"status_code": exc.status, "errors": [{"error": exc.error, "message": exc.message}]},
            status_code=exc.status,
        )

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data") from exc
        if not isinstance(body, dict):
            raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data")
        return body

    @app.post("/v2/notifications/email", status_code=201)
    async def send_email(request: Request) -> dict[str, Any]:
        simulator.authenticate(request.headers.get("authorization"))
        return simulator.send("email", await body_of(request), str(request.base_url))

    @app.post("/v2/notifications/sms", status_code=201)
    async def send_sms(request: Request) -> dict[str, Any]:
        simulator.authenticate(request.headers.get("authorization"))
        return simulator.send("sms", await body_of(request), str(request.base_url))

    @app.get("/v2/notifications/{notification_id}")
    async def get_notification(notification_id: str, request: Request) -> dict[str, Any]:
        simulator.authenticate(request.headers.get("authorization"))
        return simulator.get(notification_id)

    @app.get("/v2/notifications")
    async def list_notifications(request: Request) -> dict[str, Any]:
        simulator.authenticate(request.headers.get("authorization"))
        return simulator.list(dict(request.query_params), str(request.base_url))

    @app.get("/_status")
    async def status() -> dict[str, Any]:
        return {"status": "ok", "notifications": len(simulator.notifications)}

    return app
