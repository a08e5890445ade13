"""The waste contractor simulator's HTTP API (see the package docstring)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Header, HTTPException, Path, Query
from pydantic import BaseModel

BinType = Literal["refuse", "recycling", "garden", "food", "glass"]
Status = Literal["scheduled", "completed", "missed", "not_presented"]
LONDON = ZoneInfo("Europe/London")


class CollectionOverride(BaseModel):
    bin_type: BinType
    scheduled_date: date
    status: Status


def _round_for(uprn: str) -> tuple[str, int]:
    """A property's round and weekday (Mon=0..Fri=4), stable for a UPRN."""
    digest = int(hashlib.sha256(uprn.encode()).hexdigest(), 16)
    weekday = digest % 5
    return f"R{weekday + 1}{digest % 7 + 1:02d}", weekday


def _collection(uprn: str, round_id: str, bin_type: str, day: date, status: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "job_reference": f"JOB-{day:%Y%m%d}-{uprn}-{bin_type}",
        "bin_type": bin_type,
        "round_id": round_id,
        "scheduled_date": day.isoformat(),
        "status": status,
    }
    stamp = datetime.combine(day, time(9, 30), LONDON).astimezone(UTC).isoformat()
    if status == "completed":
        item["completed_at"] = stamp
    elif status in ("not_presented", "missed"):
        item["recorded_at"] = stamp
    return item


def create_app(*, api_key: str = "sim-key", today: date | None = None) -> FastAPI:
    app = FastAPI(title="Waste contractor system (simulator)", version="1.0")
    overrides: dict[tuple[str, str], CollectionOverride] = {}

    def check_key(key: str | None) -> None:
        if key != api_key:
            raise HTTPException(401, "invalid or missing X-Api-Key")

    @app.get("/api/v1/properties/{uprn}/collections")
    async def collections(
        uprn: Annotated[str, Path(pattern=r"^[0-9]{1,12}$")],
        bin_type: Annotated[BinType | None, Query()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        check_key(x_api_key)
        if uprn.startswith("0"):
            raise HTTPException(404, "unknown property")
        round_id, weekday = _round_for(uprn)
        now = today or datetime.now(LONDON).date()
        last = now - timedelta(days=(now.weekday() - weekday) % 7)
        items: list[dict[str, Any]] = []
        for kind in [bin_type] if bin_type else ["refuse", "recycling", "garden", "food", "glass"]:
            override = overrides.get((uprn, kind))
            if override is not None:
                items.append(
                    _collection(uprn, round_id, kind, override.scheduled_date, override.status)
                )
                continue
            for day, status in (
                (last - timedelta(days=7), "completed"),
                (last, "completed" if last < now else "scheduled"),
                (last + timedelta(days=7), "scheduled"),
            ):
                items.append(_collection(uprn, round_id, kind, day, status))
        return {"uprn": uprn, "round_id": round_id, "collections": items}

    @app.put("/_simulator/properties/{uprn}/collections", status_code=204)
    async def set_collection(uprn: str, override: CollectionOverride) -> None:
        overrides[(uprn, override.bin_type)] = override

    @app.post("/_simulator/reset", status_code=204)
    async def reset() -> None:
        overrides.clear()

    return app
