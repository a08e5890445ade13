"""HTTP routes: the gateway's webhooks, the resident's return page, officers' payment and refund API."""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

from civic_events.fields import Pence
from civic_runtime.app import RuntimeDep
from civic_runtime.problems import problem
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from payments.adapters import repository
from payments.adapters.gateway import GatewayError
from payments.adapters.tables import Payment, Refund
from payments.domain.refunds import RefundRefused
from payments.entrypoints.pages import not_found_page, outcome_page, unavailable_page
from payments.service_layer import payments as payment_cases
from payments.service_layer import refunds as refund_cases
from payments.service_layer import retries, webhooks
from payments.service_layer.context import PaymentsContext

logger = logging.getLogger(__name__)


async def get_context(request: Request) -> PaymentsContext:
    context: PaymentsContext = request.app.state.payments_context
    return context


ContextDep = Annotated[PaymentsContext, Depends(get_context)]


def require_officer(
    context: ContextDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected = f"Bearer {context.settings.secret('officer_api_token')}".encode()
    if not authorization or not hmac.compare_digest(authorization.encode(), expected):
        raise HTTPException(
            401, "an officer's bearer token is required", {"WWW-Authenticate": "Bearer"}
        )


OfficerDep = Annotated[None, Depends(require_officer)]


class RefundRequest(BaseModel):
    amount: Pence | None = Field(default=None, description="Pence; all that remains when omitted.")
    reason: str | None = Field(default=None, max_length=255)
    officer: str = Field(min_length=1, max_length=100, description="The officer asking.")


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
        if outcome in ("rejected_signature", "malformed"):
            async with runtime.unit_of_work() as uow:
                await webhooks.log_rejected(
                    uow=uow, outcome=outcome, signature_valid=outcome == "malformed"
                )
            if outcome == "rejected_signature":
                logger.warning("webhook refused: missing or wrong Pay-Signature")
                return problem(401, detail="missing or wrong Pay-Signature")
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
        responses={404: {"description": "no such payment (an HTML page)"}},
    )
    async def return_page(token: str, runtime: RuntimeDep, context: ContextDep) -> HTMLResponse:
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
        responses={
            303: {"description": "to the new (or live) payment's page, or to the outcome page"},
            404: {"description": "no such payment (an HTML page)"},
            503: {"description": "the gateway did not answer (an HTML page with the button)"},
        },
    )
    async def retry(token: str, runtime: RuntimeDep, context: ContextDep) -> Response:
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
    router = APIRouter(prefix="/payments", tags=["officers"])

    @router.get("/{payment_id}", response_model=PaymentPublic)
    async def get_payment(payment_id: str, runtime: RuntimeDep, _: OfficerDep) -> Any:
        async with runtime.unit_of_work() as uow:
            payment = await repository.payment_for_update(
                uow.session, gateway_payment_id=payment_id
            )
            if payment is None:
                raise HTTPException(404, "no such payment")
            refunds = list(await repository.refunds_of(uow.session, payment.id))
            return PaymentPublic.of(payment, refunds)

    @router.post("/{payment_id}/refunds", response_model=RefundPublic, status_code=201)
    async def refund(
        payment_id: str,
        body: RefundRequest,
        runtime: RuntimeDep,
        context: ContextDep,
        _: OfficerDep,
    ) -> Any:
        try:
            async with runtime.unit_of_work() as uow:
                payment = await repository.payment_for_update(
                    uow.session, gateway_payment_id=payment_id
                )
                if payment is None:
                    raise HTTPException(404, "no such payment")
                made = await refund_cases.refund_payment(
                    uow=uow,
                    context=context,
                    payment=payment,
                    amount=body.amount,
                    reason=body.reason,
                    requested_by=f"officer:{body.officer}",
                )
                return RefundPublic.of(made)
        except RefundRefused as exc:
            return problem(409, title="Refund refused", detail=str(exc))
        except GatewayError as exc:
            logger.warning("refund not made, the gateway did not answer: %s", exc)
            return problem(503, detail="the payment gateway did not answer; try again")

    return router
