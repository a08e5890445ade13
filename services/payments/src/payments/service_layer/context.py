"""What the use cases need beyond a unit of work: the settings and the gateway."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from payments.adapters.gateway import PaymentGateway
from payments.config import PaymentsSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PaymentsContext:
    settings: PaymentsSettings
    gateway: PaymentGateway
    clock: Callable[[], datetime] = field(default=utc_now)

    def return_token(self, payment_request_id: object) -> str:
        """Unguessable and deterministic: a retried create sends the gateway the same return_url."""
        secret = self.settings.secret("return_token_secret").encode()
        return hmac.new(secret, str(payment_request_id).encode(), hashlib.sha256).hexdigest()[:48]

    def return_url(self, token: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/payments/return/{token}"
