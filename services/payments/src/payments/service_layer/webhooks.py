"""Webhooks from the gateway: verified, logged, applied once each, in any order.

Pay-Signature has no timestamp, so a replayed message is recognised by its `webhook_message_id`:
the delivery that applies a message takes the id (a unique column); a second delivery of it finds
the id taken and changes nothing. Out-of-order states are absorbed by the forward-only rule.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert

from payments.adapters import repository
from payments.adapters.tables import WebhookDelivery
from payments.domain.payment import GatewayState
from payments.domain.signatures import signature_matches
from payments.service_layer.context import PaymentsContext
from payments.service_layer.payments import apply_gateway_state
from payments.service_layer.refunds import settle_refunds

logger = logging.getLogger(__name__)

Outcome = Literal[
    "applied", "duplicate", "rejected_signature", "malformed", "unknown_payment", "ignored"
]
_webhooks = WebhookDelivery.__table__
# What of a payment resource we keep in the log: never card details, names, emails or addresses.
_KEPT_RESOURCE_FIELDS = (
    "payment_id",
    "amount",
    "reference",
    "state",
    "refund_summary",
    "created_date",
)


@dataclass(frozen=True)
class WebhookMessage:
    webhook_message_id: str
    event_type: str
    resource_type: str
    resource_id: str
    resource: dict[str, Any]

    @classmethod
    def parse(cls, body: bytes) -> WebhookMessage | None:
        try:
            message = json.loads(body)
            resource = message.get("resource") or {}
            parsed = cls(
                webhook_message_id=str(message["webhook_message_id"]),
                event_type=str(message["event_type"]),
                resource_type=str(message.get("resource_type", "payment")),
                resource_id=str(message["resource_id"]),
                resource=resource if isinstance(resource, dict) else {},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not parsed.webhook_message_id or len(parsed.webhook_message_id) > 100:
            return None
        return parsed

    def loggable(self) -> dict[str, Any]:
        return {
            "webhook_message_id": self.webhook_message_id,
            "event_type": self.event_type,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "resource": {k: self.resource[k] for k in _KEPT_RESOURCE_FIELDS if k in self.resource},
        }

    def state(self) -> GatewayState | None:
        state = self.resource.get("state")
        if not isinstance(state, dict) or "status" not in state:
            return None
        return GatewayState(
            status=str(state["status"]),
            finished=bool(state.get("finished", False)),
            code=state.get("code"),
            message=state.get("message"),
        )


async def log_malformed(*, uow: UnitOfWork) -> None:
    """A signed body we cannot read: Pay's to fix, so kept. A call whose signature fails is never
    written: anyone can send those, as fast as they like; the metric and the log count them."""
    uow.session.add(WebhookDelivery(signature_valid=True, outcome="malformed"))


async def receive_webhook(
    *, uow: UnitOfWork, context: PaymentsContext, body: bytes, signature: str | None
) -> Outcome:
    secret = context.settings.secret("pay_webhook_signing_secret")
    if not signature_matches(body, signature, secret):
        return "rejected_signature"
    message = WebhookMessage.parse(body)
    if message is None:
        return "malformed"
    claimed = await uow.session.execute(
        insert(_webhooks)
        .values(
            signature_valid=True,
            webhook_message_id=message.webhook_message_id,
            applied_message_id=message.webhook_message_id,
            event_type=message.event_type,
            resource_id=message.resource_id,
            outcome="applied",
            body=message.loggable(),
        )
        .on_conflict_do_nothing(index_elements=["applied_message_id"])
        .returning(_webhooks.c.id)
    )
    row_id = claimed.scalar()
    if row_id is None:
        await _log(uow, message, "duplicate")
        return "duplicate"
    outcome = await _apply(uow=uow, context=context, message=message)
    if outcome != "applied":
        await uow.session.execute(
            _webhooks.update().where(_webhooks.c.id == row_id).values(outcome=outcome)
        )
    return outcome


async def _apply(*, uow: UnitOfWork, context: PaymentsContext, message: WebhookMessage) -> Outcome:
    if message.resource_type != "payment":
        return "ignored"
    payment = await repository.payment_for_update(
        uow.session, gateway_payment_id=message.resource_id
    )
    if payment is None:
        logger.warning("webhook %s for a payment we do not hold", message.webhook_message_id)
        return "unknown_payment"
    state = message.state()
    if state is not None:
        await apply_gateway_state(uow=uow, context=context, payment=payment, reported=state)
    if message.event_type == "card_payment_refunded":
        await settle_refunds(uow=uow, context=context, payment=payment)
    return "applied"


async def _log(uow: UnitOfWork, message: WebhookMessage, outcome: Outcome) -> None:
    uow.session.add(
        WebhookDelivery(
            signature_valid=True,
            webhook_message_id=message.webhook_message_id,
            event_type=message.event_type,
            resource_id=message.resource_id,
            outcome=outcome,
            body=message.loggable(),
        )
    )
