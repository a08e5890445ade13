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
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from payments.adapters import repository
from payments.adapters.gateway import GatewayError
from payments.adapters.tables import Payment, Refund
from payments.domain.refunds import RefundRefused
from payments.entrypoints.pages import outcome_page
from payments.service_layer import payments as payment_cases
from payments.service_layer import refunds as refund_cases
from payments.service_layer import webhooks
from payments.service_layer.context import PaymentsContext

logger = logging.getLogger(__name__)


def get_context(request: Request) -> PaymentsContext:
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

    @router.get("/payments/return/{token}", response_class=HTMLResponse)
    async def return_page(token: str, runtime: RuntimeDep, context: ContextDep) -> HTMLResponse:
        async with runtime.unit_of_work() as uow:
            payment = await repository.payment_for_update(uow.session, return_token=token)
            if payment is None:
                raise HTTPException(404, "no such payment")
            if not payment.finished:
                # The resident may be back before the webhook: ask the gateway itself.
                try:
                    await payment_cases.refresh_from_gateway(
                        uow=uow, context=context, payment=payment
                    )
                except GatewayError as exc:
                    logger.warning("return page could not ask the gateway: %s", exc)
            outcome, page = outcome_page(payment)
        return HTMLResponse(
            page, headers={"X-Payment-Outcome": outcome, "Cache-Control": "no-store"}
        )

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
