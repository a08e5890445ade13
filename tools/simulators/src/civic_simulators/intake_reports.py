"""Reports to intake's back-office webhook, sent as a real back-office system would send them.

`POST <url>` with `Authorization: Bearer <api key>` and `Intake-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>">` (intake.domain.signatures, copied: a simulator does not import a
service). Each report carries its own `event_id`, so a retry is safe: intake acknowledges a repeat
as a duplicate. A report that is not answered 2xx is retried with exponential backoff, signed
afresh each time (the signature's timestamp must be recent); 4xx other than 408/425/429 are final.
Reports about one subject go out in order, one at a time, so a collection is never told before
its return visit. With no credentials configured, reports are recorded and skipped, not sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from civic_simulators.background import BackgroundTasks

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Intake-Signature"
RETRYABLE_4XX = {408, 425, 429}


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    payload = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()}"


def backoff(base_s: float, attempts: int, cap_s: float = 300.0) -> list[float]:
    """The waits before each retry: base, twice that, four times, ... up to a cap."""
    return [min(cap_s, base_s * 2**n) for n in range(max(0, attempts - 1))]


@dataclass
class Report:
    event_id: str
    type: str
    subject: str
    body: bytes
    status: str = "pending"  # pending | delivered | failed | skipped
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "event": json.loads(self.body),
        }


class IntakeReporting(Protocol):
    """The settings of a simulator that reports to intake."""

    intake_url: str
    intake_api_key: str | None
    intake_signing_secret: str | None
    retry_base_s: float
    retry_attempts: int
    timeout_s: float


class IntakeReporter:
    def __init__(
        self,
        *,
        url: str,
        api_key: str | None,
        signing_secret: str | None,
        retry_base_s: float = 1.0,
        retry_attempts: int = 8,
        timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.signing_secret = signing_secret
        self.retry_delays = backoff(retry_base_s, retry_attempts)
        self.timeout_s = timeout_s
        self.reports: list[Report] = []
        self._background = BackgroundTasks()
        self._order: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._client: httpx.AsyncClient | None = None
        self._warned = False

    @classmethod
    def from_settings(cls, settings: IntakeReporting, *, path: str) -> IntakeReporter:
        """A reporter to `path` under the simulator's `intake_url`, e.g. /v1/backoffice/waste/events."""
        return cls(
            url=f"{settings.intake_url.rstrip('/')}{path}",
            api_key=settings.intake_api_key,
            signing_secret=settings.intake_signing_secret,
            retry_base_s=settings.retry_base_s,
            retry_attempts=settings.retry_attempts,
            timeout_s=settings.timeout_s,
        )

    def send(self, event: dict[str, Any]) -> Report:
        """Record the report and deliver it in the background; `event` has type, event_id, subject."""
        report = Report(
            event_id=str(event["event_id"]),
            type=str(event["type"]),
            subject=str(event["subject"]),
            body=json.dumps(event, separators=(",", ":")).encode(),
        )
        self.reports.append(report)
        if not (self.api_key and self.signing_secret):
            report.status = "skipped"
            logger.log(
                logging.INFO if self._warned else logging.WARNING,
                "no intake credentials configured: %s for %s not sent",
                report.type,
                report.subject,
            )
            self._warned = True
            return report
        self._background.spawn(self._deliver(report))
        return report

    async def _deliver(self, report: Report) -> None:
        async with self._order[report.subject]:
            for delay in [0.0, *self.retry_delays]:
                if delay:
                    await asyncio.sleep(delay)
                final = await self._attempt(report)
                if final:
                    return
            report.status = "failed"
            logger.warning(
                "%s for %s given up after %d attempts",
                report.type,
                report.subject,
                len(report.attempts),
            )

    async def _attempt(self, report: Report) -> bool:
        """One POST; True when there is no point trying again."""
        assert self.api_key and self.signing_secret
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.api_key}",
            SIGNATURE_HEADER: signature_header(self.signing_secret, int(time.time()), report.body),
        }
        at = datetime.now(UTC).isoformat()
        try:
            response = await self._client.post(self.url, content=report.body, headers=headers)
        except httpx.HTTPError as exc:
            report.attempts.append({"at": at, "status": type(exc).__name__})
            return False
        report.attempts.append({"at": at, "status": response.status_code})
        if response.is_success:
            report.status = "delivered"
            return True
        if response.status_code < 500 and response.status_code not in RETRYABLE_4XX:
            report.status = "failed"
            logger.warning(
                "%s for %s refused by intake: HTTP %d",
                report.type,
                report.subject,
                response.status_code,
            )
            return True
        return False

    async def settle(self) -> None:
        """Wait for deliveries under way (for tests)."""
        await self._background.settle()

    async def close(self) -> None:
        await self._background.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
