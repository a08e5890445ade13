"""The waste contractor simulator's HTTP API (see the package docstring)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from civic_simulators.district import load
from civic_simulators.intake_reports import IntakeReporter
from civic_simulators.problems import install_problem_handlers, problem
from civic_simulators.waste_contractor.contractor import (
    LONDON,
    Contractor,
    Rounds,
    UnknownProperty,
    UnknownRound,
)
from civic_simulators.waste_contractor.rounds import ALL_BINS, DistrictRounds, HashRounds
from civic_simulators.waste_contractor.settings import WasteSimulatorSettings

BinType = Literal["refuse", "recycling", "garden", "food", "glass"]
Status = Literal["scheduled", "completed", "missed", "not_presented"]
UprnPath = Annotated[str, Path(pattern=r"^[0-9]{1,12}$")]
ApiKey = Annotated[str | None, Header()]


class CollectionOverride(BaseModel):
    bin_type: BinType
    scheduled_date: date
    status: Status


class MissedCollection(BaseModel):
    council_reference: str = Field(min_length=1, max_length=100)
    uprn: str = Field(pattern=r"^[0-9]{1,12}$")
    bin_type: BinType
    reported_at: AwareDatetime


class Disruption(BaseModel):
    round_id: str = Field(min_length=1, max_length=50)
    reason: Literal["weather", "industrial_action", "vehicle_breakdown", "road_closure", "other"]
    status: Literal["started", "updated", "resolved"] = "started"
    disruption_id: str | None = Field(default=None, min_length=1, max_length=100)
    affected_date: date | None = None
    bin_types: list[BinType] | None = Field(default=None, min_length=1)
    expected_recovery_date: date | None = None
    public_message: str | None = Field(default=None, min_length=1, max_length=1000)


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


def _rounds(settings: WasteSimulatorSettings) -> Rounds:
    if settings.district_file:
        return DistrictRounds(load(settings.district_file))
    return HashRounds()


def create_app(
    settings: WasteSimulatorSettings | None = None,
    *,
    api_key: str | None = None,
    today: date | None = None,
) -> FastAPI:
    settings = settings or WasteSimulatorSettings()
    key = api_key if api_key is not None else settings.api_key
    rounds = _rounds(settings)
    contractor = Contractor(
        settings=settings,
        rounds=rounds,
        reporter=IntakeReporter.from_settings(settings, path="/v1/backoffice/waste/events"),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await contractor.close()

    app = FastAPI(title="Waste contractor system (simulator)", version="1.0", lifespan=lifespan)
    app.state.contractor = contractor
    overrides: dict[tuple[str, str], CollectionOverride] = {}

    install_problem_handlers(app)

    def check_key(presented: str | None) -> None:
        if presented is None or not hmac.compare_digest(presented.encode(), key.encode()):
            raise HTTPException(401, "invalid or missing X-Api-Key")

    @app.get("/api/v1/properties/{uprn}/collections")
    async def collections(
        uprn: UprnPath,
        bin_type: Annotated[BinType | None, Query()] = None,
        x_api_key: ApiKey = None,
    ) -> dict[str, Any]:
        check_key(x_api_key)
        found = rounds.round_for(uprn)
        if found is None:
            raise HTTPException(404, "unknown property")
        round_id, weekday = found
        now = today or datetime.now(LONDON).date()
        last = now - timedelta(days=(now.weekday() - weekday) % 7)
        items: list[dict[str, Any]] = []
        for kind in [bin_type] if bin_type else list(ALL_BINS):
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

    @app.post("/api/v1/missed-collections", response_model=None)
    async def report_missed_collection(
        order: MissedCollection, x_api_key: ApiKey = None
    ) -> JSONResponse:
        check_key(x_api_key)
        try:
            work_order, created = contractor.open(
                council_reference=order.council_reference,
                uprn=order.uprn,
                bin_type=order.bin_type,
                reported_at=order.reported_at,
            )
        except UnknownProperty:
            return problem(422, "unknown property: no such UPRN on our rounds")
        return JSONResponse(work_order.public(), status_code=201 if created else 200)

    @app.get("/api/v1/missed-collections/{council_reference}")
    async def missed_collection(council_reference: str, x_api_key: ApiKey = None) -> dict[str, Any]:
        check_key(x_api_key)
        work_order = contractor.work_orders.get(council_reference)
        if work_order is None:
            raise HTTPException(404, "no work order for this council reference")
        return work_order.public()

    @app.put("/_simulator/properties/{uprn}/collections", status_code=204)
    async def set_collection(uprn: str, override: CollectionOverride) -> None:
        overrides[(uprn, override.bin_type)] = override

    @app.post("/_simulator/reset", status_code=204)
    async def reset() -> None:
        overrides.clear()

    @app.post("/_simulator/disruptions", status_code=202)
    async def disrupt(disruption: Disruption) -> dict[str, Any]:
        try:
            report = contractor.disruption(
                round_id=disruption.round_id,
                cause=disruption.reason,
                status=disruption.status,
                affected_date=disruption.affected_date,
                bin_types=list(disruption.bin_types) if disruption.bin_types else None,
                expected_recovery_date=disruption.expected_recovery_date,
                public_message=disruption.public_message,
                disruption_id=disruption.disruption_id,
            )
        except UnknownRound as exc:
            raise HTTPException(404, "unknown round") from exc
        return report.public()

    @app.get("/_simulator/reports")
    async def reports() -> list[dict[str, Any]]:
        return [report.public() for report in contractor.reporter.reports]

    return app
