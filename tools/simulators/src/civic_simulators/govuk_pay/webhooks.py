"""Signed webhooks, sent the way GOV.UK Pay sends them: at least once, retried on a ladder.

`Pay-Signature` is the hex HMAC-SHA256 of the raw body with the webhook signing secret; there is
no timestamp. A delivery that is not answered with 2xx is retried after 60 s, 5 min, 1 h, 1 day and
2 days (each step multiplied by `webhook_retry_scale`), then given up.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from civic_simulators.govuk_pay.ledger import iso, new_id, now
from civic_simulators.govuk_pay.settings import PaySimulatorSettings

logger = logging.getLogger(__name__)


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    webhook_message_id: str
    event_type: str
    resource_id: str
    url: str
    body: str
    signature: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False
    dropped: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "webhook_message_id": self.webhook_message_id,
            "event_type": self.event_type,
            "resource_id": self.resource_id,
            "url": self.url,
            "body": self.body,
            "signature": self.signature,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "dropped": self.dropped,
        }


class WebhookSender:
    def __init__(self, settings: PaySimulatorSettings) -> None:
        self.settings = settings
        self.urls: list[str] = list(settings.webhook_urls)
        self.deliveries: list[Delivery] = []
        self.drop_next = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_s)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def emit(self, *, event_type: str, resource_type: str, resource: dict[str, Any]) -> None:
        message = {
            "webhook_message_id": new_id(),
            "created_date": iso(now()),
            "resource_id": resource["payment_id"],
            "api_version": 1,
            "resource_type": resource_type,
            "event_type": event_type,
            "resource": resource,
        }
        body = json.dumps(message, separators=(",", ":"))
        lost = self.drop_next > 0
        if lost:
            self.drop_next -= 1
        for url in self.urls:
            delivery = Delivery(
                webhook_message_id=message["webhook_message_id"],
                event_type=event_type,
                resource_id=message["resource_id"],
                url=url,
                body=body,
                signature=sign(body.encode(), self.settings.webhook_signing_secret),
                dropped=lost,
            )
            self.deliveries.append(delivery)
            if not lost:
                self._spawn(self._deliver(delivery))

    def resend(self, webhook_message_id: str) -> int:
        """Send a recorded message again, byte for byte (what a replay looks like)."""
        count = 0
        for delivery in list(self.deliveries):
            if delivery.webhook_message_id == webhook_message_id:
                self._spawn(self._attempt_once(delivery))
                count += 1
        return count

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        delays = [0.0, *self.settings.retry_delays()]
        for delay in delays:
            if delay:
                await asyncio.sleep(delay)
            if await self._attempt_once(delivery):
                return
        logger.warning(
            "webhook %s given up after %d attempts", delivery.webhook_message_id, len(delays)
        )

    async def _attempt_once(self, delivery: Delivery) -> bool:
        assert self._client is not None
        try:
            response = await self._client.post(
                delivery.url,
                content=delivery.body.encode(),
                headers={"Content-Type": "application/json", "Pay-Signature": delivery.signature},
            )
            status: int | str = response.status_code
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            status, ok = type(exc).__name__, False
        delivery.attempts.append({"at": iso(now()), "status": status})
        delivery.delivered = delivery.delivered or ok
        return ok
