"""The simulator's in-memory ledger: payments, refunds and their state changes, as Pay keeps them.

A simulator is a single process by nature; its state lives in memory and is lost on restart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FINISHED = {"success", "failed", "cancelled", "error"}
FAILURE_MESSAGES = {
    "P0010": "Payment method rejected",
    "P0020": "Payment expired",
    "P0030": "Payment was cancelled by the user",
    "P0040": "Payment was cancelled by the service",
    "P0050": "Payment provider returned an error",
}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    # Pay's ids are 26 lower-case alphanumerics.
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(26))


@dataclass
class Refund:
    refund_id: str
    payment_id: str
    amount: int
    created_at: datetime
    status: str = "submitted"

    def public(self, base: str) -> dict[str, Any]:
        return {
            "refund_id": self.refund_id,
            "created_date": iso(self.created_at),
            "amount": self.amount,
            "status": self.status,
            "settlement_summary": {},
            "_links": {
                "self": {
                    "href": f"{base}/v1/payments/{self.payment_id}/refunds/{self.refund_id}",
                    "method": "GET",
                },
                "payment": {"href": f"{base}/v1/payments/{self.payment_id}", "method": "GET"},
            },
        }


@dataclass
class Payment:
    payment_id: str
    amount: int
    reference: str
    description: str
    return_url: str
    language: str
    metadata: dict[str, Any] | None
    created_at: datetime
    page_token: str
    status: str = "created"
    code: str | None = None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds if r.status in {"submitted", "success"})

    def amount_available(self) -> int:
        return self.amount - self.refunded() if self.status == "success" else 0

    def refund_status(self) -> str:
        if self.status != "success":
            return "unavailable" if self.finished else "pending"
        if self.amount_available() == 0:
            return "full"
        return "available"

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"status": self.status, "finished": self.finished}
        if self.code is not None:
            state["code"] = self.code
            state["message"] = FAILURE_MESSAGES[self.code]
        return state

    def public(self, base: str, public_url: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "amount": self.amount,
            "description": self.description,
            "reference": self.reference,
            "language": self.language,
            "state": self.state(),
            "payment_id": self.payment_id,
            "payment_provider": "sandbox",
            "created_date": iso(self.created_at),
            "refund_summary": {
                "status": self.refund_status(),
                "amount_available": self.amount_available(),
                "amount_submitted": self.refunded(),
            },
            "settlement_summary": {},
            "delayed_capture": False,
            "moto": False,
            "return_url": self.return_url,
            "authorisation_mode": "web",
            "_links": {
                "self": {"href": f"{base}/v1/payments/{self.payment_id}", "method": "GET"},
                "events": {"href": f"{base}/v1/payments/{self.payment_id}/events", "method": "GET"},
                "refunds": {
                    "href": f"{base}/v1/payments/{self.payment_id}/refunds",
                    "method": "GET",
                },
            },
        }
        if self.metadata:
            body["metadata"] = self.metadata
        if not self.finished:
            body["_links"]["next_url"] = {
                "href": f"{public_url}/secure/{self.page_token}",
                "method": "GET",
            }
            body["_links"]["next_url_post"] = {
                "type": "application/x-www-form-urlencoded",
                "params": {"chargeTokenId": self.page_token},
                "href": f"{public_url}/secure",
                "method": "POST",
            }
            body["_links"]["cancel"] = {
                "href": f"{base}/v1/payments/{self.payment_id}/cancel",
                "method": "POST",
            }
        return body


@dataclass
class IdempotentCreate:
    fingerprint: str
    payment_id: str
    stored_at: datetime


class Ledger:
    def __init__(self, *, expiry: timedelta) -> None:
        self.expiry = expiry
        self.payments: dict[str, Payment] = {}
        self.by_page_token: dict[str, str] = {}
        self.idempotency: dict[tuple[str, str], IdempotentCreate] = {}

    def create(self, **fields: Any) -> Payment:
        payment = Payment(
            payment_id=new_id(),
            created_at=now(),
            page_token=secrets.token_urlsafe(24),
            **fields,
        )
        self.payments[payment.payment_id] = payment
        self.by_page_token[payment.page_token] = payment.payment_id
        return payment

    def expired(self, moment: datetime) -> list[Payment]:
        return [
            p
            for p in self.payments.values()
            if not p.finished and moment - p.created_at >= self.expiry
        ]
