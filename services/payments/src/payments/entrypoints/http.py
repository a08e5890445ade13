"""HTTP routes: the gateway's webhooks, the resident's return page, officers' payment and refund API.

The officer routes need an officer's bearer token (`officer` or `team_lead`), verified by the
runtime's one verifier; the officer asking is the token's, never a name in the body. A refund
needs an `Idempotency-Key`: a retried request is answered with the refund the first one made.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from civic_events.fields import Pence
from civic_runtime.app import RuntimeDep
from civic_runtime.officer_access import (
    OFFICER_RESPONSES,
    PUBLIC,
    officer_holding,
    officers_only,
)
from civic_runtime.officers import Officer
from civic_runtime.problems import problem
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from payments.adapters import repository
from payments.adapters.gateway import GatewayError
from payments.adapters.tables import Payment, Refund
from payments.domain.refunds import RefundRefused
from payments.entrypoints.pages import not_found_page, outcome_page, unavailable_page
from payments.service_layer import payments as payment_cases
from payments.service_layer import retries, webhooks
from payments.service_layer.context import PaymentsContext, is_return_token
from payments.service_layer.officer_refunds import (
    IdempotencyKeyReused,
    PaymentNotFound,
    RefundAsked,
    refund_for_officer,
)

logger = logging.getLogger(__name__)


async def get_context(request: Request) -> PaymentsContext:
    context: PaymentsContext = request.app.state.payments_context
    return context


ContextDep = Annotated[PaymentsContext, Depends(get_context)]


OFFICER_ROLES = ("officer", "team_lead")
FOR_OFFICERS = officers_only(*OFFICER_ROLES)
OfficerDep = Annotated[Officer, Depends(officer_holding(*OFFICER_ROLES))]
# Up to 64 visible ASCII characters (a UUID, say), optionally quoted as a structured-field string.
IDEMPOTENCY_KEY = re.compile(r'^"?([\x21\x23-\x7e]{1,64})"?$')


class RefundRequest(BaseModel):
    # No "officer": who asks is the token's officer, and a name sent anyway is refused (422).
    model_config = ConfigDict(extra="forbid")

    amount: Pence | None = Field(default=None, description="Pence; all that remains when omitted.")
    reason: str | None = Field(default=None, max_length=255)


class RefundPublic(BaseModel):
    refund_id: str
    amount: int
    status: str
    reason: str | None
    requested_by: str
    created_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def of(cls, refund: Refund) -> RefundPublic:
        return cls(
            refund_id=refund.gateway_refund_id,
            amount=refund.amount,
            status=refund.status,
            reason=refund.reason,
            requested_by=refund.requested_by,
            created_at=refund.created_at,
            confirmed_at=refund.confirmed_at,
        )


class PaymentPublic(BaseModel):
    payment_id: str
    payment_request_id: uuid.UUID
    answers_request_id: uuid.UUID
    case_reference: str
    service_code: str
    amount: int
    status: str
    finished: bool
    failure_code: str | None
    created_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    refunds: list[RefundPublic]

    @classmethod
    def of(cls, payment: Payment, refunds: list[Refund]) -> PaymentPublic:
        return cls(
            payment_id=payment.gateway_payment_id,
            payment_request_id=payment.payment_request_id,
            answers_request_id=payment.answers_request_id,
            case_reference=payment.case_reference,
            service_code=payment.service_code,
            amount=payment.amount,
            status=payment.status,
            finished=payment.finished,
            failure_code=payment.failure_code,
            created_at=payment.created_at,
            expires_at=payment.expires_at,
            finished_at=payment.finished_at,
            refunds=[RefundPublic.of(r) for r in refunds],
        )


def gateway_router() -> APIRouter:
    router = APIRouter(tags=["gateway"])

    @router.post(
        "/gateway/webhooks",
        response_model=None,
        summary="GOV.UK Pay webhooks, signed with Pay-Signature",
        description="Authenticated: GOV.UK Pay's Pay-Signature (HMAC-SHA256 of the body).",
        responses={401: {"description": "unsigned or wrongly signed"}},
    )
    async def receive_webhook(
        request: Request,
        runtime: RuntimeDep,
        context: ContextDep,
        pay_signature: Annotated[str | None, Header()] = None,
    ) -> Response:
        body = await request.body()
        counted = request.app.state.payments_metrics.webhooks
        try:
            async with runtime.unit_of_work() as uow:
                outcome = await webhooks.receive_webhook(
                    uow=uow, context=context, body=body, signature=pay_signature
                )
        except GatewayError as exc:
            logger.warning("webhook not applied, the gateway did not answer: %s", exc)
            counted.labels("gateway_error").inc()
            return problem(503, detail="try again later")
        counted.labels(outcome).inc()
        if outcome == "rejected_signature":
            logger.warning("webhook refused: missing or wrong Pay-Signature")
            return problem(401, detail="missing or wrong Pay-Signature")
        if outcome == "malformed":
            async with runtime.unit_of_work() as uow:
                await webhooks.log_malformed(uow=uow)
            return problem(400, detail="not a GOV.UK Pay webhook message")
        return JSONResponse({"outcome": outcome})

    return router


def resident_router() -> APIRouter:
    router = APIRouter(tags=["residents"])
    no_store = {"Cache-Control": "no-store"}

    def retry_action(token: str) -> str:
        return f"/payments/return/{token}/retry"

    def return_page_url(payment: Payment) -> str:
        return f"/payments/return/{payment.return_token}"

    @router.get(
        "/payments/return/{token}",
        response_class=HTMLResponse,
        description=f"{PUBLIC} The resident's return page; its token is the unguessable proof.",
        responses={404: {"description": "no such payment (an HTML page)"}},
    )
    async def return_page(token: str, runtime: RuntimeDep, context: ContextDep) -> HTMLResponse:
        if not is_return_token(token):
            return HTMLResponse(not_found_page(), status_code=404, headers=no_store)
        async with runtime.unit_of_work() as uow:
            payment = await repository.payment_for_update(uow.session, return_token=token)
            if payment is None:
                return HTMLResponse(not_found_page(), status_code=404, headers=no_store)
            if not payment.finished:
                # The resident may be back before the webhook: ask the gateway itself.
                try:
                    await payment_cases.refresh_from_gateway(
                        uow=uow, context=context, payment=payment
                    )
                except GatewayError as exc:
                    logger.warning("return page could not ask the gateway: %s", exc)
            retry = await retries.may_retry(uow.session, payment=payment)
            outcome, page = outcome_page(
                payment, retry_action=retry_action(token) if retry else None
            )
        return HTMLResponse(page, headers={"X-Payment-Outcome": outcome, **no_store})

    @router.post(
        "/payments/return/{token}/retry",
        response_class=RedirectResponse,
        status_code=303,
        summary="Try again: a new payment for the request, or where the resident stands",
        description=f"{PUBLIC} The return page's button; its token is the unguessable proof.",
        responses={
            303: {"description": "to the new (or live) payment's page, or to the outcome page"},
            404: {"description": "no such payment (an HTML page)"},
            503: {"description": "the gateway did not answer (an HTML page with the button)"},
        },
    )
    async def retry(token: str, runtime: RuntimeDep, context: ContextDep) -> Response:
        if not is_return_token(token):
            return HTMLResponse(not_found_page(), status_code=404, headers=no_store)
        try:
            async with runtime.unit_of_work() as uow:
                answer = await retries.retry_payment(uow=uow, context=context, return_token=token)
        except GatewayError as exc:
            logger.warning("retry not made, the gateway did not answer: %s", exc)
            return HTMLResponse(unavailable_page(retry_action(token)), 503, headers=no_store)
        if answer is None:
            return HTMLResponse(not_found_page(), status_code=404, headers=no_store)
        if answer.action == "pay" and answer.payment.next_url is not None:
            target = answer.payment.next_url
        else:
            target = return_page_url(answer.payment)
        return RedirectResponse(target, status_code=303, headers=no_store)

    return router


def officer_router() -> APIRouter:
    router = APIRouter(prefix="/payments", tags=["officers"], responses=OFFICER_RESPONSES)

    @router.get(
        "/{payment_id}",
        response_model=PaymentPublic,
        description=f"{FOR_OFFICERS} A payment and its refunds.",
    )
    async def get_payment(payment_id: str, runtime: RuntimeDep, _: OfficerDep) -> Any:
        async with runtime.unit_of_work() as uow:
            payment = await repository.payment_for_update(
                uow.session, gateway_payment_id=payment_id
            )
            if payment is None:
                raise HTTPException(404, "no such payment")
            refunds = list(await repository.refunds_of(uow.session, payment.id))
            return PaymentPublic.of(payment, refunds)

    @router.post(
        "/{payment_id}/refunds",
        response_model=RefundPublic,
        status_code=201,
        description=(
            f"{FOR_OFFICERS} Refunds part or all of a payment, once per Idempotency-Key: the same"
            " key and request again answer the same refund (Idempotent-Replayed: true)."
        ),
        responses={
            400: {"description": "no Idempotency-Key, or a malformed one"},
            409: {"description": "refused: nothing paid, or more than remains"},
            422: {"description": "the Idempotency-Key was used for another request"},
            503: {"description": "the gateway did not answer; retry with the same key"},
        },
    )
    async def refund(
        payment_id: str,
        body: RefundRequest,
        runtime: RuntimeDep,
        context: ContextDep,
        officer: OfficerDep,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description="Unique per refund the officer means to make (e.g. a UUID).",
            ),
        ] = None,
    ) -> Any:
        key = IDEMPOTENCY_KEY.match(idempotency_key or "")
        if key is None:
            return problem(
                400, detail="an Idempotency-Key header (1 to 64 visible characters) is required"
            )
        asked = RefundAsked(payment_id=payment_id, amount=body.amount, reason=body.reason)
        try:
            async with runtime.unit_of_work() as uow:
                answer = await refund_for_officer(
                    uow=uow,
                    context=context,
                    officer_id=officer.officer_id,
                    idempotency_key=key.group(1),
                    asked=asked,
                )
                made = RefundPublic.of(answer.refund)
            if answer.replayed:
                return JSONResponse(
                    made.model_dump(mode="json"),
                    status_code=201,
                    headers={"Idempotent-Replayed": "true"},
                )
            return made
        except PaymentNotFound:
            return problem(404, detail="no such payment")
        except IdempotencyKeyReused as exc:
            return problem(
                422,
                title="Idempotency-Key reused",
                detail=str(exc),
                type_="https://civic-events.example/problems/idempotency-key-reused",
            )
        except RefundRefused as exc:
            return problem(409, title="Refund refused", detail=str(exc))
        except GatewayError as exc:
            logger.warning("refund not made, the gateway did not answer: %s", exc)
            return problem(503, detail="the payment gateway did not answer; try again")

    return router
