"""The waste contractor's work-order API: asking for a return visit to a missed bin.

`POST /api/v1/missed-collections` (header `X-Api-Key`) with the council's reference; the same
reference again answers the same job, so a resend after a lost answer is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx


@dataclass(frozen=True)
class ReturnVisitRequest:
    council_reference: str
    uprn: str
    bin_type: str
    reported_at: datetime


@dataclass(frozen=True)
class ContractorJob:
    job_reference: str
    council_reference: str
    status: str


class ContractorUnavailable(Exception):
    """The contractor could not be reached or failed: try again later."""


class ContractorRejected(Exception):
    """The contractor refused the request as it stands: retrying cannot help."""


class WasteContractor(Protocol):
    async def request_return_visit(self, request: ReturnVisitRequest) -> ContractorJob: ...

    async def aclose(self) -> None: ...


# Statuses worth retrying: the contractor busy, rate-limiting or failing on its side.
_RETRYABLE = {408, 425, 429}


class HttpWasteContractor:
    def __init__(self, *, base_url: str, api_key: str, timeout_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-Api-Key": api_key, "User-Agent": "civic-events-cases"},
            timeout=timeout_s,
        )

    async def request_return_visit(self, request: ReturnVisitRequest) -> ContractorJob:
        try:
            answer = await self._client.post(
                "/api/v1/missed-collections",
                json={
                    "council_reference": request.council_reference,
                    "uprn": request.uprn,
                    "bin_type": request.bin_type,
                    "reported_at": request.reported_at.isoformat(),
                },
            )
        except httpx.HTTPError as exc:
            raise ContractorUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if answer.status_code >= 500 or answer.status_code in _RETRYABLE:
            raise ContractorUnavailable(f"HTTP {answer.status_code}")
        if answer.status_code not in (200, 201):
            # The body may echo what we sent (a UPRN is not personal, but keep it short).
            raise ContractorRejected(f"HTTP {answer.status_code}: {answer.text[:200]}")
        try:
            body = answer.json()
            return ContractorJob(
                job_reference=str(body["job_reference"]),
                council_reference=str(body.get("council_reference", request.council_reference)),
                status=str(body.get("status", "open")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ContractorUnavailable(f"unreadable answer: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
