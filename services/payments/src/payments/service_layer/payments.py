"""Use cases of a payment: create it for a PaymentRequested, and apply what the gateway reports."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from civic_events.payments import (
    PaymentCreated,
    PaymentFailed,
    PaymentRequested,
    PaymentSucceeded,
)
from civic_runtime.uow import UnitOfWork

from payments.adapters import repository
from payments.adapters.gateway import NewPayment, PayPayment
from payments.adapters.tables import Payment
from payments.domain.payment import GatewayState, advances, check_amount, failure_code
from payments.service_layer.context import PaymentsContext

logger = logging.getLogger(__name__)
SOURCE = "payments"


async def request_payment(
    *, uow: UnitOfWork, context: PaymentsContext, request: PaymentRequested
) -> Payment | None:
    """Create the payment a request asks for, or point again at the live one for its case and purpose.

    Returns the payment the resident should pay (None when the case's payment already succeeded).
    """
    check_amount(request.amount)
    session = uow.session
    existing = await repository.payment_by_request(session, request.payment_request_id)
    if existing is not None:  # this very request, delivered again
        return await _offer_again(uow=uow, context=context, payment=existing)

    await repository.lock_purpose(
        session, case_reference=request.subject, service_code=request.service_code
    )
    live = await repository.live_payment(
        session, case_reference=request.subject, service_code=request.service_code
    )
    if live is not None and not live.finished and live.expires_at <= context.clock():
        # Past Pay's expiry but not yet told: ask, so an expired payment makes way for a new one.
        await refresh_from_gateway(uow=uow, context=context, payment=live)
    if live is not None and live.status not in ("failed", "cancelled", "error"):
        logger.info("payment request repeated for a live payment; offering the existing one")
        if not live.finished:  # an outcome already announced keeps the id it was announced with
            live.answers_request_id = request.payment_request_id
            uow.session.add(live)
        return await _offer_again(uow=uow, context=context, payment=live)

    return await create_payment(
        uow=uow,
        context=context,
        payment_request_id=request.payment_request_id,
        answers_request_id=request.payment_request_id,
        case_reference=request.subject,
        service_code=request.service_code,
        resident_id=request.resident_id,
        amount=request.amount,
        description=request.description,
        reference=request.reference,
        language=request.language,
        idempotency_key=str(request.payment_request_id),
    )


async def create_payment(
    *,
    uow: UnitOfWork,
    context: PaymentsContext,
    payment_request_id: uuid.UUID,
    answers_request_id: uuid.UUID,
    case_reference: str,
    service_code: str,
    resident_id: uuid.UUID | None,
    amount: int,
    description: str,
    reference: str,
    language: str,
    idempotency_key: str,
    retry_of: Payment | None = None,
) -> Payment:
    """Create a payment with the gateway, store it and announce its link (the caller holds the
    case-and-purpose lock and has checked that no live payment stands in the way).

    Everything sent is derived from the arguments, so a create retried with the same
    idempotency key sends the same body and the gateway answers with the same payment.
    """
    token = context.return_token(payment_request_id)
    metadata = {
        "case_reference": case_reference,
        "service_code": service_code,
        "payment_request_id": str(answers_request_id),
    }
    if retry_of is not None:
        metadata["retry_of"] = retry_of.gateway_payment_id
    created = await context.gateway.create_payment(
        NewPayment(
            amount=amount,
            reference=reference,
            description=description,
            return_url=context.return_url(token),
            language=language,
            metadata=metadata,
            idempotency_key=idempotency_key,
        )
    )
    now = context.clock()
    payment = Payment(
        payment_request_id=payment_request_id,
        answers_request_id=answers_request_id,
        case_reference=case_reference,
        service_code=service_code,
        resident_id=resident_id,
        amount=amount,
        description=description,
        reference=reference,
        language=language,
        return_token=token,
        gateway_payment_id=created.payment_id,
        next_url=created.next_url,
        status="created",
        finished=False,
        created_at=now,
        updated_at=now,
        expires_at=created.created_date + timedelta(seconds=context.settings.payment_expiry_s),
        next_check_at=now + timedelta(seconds=context.settings.reconcile_after_s),
        retry_of=retry_of.id if retry_of is not None else None,
    )
    session = uow.session
    session.add(payment)
    await session.flush()
    await apply_gateway_state(
        uow=uow, context=context, payment=payment, reported=created.gateway_state
    )
    if not payment.finished:
        await uow.stage(_created_event(payment))
    return payment


async def _offer_again(
    *, uow: UnitOfWork, context: PaymentsContext, payment: Payment
) -> Payment | None:
    """Announce the link again while the payment can still be paid; never a second outcome."""
    if payment.finished or payment.expires_at <= context.clock() or payment.next_url is None:
        return payment if payment.status == "success" else None
    await uow.stage(_created_event(payment))
    return payment


def _created_event(payment: Payment) -> PaymentCreated:
    assert payment.next_url is not None
    return PaymentCreated(
        source=SOURCE,
        subject=payment.case_reference,
        payment_request_id=payment.answers_request_id,
        payment_id=payment.gateway_payment_id,
        resident_id=payment.resident_id,
        amount=payment.amount,
        next_url=payment.next_url,
        expires_at=payment.expires_at,
    )


async def apply_gateway_state(
    *, uow: UnitOfWork, context: PaymentsContext, payment: Payment, reported: GatewayState
) -> bool:
    """Move a (locked) payment to the state the gateway reports, if that is a step forward.

    The step into a final state publishes PaymentSucceeded or PaymentFailed in the same
    transaction; since nothing leaves a final state, each payment's outcome is announced once.
    """
    if not advances(payment.status, reported):
        return False
    now = context.clock()
    payment.status = reported.status
    payment.updated_at = now
    if reported.status in ("success", "failed", "cancelled", "error"):
        payment.finished = True
        payment.finished_at = now
        if reported.status == "success":
            context.count_outcome(uow, "succeeded")
            await uow.stage(
                PaymentSucceeded(
                    source=SOURCE,
                    subject=payment.case_reference,
                    payment_request_id=payment.answers_request_id,
                    payment_id=payment.gateway_payment_id,
                    resident_id=payment.resident_id,
                    amount=payment.amount,
                )
            )
        else:
            payment.failure_code = failure_code(reported)
            payment.failure_message = (reported.message or "")[:255] or None
            context.count_outcome(uow, "failed")
            await uow.stage(
                PaymentFailed(
                    source=SOURCE,
                    subject=payment.case_reference,
                    payment_request_id=payment.answers_request_id,
                    payment_id=payment.gateway_payment_id,
                    resident_id=payment.resident_id,
                    amount=payment.amount,
                    state=reported.status,
                    failure_code=payment.failure_code,
                    failure_message=payment.failure_message,
                )
            )
    uow.session.add(payment)
    await uow.session.flush()
    logger.info("payment %s is now %s", payment.gateway_payment_id, payment.status)
    return True


async def refresh_from_gateway(
    *, uow: UnitOfWork, context: PaymentsContext, payment: Payment
) -> PayPayment:
    """Settle a (locked) payment from the gateway's own answer."""
    answer = await context.gateway.get_payment(payment.gateway_payment_id)
    await apply_gateway_state(
        uow=uow, context=context, payment=payment, reported=answer.gateway_state
    )
    return answer
