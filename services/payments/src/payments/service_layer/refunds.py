"""Refunds: asked by an officer or by a cancelled case; announced when the gateway confirms them.

The amount still refundable is the gateway's own figure, sent back as `refund_amount_available`:
if another refund got in first, the gateway answers 412 and this one is refused, so two refunds
racing (from any instances) can never both take the same money.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from civic_events.payments import PaymentRefunded
from civic_runtime.uow import UnitOfWork

from payments.adapters import repository
from payments.adapters.gateway import GatewayRejected, RefundAmountMismatch
from payments.adapters.tables import Payment, Refund
from payments.domain.refunds import RefundRefused, check_refund
from payments.service_layer.context import PaymentsContext
from payments.service_layer.payments import apply_gateway_state, refresh_from_gateway

logger = logging.getLogger(__name__)
SOURCE = "payments"


async def refund_payment(
    *,
    uow: UnitOfWork,
    context: PaymentsContext,
    payment: Payment,
    amount: int | None,
    reason: str | None,
    requested_by: str,
    trigger_key: str | None = None,
    request_sha256: str | None = None,
) -> Refund:
    """Refund `amount` (or all that remains) of a payment locked by the caller."""
    if trigger_key is not None:
        earlier = await repository.refund_by_trigger(uow.session, trigger_key)
        if earlier is not None:
            return earlier
    answer = await context.gateway.get_payment(payment.gateway_payment_id)
    await apply_gateway_state(
        uow=uow, context=context, payment=payment, reported=answer.gateway_state
    )
    available = answer.amount_available
    to_refund = check_refund(amount=amount, available=available, payment_status=payment.status)
    try:
        made = await context.gateway.create_refund(
            payment.gateway_payment_id, amount=to_refund, refund_amount_available=available
        )
    except RefundAmountMismatch as exc:
        raise RefundRefused("the refundable amount changed meanwhile; look again") from exc
    except GatewayRejected as exc:
        raise RefundRefused(f"the gateway refused the refund: {exc.description}") from exc
    now = context.clock()
    refund = Refund(
        payment_id=payment.id,
        gateway_refund_id=made.refund_id,
        amount=made.amount,
        status="submitted",
        reason=reason,
        requested_by=requested_by,
        trigger_key=trigger_key,
        request_sha256=request_sha256,
        created_at=now,
        updated_at=now,
        next_check_at=now + timedelta(seconds=context.settings.reconcile_after_s),
    )
    uow.session.add(refund)
    await uow.session.flush()
    if made.status != "submitted":
        await _settle(uow=uow, context=context, payment=payment, refund=refund, status=made.status)
    return refund


async def settle_refunds(*, uow: UnitOfWork, context: PaymentsContext, payment: Payment) -> None:
    """Bring a (locked) payment's refunds up to date with the gateway's list of them."""
    ours = {r.gateway_refund_id: r for r in await repository.refunds_of(uow.session, payment.id)}
    for theirs in await context.gateway.list_refunds(payment.gateway_payment_id):
        refund = ours.get(theirs.refund_id)
        if refund is None:
            # Made at the gateway by a transaction of ours that then failed to commit: adopt it.
            now = context.clock()
            refund = Refund(
                payment_id=payment.id,
                gateway_refund_id=theirs.refund_id,
                amount=theirs.amount,
                status="submitted",
                requested_by="gateway",
                created_at=now,
                updated_at=now,
                next_check_at=now,
            )
            uow.session.add(refund)
            await uow.session.flush()
        await _settle(
            uow=uow, context=context, payment=payment, refund=refund, status=theirs.status
        )


async def _settle(
    *, uow: UnitOfWork, context: PaymentsContext, payment: Payment, refund: Refund, status: str
) -> None:
    now = context.clock()
    if refund.status != "submitted":
        return
    if status == "submitted":
        refund.next_check_at = now + timedelta(seconds=context.settings.reconcile_interval_s)
    elif status == "success":
        refund.status, refund.confirmed_at = "success", now
        context.count_outcome(uow, "refunded")
        await uow.stage(
            PaymentRefunded(
                source=SOURCE,
                subject=payment.case_reference,
                payment_request_id=payment.answers_request_id,
                payment_id=payment.gateway_payment_id,
                refund_id=refund.gateway_refund_id,
                resident_id=payment.resident_id,
                amount=refund.amount,
                reason=refund.reason,
            )
        )
    else:
        refund.status = "error"
        logger.error("refund %s failed at the gateway (%s)", refund.gateway_refund_id, status)
    refund.updated_at = now
    uow.session.add(refund)
    await uow.session.flush()


async def refund_case(
    *, uow: UnitOfWork, context: PaymentsContext, case_reference: str, reason: str
) -> Sequence[Refund]:
    """A cancelled case: refund what remains of its successful payments, once; stop unpaid ones."""
    for unpaid in await repository.unfinished_payments_of_case(uow.session, case_reference):
        try:
            await context.gateway.cancel_payment(unpaid.gateway_payment_id)
        except GatewayRejected as exc:  # already finished at the gateway: its state says how
            logger.info("payment %s not cancelled: %s", unpaid.gateway_payment_id, exc)
        await refresh_from_gateway(uow=uow, context=context, payment=unpaid)

    refunds: list[Refund] = []
    for payment in await repository.successful_payments_of_case(uow.session, case_reference):
        try:
            refunds.append(
                await refund_payment(
                    uow=uow,
                    context=context,
                    payment=payment,
                    amount=None,
                    reason=reason[:255],
                    requested_by="case",
                    trigger_key=f"case-refund:{payment.id}",
                )
            )
        except RefundRefused as exc:
            logger.info("no refund for payment %s: %s", payment.gateway_payment_id, exc)
    return refunds
