"""An officer's refund: made once per Idempotency-Key, however often the request is retried.

The key is the officer's own: their id and the key make the refund's trigger key. The requests
of one key are serialised (an advisory lock, taken before the payment's row lock), so a retry
that overtakes the first request waits for its answer and is then given the same refund. The
same key with another request (another payment, amount or reason) is refused, not answered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from civic_runtime.uow import UnitOfWork

from payments.adapters import repository
from payments.adapters.tables import Refund
from payments.service_layer.context import PaymentsContext
from payments.service_layer.refunds import refund_payment


class PaymentNotFound(LookupError):
    """No payment with the gateway id asked for."""


class IdempotencyKeyReused(ValueError):
    """The officer's Idempotency-Key was first used for another request."""


@dataclass(frozen=True)
class RefundAsked:
    """What an officer asked for: `amount` pence of a payment (None: all that remains)."""

    payment_id: str
    amount: int | None
    reason: str | None

    def fingerprint(self) -> str:
        asked = json.dumps([self.payment_id, self.amount, self.reason], ensure_ascii=False)
        return hashlib.sha256(asked.encode()).hexdigest()


@dataclass(frozen=True)
class OfficerRefund:
    refund: Refund
    replayed: bool  # the refund an earlier request with the same key made


async def refund_for_officer(
    *,
    uow: UnitOfWork,
    context: PaymentsContext,
    officer_id: str,
    idempotency_key: str,
    asked: RefundAsked,
) -> OfficerRefund:
    trigger_key = f"officer-refund:{officer_id}:{idempotency_key}"
    await repository.lock_refund_key(uow.session, trigger_key=trigger_key)
    earlier = await repository.refund_by_trigger(uow.session, trigger_key)
    if earlier is not None:
        if earlier.request_sha256 != asked.fingerprint():
            raise IdempotencyKeyReused("this Idempotency-Key was used for another refund request")
        return OfficerRefund(earlier, replayed=True)
    payment = await repository.payment_for_update(uow.session, gateway_payment_id=asked.payment_id)
    if payment is None:
        raise PaymentNotFound(asked.payment_id)
    made = await refund_payment(
        uow=uow,
        context=context,
        payment=payment,
        amount=asked.amount,
        reason=asked.reason,
        requested_by=f"officer:{officer_id}",
        trigger_key=trigger_key,
        request_sha256=asked.fingerprint(),
    )
    return OfficerRefund(made, replayed=False)
