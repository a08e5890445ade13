"""The resident pays again: "Try again" on the return page of a failed, cancelled or expired payment.

A retry makes a new payment for the same request, as GOV.UK Pay's service teams do: the new
payment answers the request the failed one answered, so cases matches its events to the open
request. The rule stays "one live payment per case and purpose, a new one only when the last
failed or expired", and the request must still be open as far as payments knows: no success for
the case and purpose (nor, therefore, a refund), no payment cancelled by the service, and the
case not closed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from civic_runtime.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters import repository
from payments.adapters.gateway import GatewayError
from payments.adapters.tables import Payment
from payments.domain.payment import is_live, may_pay_again
from payments.service_layer.context import PaymentsContext
from payments.service_layer.payments import create_payment, refresh_from_gateway

logger = logging.getLogger(__name__)

# The retry of a failed payment gets a request id of its own, derived from the failed payment's,
# so its return token (and so the body sent to the gateway) is the same on every attempt.
_RETRY_NAMESPACE = uuid.UUID("5d1f7c52-7a43-4b7e-9d0e-2f4b1c9e8a61")


@dataclass(frozen=True)
class RetryAnswer:
    """Where the resident goes next: to pay `payment` (its next_url), or to its outcome page."""

    action: Literal["pay", "outcome"]
    payment: Payment


def retry_request_id(failed: Payment) -> uuid.UUID:
    return uuid.uuid5(_RETRY_NAMESPACE, str(failed.id))


def retry_idempotency_key(failed: Payment) -> str:
    """The failed payment's id makes the key: a double click, or a retried create, is one payment."""
    return f"retry:{failed.gateway_payment_id}"


async def may_retry(session: AsyncSession, *, payment: Payment) -> bool:
    """Whether the return page of `payment` should offer "Try again" (read only, no locks)."""
    if not payment.finished or payment.status == "success":
        return False
    history = await repository.payments_for_purpose(
        session, case_reference=payment.case_reference, service_code=payment.service_code
    )
    closed = await repository.case_closed(session, payment.case_reference)
    return may_pay_again(history=[(p.status, p.failure_code) for p in history], case_closed=closed)


async def retry_payment(
    *, uow: UnitOfWork, context: PaymentsContext, return_token: str
) -> RetryAnswer | None:
    """Make a new payment for the request of the payment behind `return_token`, if still open.

    None for an unknown token. Raises GatewayError when the gateway could not make the payment
    (nothing is stored then; the resident can try again).
    """
    session = uow.session
    clicked = await repository.payment_by_token(session, return_token)
    if clicked is None:
        return None
    # Case, then purpose, then rows: the order every other taker of these locks follows.
    await repository.lock_case(session, case_reference=clicked.case_reference)
    await repository.lock_purpose(
        session, case_reference=clicked.case_reference, service_code=clicked.service_code
    )
    live = await repository.live_payment(
        session, case_reference=clicked.case_reference, service_code=clicked.service_code
    )
    if live is not None and not live.finished:
        # The resident may be back before the webhook: a payment just declined must not block.
        try:
            await refresh_from_gateway(uow=uow, context=context, payment=live)
        except GatewayError as exc:
            logger.warning("retry could not ask the gateway about payment: %s", exc)
    if live is not None and is_live(live.status):
        return _towards(live, now=context.clock())

    history = await repository.payments_for_purpose(
        session, case_reference=clicked.case_reference, service_code=clicked.service_code
    )
    closed = await repository.case_closed(session, clicked.case_reference)
    if not may_pay_again(history=[(p.status, p.failure_code) for p in history], case_closed=closed):
        logger.info("retry refused for case %s: its request is over", clicked.case_reference)
        return RetryAnswer("outcome", clicked)

    # Replace the latest failure (an old tab's retry replaces the newest payment, not its own).
    latest = await repository.payment_for_update(session, id=history[0].id)
    assert latest is not None
    payment = await create_payment(
        uow=uow,
        context=context,
        payment_request_id=retry_request_id(latest),
        answers_request_id=latest.answers_request_id,
        case_reference=latest.case_reference,
        service_code=latest.service_code,
        resident_id=latest.resident_id,
        amount=latest.amount,
        description=latest.description,
        reference=latest.reference,
        language=latest.language,
        idempotency_key=retry_idempotency_key(latest),
        retry_of=latest,
    )
    logger.info(
        "payment %s retried as %s for case %s",
        latest.gateway_payment_id,
        payment.gateway_payment_id,
        payment.case_reference,
    )
    return _towards(payment, now=context.clock())


def _towards(payment: Payment, *, now: datetime) -> RetryAnswer:
    if not payment.finished and payment.next_url is not None and payment.expires_at > now:
        return RetryAnswer("pay", payment)
    return RetryAnswer("outcome", payment)


async def note_case_closed(
    *, uow: UnitOfWork, case_reference: str, outcome: str, closed_at: datetime
) -> None:
    """Remember that cases closed the case, so its failed payments are not retried.

    Under the case lock: a retry in flight finishes first, and the cancellation that follows
    (in the same handler) sees and stops the payment it made.
    """
    await repository.lock_case(uow.session, case_reference=case_reference)
    await repository.record_case_closed(
        uow.session, case_reference=case_reference, outcome=outcome, closed_at=closed_at
    )
