"""Web push (pywebpush, VAPID), run in a thread: pywebpush is synchronous.

The endpoint is checked again as the message goes out, not only when the subscription was
stored: a row written before the rule, or by any other path, never makes us POST elsewhere.
"""

from __future__ import annotations

import asyncio
import json

from pywebpush import WebPushException, webpush

from notify.adapters.providers.base import (
    DeliveryProvider,
    OutcomeUnknown,
    OutgoingMessage,
    PermanentFailure,
    ProviderReceipt,
    TemporaryFailure,
)
from notify.domain.push_endpoints import push_endpoint_allowed
from notify.domain.templates import Channel


class WebPushProvider(DeliveryProvider):
    name = "push"
    channels = frozenset({"push"})
    supports_lookup = False

    def span_name(self, channel: Channel) -> str:
        return "web-push send"

    def __init__(
        self,
        *,
        vapid_private_key: str,
        vapid_subject: str,
        production: bool,
        timeout_s: float = 10.0,
        ttl_s: int = 172_800,
    ):
        self._key, self._subject, self._timeout_s = vapid_private_key, vapid_subject, timeout_s
        self._production = production
        # How long the push service keeps a message for a browser that is offline; pywebpush's
        # default, 0, lets the service drop it at once unless the browser is connected.
        self._ttl_s = ttl_s

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        if not isinstance(message.recipient, dict):
            raise PermanentFailure("no push subscription")
        endpoint = message.recipient.get("endpoint")
        if not isinstance(endpoint, str) or not push_endpoint_allowed(
            endpoint, production=self._production
        ):
            raise PermanentFailure("push endpoint refused: not a browser's push service")
        payload = json.dumps(
            {
                "title": message.subject,
                "body": message.body,
                "url": message.link,
                "tag": message.reference,
            }
        )
        try:
            await asyncio.to_thread(
                webpush,
                subscription_info=message.recipient,
                data=payload,
                vapid_private_key=self._key,
                vapid_claims={"sub": self._subject},
                ttl=self._ttl_s,
                timeout=self._timeout_s,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise PermanentFailure(f"push subscription expired ({status})") from exc
            if status is not None and (status == 429 or status >= 500):
                raise TemporaryFailure(f"push service answered {status}") from exc
            if status is None:
                raise OutcomeUnknown("push service did not answer") from exc
            raise PermanentFailure(f"push service refused ({status})") from exc
        return ProviderReceipt(provider_reference=None, status="sent")
