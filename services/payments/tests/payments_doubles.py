"""An in-memory GOV.UK Pay: the `PaymentGateway` interface with Pay's rules, no network.

An ordinary implementation of the adapter's base class, for the use-case tests. It keeps Pay's
rules that the service relies on: `Idempotency-Key` (same key → the same payment), forward-only
states, cancel only while unfinished, and refunds checked against `refund_amount_available`
(412 P0604 when stale, as Pay answers a refund racing another). The integration tests run the
same use cases against the HTTP simulator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from payments.adapters.gateway import (
    GatewayRejected,
    GatewayUnavailable,
    NewPayment,
    PaymentGateway,
    PayPayment,
    PayRefund,
    RefundAmountMismatch,
)

FINISHED = {"success", "failed", "cancelled", "error"}


@dataclass
class HeldRefund:
    refund_id: str
    amount: int
    status: str = "submitted"
    created_date: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class HeldPayment:
    payment_id: str
    request: NewPayment
    created_date: datetime
    status: str = "created"
    code: str | None = None
    refunds: list[HeldRefund] = field(default_factory=list)

    @property
    def amount_available(self) -> int:
        if self.status != "success":
            return 0
        taken = sum(r.amount for r in self.refunds if r.status in ("submitted", "success"))
        return self.request.amount - taken


@dataclass(frozen=True)
class RefundCall:
    payment_id: str
    amount: int
    refund_amount_available: int


class InMemoryPayGateway(PaymentGateway):
    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ids = itertools.count(1)
        self.payments: dict[str, HeldPayment] = {}
        self._by_key: dict[str, str] = {}
        self.created: list[NewPayment] = []  # every create call, repeats included
        self.refund_calls: list[RefundCall] = []
        self.cancelled: list[str] = []
        self.unavailable = False
        # Runs just before a refund is taken: lets a test slip another refund in first.
        self.before_refund: Callable[[HeldPayment], None] | None = None

    # -- test controls ----------------------------------------------------------------------

    def set_state(self, payment_id: str, status: str, code: str | None = None) -> None:
        """What the resident (or Pay) did; Pay itself never moves a finished payment."""
        payment = self.payments[payment_id]
        assert payment.status not in FINISHED, f"{payment_id} is already {payment.status}"
        payment.status, payment.code = status, code

    def settle_refund(self, refund_id: str, status: str = "success") -> None:
        for payment in self.payments.values():
            for refund in payment.refunds:
                if refund.refund_id == refund_id:
                    refund.status = status
                    return
        raise KeyError(refund_id)

    def refund_directly(self, payment_id: str, amount: int) -> HeldRefund:
        """A refund made at Pay by someone else (another instance, Pay's own admin tool)."""
        refund = HeldRefund(refund_id=f"r-{next(self._ids)}", amount=amount)
        self.payments[payment_id].refunds.append(refund)
        return refund

    # -- PaymentGateway ---------------------------------------------------------------------

    async def create_payment(self, payment: NewPayment) -> PayPayment:
        self._check_available()
        self.created.append(payment)
        existing = self._by_key.get(payment.idempotency_key)
        if existing is not None:
            if self.payments[existing].request != payment:
                raise GatewayRejected(409, "P0900", "idempotency key reused with another body")
            return self._answer(self.payments[existing])
        payment_id = f"pay-{next(self._ids)}"
        self.payments[payment_id] = HeldPayment(payment_id, payment, self._clock())
        self._by_key[payment.idempotency_key] = payment_id
        return self._answer(self.payments[payment_id])

    async def get_payment(self, payment_id: str) -> PayPayment:
        self._check_available()
        return self._answer(self._held(payment_id))

    async def cancel_payment(self, payment_id: str) -> None:
        self._check_available()
        payment = self._held(payment_id)
        if payment.status in FINISHED:
            raise GatewayRejected(400, "P0502", "payment already finished")
        payment.status, payment.code = "cancelled", "P0040"
        self.cancelled.append(payment_id)

    async def create_refund(
        self, payment_id: str, *, amount: int, refund_amount_available: int
    ) -> PayRefund:
        self._check_available()
        payment = self._held(payment_id)
        self.refund_calls.append(RefundCall(payment_id, amount, refund_amount_available))
        if self.before_refund is not None:
            self.before_refund(payment)
        if payment.status != "success":
            raise GatewayRejected(412, "P0603", "the payment is not available for refund")
        if refund_amount_available != payment.amount_available:
            raise RefundAmountMismatch(412, "P0604", "refund amount available mismatch")
        if amount > payment.amount_available:
            raise GatewayRejected(400, "P0603", "refund amount exceeds what is available")
        refund = self.refund_directly(payment_id, amount)
        return self._refund_answer(refund)

    async def list_refunds(self, payment_id: str) -> list[PayRefund]:
        self._check_available()
        return [self._refund_answer(r) for r in self._held(payment_id).refunds]

    # -- Pay's answers ----------------------------------------------------------------------

    def _check_available(self) -> None:
        if self.unavailable:
            raise GatewayUnavailable("the in-memory gateway is switched off")

    def _held(self, payment_id: str) -> HeldPayment:
        if payment_id not in self.payments:
            raise GatewayRejected(404, "P0200", "payment not found")
        return self.payments[payment_id]

    def _answer(self, payment: HeldPayment) -> PayPayment:
        body: dict[str, Any] = {
            "payment_id": payment.payment_id,
            "amount": payment.request.amount,
            "reference": payment.request.reference,
            "description": payment.request.description,
            "state": {
                "status": payment.status,
                "finished": payment.status in FINISHED,
                "code": payment.code,
            },
            "created_date": payment.created_date.isoformat(),
            "refund_summary": {
                "status": "available" if payment.amount_available else "unavailable",
                "amount_available": payment.amount_available,
                "amount_submitted": payment.request.amount - payment.amount_available
                if payment.status == "success"
                else 0,
            },
            "_links": {
                "next_url": {
                    "href": f"https://pay.invalid/secure/{payment.payment_id}",
                    "method": "GET",
                }
            },
        }
        return PayPayment.model_validate(body)

    @staticmethod
    def _refund_answer(refund: HeldRefund) -> PayRefund:
        return PayRefund(
            refund_id=refund.refund_id,
            amount=refund.amount,
            status=refund.status,
            created_date=refund.created_date,
        )
