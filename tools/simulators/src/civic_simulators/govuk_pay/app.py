"""The simulator's HTTP API: Pay's public API (`/v1/...`), the hosted page (`/secure/...`), controls."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from civic_simulators.govuk_pay.ledger import IdempotentCreate, Ledger, Payment, Refund, new_id, now
from civic_simulators.govuk_pay.settings import PaySimulatorSettings
from civic_simulators.govuk_pay.webhooks import WebhookSender

MAX_AMOUNT = 10_000_000
OUTCOME_CODES = {"success": None, "failed": "P0010", "cancelled": "P0040", "error": "P0050"}


class PaySimulator:
    """Everything the routes share: the ledger, the webhook sender, the settings."""

    def __init__(self, settings: PaySimulatorSettings) -> None:
        self.settings = settings
        self.ledger = Ledger(expiry=timedelta(seconds=settings.expiry_s))
        self.webhooks = WebhookSender(settings)
        self.tasks: set[asyncio.Task[None]] = set()

    def base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def view(self, payment: Payment, request: Request) -> dict[str, Any]:
        return payment.public(self.base(request), self.settings.public_url)

    def move(self, payment: Payment, status: str, code: str | None = None) -> None:
        """Change a payment's state (never out of a finished one) and announce it by webhook."""
        if payment.finished:
            return
        payment.status, payment.code = status, code
        event_type = {
            "started": "card_payment_started",
            "success": "card_payment_succeeded",
            "cancelled": "card_payment_cancelled",
            "error": "card_payment_failed",
        }.get(status)
        if status == "failed":
            event_type = "card_payment_expired" if code == "P0020" else "card_payment_failed"
        if event_type is not None:
            self.webhooks.emit(
                event_type=event_type,
                resource_type="payment",
                resource=payment.public(self.settings.public_url, self.settings.public_url),
            )

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def settle_refund(self, payment: Payment, refund: Refund) -> None:
        await asyncio.sleep(self.settings.refund_settle_s)
        refund.status = "success"
        self.webhooks.emit(
            event_type="card_payment_refunded",
            resource_type="payment",
            resource=payment.public(self.settings.public_url, self.settings.public_url),
        )

    async def sweep_expired(self) -> None:
        while True:
            for payment in self.ledger.expired(now()):
                self.move(payment, "failed", "P0020")
            await asyncio.sleep(self.settings.expiry_sweep_interval_s)


def pay_error(status: int, code: str, description: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "description": description}
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status)


def get_simulator(request: Request) -> PaySimulator:
    simulator: PaySimulator = request.app.state.simulator
    return simulator


SimulatorDep = Annotated[PaySimulator, Depends(get_simulator)]


def authorised(simulator: PaySimulator, authorization: str | None) -> bool:
    if not authorization or not authorization.startswith("Bearer "):
        return False
    presented = authorization.removeprefix("Bearer ").encode()
    return any(hmac.compare_digest(presented, key.encode()) for key in simulator.settings.api_keys)


class CreatePayment(BaseModel):
    amount: int
    reference: str
    description: str
    return_url: str
    language: str = "en"
    metadata: dict[str, Any] | None = None
    email: str | None = None
    delayed_capture: bool = False


class CreateRefund(BaseModel):
    amount: int
    refund_amount_available: int | None = None


def _validate_create(body: CreatePayment) -> JSONResponse | None:
    if not 1 <= body.amount <= MAX_AMOUNT:
        return pay_error(
            422,
            "P0102",
            f"Invalid attribute value: amount. Must be between 1 and {MAX_AMOUNT}",
            "amount",
        )
    for name in ("reference", "description"):
        value = getattr(body, name)
        if not value or len(value) > 255:
            return pay_error(422, "P0102", f"Invalid attribute value: {name}", name)
    if not body.return_url.startswith(("http://", "https://")):
        return pay_error(422, "P0102", "Invalid attribute value: return_url", "return_url")
    if body.language not in {"en", "cy"}:
        return pay_error(422, "P0102", "Invalid attribute value: language", "language")
    if body.metadata is not None:
        if not 1 <= len(body.metadata) <= 10:
            return pay_error(422, "P0102", "Invalid attribute value: metadata", "metadata")
        for key, value in body.metadata.items():
            if len(key) > 30 or (isinstance(value, str) and len(value) > 100):
                return pay_error(422, "P0102", "Invalid attribute value: metadata", "metadata")
    return None


