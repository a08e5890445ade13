"""The payment gateway as this service needs it, and GOV.UK Pay's public API behind it.

`PaymentGateway` is the capability (create, look up, cancel, refund); `GovUkPayGateway` speaks
GOV.UK Pay's REST API with httpx. Tests use the same adapter against the local simulator.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from payments.domain.payment import GatewayState


class GatewayError(Exception):
    """The gateway did not do what was asked."""


class GatewayUnavailable(GatewayError):
    """The gateway could not answer (network, 5xx, 429): worth retrying later."""


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, code: str | None, description: str) -> None:
        super().__init__(f"{status} {code or ''}: {description}")
        self.status, self.code, self.description = status, code, description


class RefundAmountMismatch(GatewayRejected):
    """412 P0604: the refund_amount_available sent is stale, e.g. another refund got in first."""


class _PayState(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str
    finished: bool
    code: str | None = None
    message: str | None = None


class _Link(BaseModel):
    model_config = ConfigDict(extra="ignore")
    href: str
    method: str | None = None


class _RefundSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str
    amount_available: int
    amount_submitted: int = 0


class PayPayment(BaseModel):
    """A payment as GOV.UK Pay returns it (the fields this service reads)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    payment_id: str
    amount: int
    reference: str
    description: str
    state: _PayState
    created_date: datetime
    refund_summary: _RefundSummary | None = None
    metadata: dict[str, Any] | None = None
    links: dict[str, _Link] = Field(default_factory=dict, alias="_links")

    @property
    def gateway_state(self) -> GatewayState:
        return GatewayState(
            status=self.state.status,
            finished=self.state.finished,
            code=self.state.code,
            message=self.state.message,
        )

    @property
    def next_url(self) -> str | None:
        link = self.links.get("next_url")
        return link.href if link else None

    @property
    def amount_available(self) -> int:
        return self.refund_summary.amount_available if self.refund_summary else 0


class PayRefund(BaseModel):
    model_config = ConfigDict(extra="ignore")

    refund_id: str
    amount: int
    status: str
    created_date: datetime


@dataclass(frozen=True)
class NewPayment:
    amount: int
    reference: str
    description: str
    return_url: str
    language: str
    metadata: dict[str, str]
    idempotency_key: str


class PaymentGateway(abc.ABC):
    @abc.abstractmethod
    async def create_payment(self, payment: NewPayment) -> PayPayment: ...

    @abc.abstractmethod
    async def get_payment(self, payment_id: str) -> PayPayment: ...

    @abc.abstractmethod
    async def cancel_payment(self, payment_id: str) -> None: ...

    @abc.abstractmethod
    async def create_refund(
        self, payment_id: str, *, amount: int, refund_amount_available: int
    ) -> PayRefund: ...

    @abc.abstractmethod
    async def list_refunds(self, payment_id: str) -> list[PayRefund]: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class GovUkPayGateway(PaymentGateway):
    def __init__(self, *, base_url: str, api_key: str, timeout_s: float = 10.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def create_payment(self, payment: NewPayment) -> PayPayment:
        body: dict[str, Any] = {
            "amount": payment.amount,
            "reference": payment.reference,
            "description": payment.description,
            "return_url": payment.return_url,
            "language": payment.language,
        }
        if payment.metadata:
            body["metadata"] = payment.metadata
        response = await self._send(
            "POST",
            "/v1/payments",
            json=body,
            headers={"Idempotency-Key": payment.idempotency_key},
        )
        return PayPayment.model_validate(response.json())

    async def get_payment(self, payment_id: str) -> PayPayment:
        response = await self._send("GET", f"/v1/payments/{payment_id}")
        return PayPayment.model_validate(response.json())

    async def cancel_payment(self, payment_id: str) -> None:
        await self._send("POST", f"/v1/payments/{payment_id}/cancel")

    async def create_refund(
        self, payment_id: str, *, amount: int, refund_amount_available: int
    ) -> PayRefund:
        response = await self._send(
            "POST",
            f"/v1/payments/{payment_id}/refunds",
            json={"amount": amount, "refund_amount_available": refund_amount_available},
        )
        return PayRefund.model_validate(response.json())

    async def list_refunds(self, payment_id: str) -> list[PayRefund]:
        response = await self._send("GET", f"/v1/payments/{payment_id}/refunds")
        refunds = response.json().get("_embedded", {}).get("refunds", [])
        return [PayRefund.model_validate(refund) for refund in refunds]

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise GatewayUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayUnavailable(f"{method} {path}: {response.status_code}")
        if response.status_code >= 400:
            try:
                error = response.json()
            except ValueError:
                error = {}
            code, description = error.get("code"), error.get("description", response.text[:200])
            if response.status_code == 412 and code == "P0604":
                raise RefundAmountMismatch(response.status_code, code, description)
            raise GatewayRejected(response.status_code, code, description)
        return response
