"""Email and SMS through the GOV.UK Notify API, with the official (synchronous) client in a thread.

Our own templates are rendered before sending; Notify holds one template per channel whose
content is `((subject))`/`((body))`, so template versions and their checks stay ours.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from notify.adapters.providers.base import (
    DeliveryProvider,
    OutcomeUnknown,
    OutgoingMessage,
    PermanentFailure,
    ProviderReceipt,
    TemporaryFailure,
)


class GovukNotifyProvider(DeliveryProvider):
    name = "govuk-notify"
    channels = frozenset({"email", "sms"})
    supports_lookup = True

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        email_template_id: str,
        sms_template_id: str,
        timeout_s: float = 10.0,
        threads: int = 16,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._templates = {"email": email_template_id, "sms": sms_template_id}
        # requests reads the environment on every call (proxy variables, a stat of ~/.netrc and
        # ~/_netrc: a sixth of each call's Python time, in a thread that holds the GIL meanwhile).
        # Read once here instead; a netrc entry for Notify's host would only have replaced our
        # bearer token.
        self._proxies = requests.utils.get_environ_proxies(base_url)
        self._verify: bool | str = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="govuk-notify")

    def _client(self) -> NotificationsAPIClient:
        # requests' Session is not safe to share between threads: one client per thread.
        client: NotificationsAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(
                self._api_key, base_url=self._base_url, timeout=self._timeout_s
            )
            session = client.request_session
            session.trust_env = False
            session.proxies.update(self._proxies)
            session.verify = self._verify
            self._local.client = client
        return client

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    def _send_sync(self, message: OutgoingMessage) -> dict[str, Any]:
        client = self._client()
        if message.channel == "email":
            response = client.send_email_notification(
                email_address=message.recipient,
                template_id=self._templates["email"],
                personalisation={"subject": message.subject or "", "body": message.body},
                reference=message.reference,
            )
        elif message.channel == "sms":
            response = client.send_sms_notification(
                phone_number=message.recipient,
                template_id=self._templates["sms"],
                personalisation={"body": message.body},
                reference=message.reference,
            )
        else:
            raise PermanentFailure(f"GOV.UK Notify cannot send {message.channel}")
        result: dict[str, Any] = response
        return result

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        try:
            response = await self._call(self._send_sync, message)
        except HTTPError as exc:
            raise _classify(exc) from exc
        return ProviderReceipt(provider_reference=str(response["id"]), status="created")

    async def find(self, reference: str) -> ProviderReceipt | None:
        try:
            response = await self._call(self._client().get_all_notifications, reference=reference)
        except APIError as exc:
            raise TemporaryFailure(f"lookup failed: {exc.status_code}") from exc
        found = response.get("notifications") or []
        if not found:
            return None
        return ProviderReceipt(provider_reference=str(found[0]["id"]), status=found[0]["status"])

    async def status(self, provider_reference: str) -> str | None:
        try:
            response = await self._call(self._client().get_notification_by_id, provider_reference)
        except APIError as exc:
            if exc.status_code == 404:
                return None
            raise TemporaryFailure(f"status lookup failed: {exc.status_code}") from exc
        status: str = response["status"]
        return status

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _classify(exc: HTTPError) -> Exception:
    cause = exc.__cause__
    if exc.response is None:
        # No answer. A refused connection never reached Notify; anything else might have.
        if isinstance(cause, requests.ConnectTimeout) or "Failed to establish" in str(cause):
            return TemporaryFailure("GOV.UK Notify unreachable")
        return OutcomeUnknown(f"no answer from GOV.UK Notify: {type(cause).__name__}")
    status = exc.status_code
    detail = f"GOV.UK Notify answered {status}: {_errors(exc)}"
    if status == 400:
        # A recipient Notify will never deliver to (invalid number or address, team-only key).
        return PermanentFailure(detail)
    if status in (403, 429) or status < 500:
        return TemporaryFailure(detail)
    # A 5xx may come after Notify stored the message: look before sending again.
    return OutcomeUnknown(detail)


def _errors(exc: APIError) -> str:
    message = exc.message
    if isinstance(message, list):
        return "; ".join(str(error.get("message", error)) for error in message)[:300]
    return str(message)[:300]
