"""What the use cases need beyond a unit of work: the settings, the gateway, the clock and metrics."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from civic_runtime.uow import UnitOfWork
from sqlalchemy import event
from sqlalchemy.orm import Session

from payments.adapters.gateway import PaymentGateway
from payments.adapters.metrics import PaymentOutcome, PaymentsMetrics
from payments.config import PaymentsSettings

_AFTER_COMMIT = "payments.after_commit"
RETURN_TOKEN_LENGTH = 48
_RETURN_TOKEN = re.compile(f"[0-9a-f]{{{RETURN_TOKEN_LENGTH}}}")


def is_return_token(text: str) -> bool:
    """Whether `text` could be a return token we issue: anything else (non-ASCII, a NUL that
    PostgreSQL cannot compare, a megabyte) is no payment's, without asking the database."""
    return _RETURN_TOKEN.fullmatch(text) is not None


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PaymentsContext:
    settings: PaymentsSettings
    gateway: PaymentGateway
    clock: Callable[[], datetime] = field(default=utc_now)
    metrics: PaymentsMetrics = field(default_factory=PaymentsMetrics)

    def return_token(self, payment_request_id: object) -> str:
        """Unguessable and deterministic: a retried create sends the gateway the same return_url."""
        secret = self.settings.secret("return_token_secret").encode()
        digest = hmac.new(secret, str(payment_request_id).encode(), hashlib.sha256).hexdigest()
        return digest[:RETURN_TOKEN_LENGTH]

    def return_url(self, token: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/payments/return/{token}"

    def count_outcome(self, uow: UnitOfWork, outcome: PaymentOutcome) -> None:
        """Count a payment's outcome once its transaction commits, never for a rolled-back attempt."""
        counter = self.metrics.outcomes.labels(outcome)
        after_commit(uow, counter.inc)


def after_commit(uow: UnitOfWork, action: Callable[[], None]) -> None:
    """Run `action` when the unit of work's transaction commits; forget it if it rolls back."""
    session: Session = uow.session.sync_session
    actions: list[Callable[[], None]] | None = session.info.get(_AFTER_COMMIT)
    if actions is None:
        actions = session.info[_AFTER_COMMIT] = []
        pending = actions

        def committed(session: Session) -> None:
            session.info.pop(_AFTER_COMMIT, None)
            for run in pending:
                run()
            pending.clear()

        def rolled_back(session: Session) -> None:
            session.info.pop(_AFTER_COMMIT, None)
            pending.clear()

        event.listen(session, "after_commit", committed, once=True)
        event.listen(session, "after_rollback", rolled_back, once=True)
    actions.append(action)
