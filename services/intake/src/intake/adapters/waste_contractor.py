"""The waste contractor's system, over its REST API (see civic_simulators.waste_contractor).

`GET /api/v1/properties/{uprn}/collections?bin_type=<bin>` with header `X-Api-Key` answers the
property's recent and next collections; we take the latest one due on or before today.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import httpx

from intake.domain.eligibility import Collection


class WasteContractorUnavailable(Exception):
    """The contractor's system did not answer usefully: we cannot decide eligibility now."""


class WasteContractor(Protocol):
    async def latest_collection(
        self, *, uprn: str, bin_type: str, today: date
    ) -> Collection | None: ...


class HttpWasteContractor:
    def __init__(self, *, base_url: str, api_key: str, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, headers={"X-Api-Key": api_key}, timeout=timeout_s
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def latest_collection(
        self, *, uprn: str, bin_type: str, today: date
    ) -> Collection | None:
        try:
            response = await self._client.get(
                f"/api/v1/properties/{uprn}/collections", params={"bin_type": bin_type}
            )
        except httpx.HTTPError as exc:
            raise WasteContractorUnavailable(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise WasteContractorUnavailable(f"HTTP {response.status_code}")
        try:
            collections = [
                Collection(
                    uprn=uprn,
                    bin_type=item["bin_type"],
                    scheduled_date=date.fromisoformat(item["scheduled_date"]),
                    status=item["status"],
                    round_id=item.get("round_id"),
                    job_reference=item.get("job_reference"),
                )
                for item in response.json()["collections"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise WasteContractorUnavailable("unreadable answer") from exc
        due = [c for c in collections if c.bin_type == bin_type and c.scheduled_date <= today]
        return max(due, key=lambda c: c.scheduled_date) if due else None