def api_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post("/payments", response_model=None)
    async def create_payment(
        request: Request,
        body: CreatePayment,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        if (invalid := _validate_create(body)) is not None:
            return invalid
        fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        key = (authorization or "", idempotency_key) if idempotency_key else None
        if key is not None:
            if len(idempotency_key or "") > 255:
                return pay_error(422, "P0102", "Invalid attribute value: Idempotency-Key")
            stored = simulator.ledger.idempotency.get(key)
            if stored is not None and now() - stored.stored_at < timedelta(
                seconds=simulator.settings.idempotency_ttl_s
            ):
                if stored.fingerprint != fingerprint:
                    return pay_error(
                        409,
                        "P0191",
                        "The Idempotency-Key has already been used with a different request body",
                    )
                existing = simulator.ledger.payments[stored.payment_id]
                return JSONResponse(simulator.view(existing, request), status_code=200)
        payment = simulator.ledger.create(
            amount=body.amount,
            reference=body.reference,
            description=body.description,
            return_url=body.return_url,
            language=body.language,
            metadata=body.metadata,
        )
        if key is not None:
            simulator.ledger.idempotency[key] = IdempotentCreate(
                fingerprint, payment.payment_id, now()
            )
        return JSONResponse(simulator.view(payment, request), status_code=201)

    @router.get("/payments/{payment_id}", response_model=None)
    async def get_payment(
        payment_id: str,
        request: Request,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        payment = simulator.ledger.payments.get(payment_id)
        if payment is None:
            return pay_error(404, "P0200", "Not found")
        return JSONResponse(simulator.view(payment, request))

    @router.post("/payments/{payment_id}/cancel", response_model=None)
    async def cancel_payment(
        payment_id: str,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        payment = simulator.ledger.payments.get(payment_id)
        if payment is None:
            return pay_error(404, "P0500", "Not found")
        if payment.finished:
            return pay_error(400, "P0501", "Cancellation of payment failed")
        simulator.move(payment, "cancelled", "P0040")
        return Response(status_code=204)

    @router.post("/payments/{payment_id}/refunds", response_model=None)
    async def create_refund(
        payment_id: str,
        body: CreateRefund,
        request: Request,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        payment = simulator.ledger.payments.get(payment_id)
        if payment is None:
            return pay_error(404, "P0600", "Not found")
        available = payment.amount_available()
        if payment.status != "success":
            return pay_error(400, "P0603", "The payment is not available for refund")
        if body.refund_amount_available is not None and body.refund_amount_available != available:
            return pay_error(412, "P0604", "Refund amount available mismatch")
        if not 1 <= body.amount <= available:
            return pay_error(
                400, "P0603", "The payment is not available for refund of this amount", "amount"
            )
        refund = Refund(
            refund_id=new_id(), payment_id=payment_id, amount=body.amount, created_at=now()
        )
        payment.refunds.append(refund)
        simulator.spawn(simulator.settle_refund(payment, refund))
        return JSONResponse(refund.public(simulator.base(request)), status_code=202)

    @router.get("/payments/{payment_id}/refunds", response_model=None)
    async def list_refunds(
        payment_id: str,
        request: Request,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        payment = simulator.ledger.payments.get(payment_id)
        if payment is None:
            return pay_error(404, "P0700", "Not found")
        base = simulator.base(request)
        return JSONResponse(
            {
                "payment_id": payment_id,
                "_links": {
                    "self": {"href": f"{base}/v1/payments/{payment_id}/refunds", "method": "GET"},
                    "payment": {"href": f"{base}/v1/payments/{payment_id}", "method": "GET"},
                },
                "_embedded": {"refunds": [r.public(base) for r in payment.refunds]},
            }
        )

    @router.get("/payments/{payment_id}/refunds/{refund_id}", response_model=None)
    async def get_refund(
        payment_id: str,
        refund_id: str,
        request: Request,
        simulator: SimulatorDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if not authorised(simulator, authorization):
            return pay_error(401, "P0920", "Credentials are required to access this resource")
        payment = simulator.ledger.payments.get(payment_id)
        refund = (
            next((r for r in payment.refunds if r.refund_id == refund_id), None)
            if payment
            else None
        )
        if refund is None:
            return pay_error(404, "P0700", "Not found")
        return JSONResponse(refund.public(simulator.base(request)))

    return router


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Make your payment - GOV.UK Pay (simulator)</title></head>
<body><h1>Enter card details</h1>
<p>{description}</p><p>Total amount: <strong>£{pounds}</strong></p>
<form method="post" action="/secure/{token}/success"><button name="outcome" value="success">Pay (succeeds)</button></form>
<form method="post" action="/secure/{token}/failed"><button name="outcome" value="failed">Card declined (fails)</button></form>
<form method="post" action="/secure/{token}/cancel"><button name="outcome" value="cancel">Cancel payment</button></form>
</body></html>"""


def page_router() -> APIRouter:
    router = APIRouter(prefix="/secure")

    @router.get("/{token}", response_class=HTMLResponse)
    async def payment_page(token: str, simulator: SimulatorDep) -> HTMLResponse:
        payment_id = simulator.ledger.by_page_token.get(token)
        payment = simulator.ledger.payments.get(payment_id) if payment_id else None
        if payment is None or payment.finished:
            return HTMLResponse(
                "<h1>This payment link has expired or was used</h1>", status_code=404
            )
        if payment.status == "created":
            simulator.move(payment, "started")
        return HTMLResponse(
            PAGE.format(
                description=html.escape(payment.description),
                pounds=f"{payment.amount / 100:,.2f}",
                token=html.escape(token),
            )
        )

    @router.post("/{token}/{action}", response_model=None)
    async def submit(token: str, action: str, simulator: SimulatorDep) -> Response:
        payment_id = simulator.ledger.by_page_token.get(token)
        payment = simulator.ledger.payments.get(payment_id) if payment_id else None
        if payment is None or action not in {"success", "failed", "cancel"}:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        if not payment.finished:
            if action == "success":
                simulator.move(payment, "submitted")
                simulator.move(payment, "success")
            elif action == "failed":
                simulator.move(payment, "failed", "P0010")
            else:
                simulator.move(payment, "failed", "P0030")
        return RedirectResponse(payment.return_url, status_code=303)

    return router


class Outcome(BaseModel):
    outcome: str = Field(pattern="^(started|submitted|success|failed|cancelled|error|expired)$")


class Drop(BaseModel):
    count: int = Field(ge=0)


class Subscriptions(BaseModel):
    urls: list[str]


def control_router() -> APIRouter:
    """The simulator's own controls, for tests and demos (not part of Pay's API)."""
    router = APIRouter(prefix="/_sim")

    @router.post("/payments/{payment_id}/outcome", response_model=None)
    async def set_outcome(payment_id: str, body: Outcome, simulator: SimulatorDep) -> Response:
        payment = simulator.ledger.payments.get(payment_id)
        if payment is None:
            return pay_error(404, "P0200", "Not found")
        if body.outcome == "expired":
            simulator.move(payment, "failed", "P0020")
        elif body.outcome in {"started", "submitted"}:
            simulator.move(payment, body.outcome)
        else:
            simulator.move(payment, body.outcome, OUTCOME_CODES[body.outcome])
        return JSONResponse(payment.state())

    @router.post("/webhooks/drop")
    async def drop(body: Drop, simulator: SimulatorDep) -> dict[str, int]:
        simulator.webhooks.drop_next = body.count
        return {"drop_next": body.count}

    @router.put("/webhooks/subscriptions")
    async def subscribe(body: Subscriptions, simulator: SimulatorDep) -> dict[str, list[str]]:
        simulator.webhooks.urls = list(body.urls)
        return {"urls": simulator.webhooks.urls}

    @router.get("/webhooks")
    async def deliveries(simulator: SimulatorDep) -> list[dict[str, Any]]:
        return [d.public() for d in simulator.webhooks.deliveries]

    @router.post("/webhooks/{webhook_message_id}/resend")
    async def resend(webhook_message_id: str, simulator: SimulatorDep) -> dict[str, int]:
        return {"resent": simulator.webhooks.resend(webhook_message_id)}

    return router


def create_app(settings: PaySimulatorSettings | None = None) -> FastAPI:
    settings = settings or PaySimulatorSettings()
    simulator = PaySimulator(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await simulator.webhooks.start()
        sweeper = asyncio.get_running_loop().create_task(simulator.sweep_expired())
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            for task in list(simulator.tasks):
                task.cancel()
            await asyncio.gather(*simulator.tasks, return_exceptions=True)
            await simulator.webhooks.stop()

    app = FastAPI(title="GOV.UK Pay API (simulator)", lifespan=lifespan)
    app.state.simulator = simulator
    app.include_router(api_router())
    app.include_router(page_router())
    app.include_router(control_router())

    @app.get("/healthcheck")
    async def healthcheck() -> dict[str, str]:
        return {"status": "ok"}

    return app
