"""The waste contractor's work orders, its crews' reports to intake, disruptions, district rounds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from civic_events.waste import CollectionCompleted, ReturnVisitScheduled, ServiceDisruption
from civic_simulators.district import generate, write
from civic_simulators.waste_contractor import WasteSimulatorSettings, create_app
from civic_simulators.waste_contractor.contractor import Contractor
from fastapi import FastAPI
from simulator_receivers import IntakeReceiver, reporting_to, started

pytestmark = pytest.mark.integration

KEY = {"X-Api-Key": "k"}


def order(reference: str = "WST-2026-000123", uprn: str = "100061000001") -> dict[str, Any]:
    return {
        "council_reference": reference,
        "uprn": uprn,
        "bin_type": "refuse",
        "reported_at": "2026-11-27T08:15:00Z",
    }


@contextlib.asynccontextmanager
async def contractor(
    receiver: IntakeReceiver | None = None, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Contractor]]:
    options: dict[str, Any] = {
        "api_key": "k",
        "return_visit_after_s": 0.02,
        "collected_after_s": 0.02,
        "retry_base_s": 0.01,
    }
    app: FastAPI = create_app(
        WasteSimulatorSettings(**(options | reporting_to(receiver) | overrides))
    )
    async with started(app) as client:
        yield client, app.state.contractor


@pytest.mark.unit
async def test_a_work_order_is_idempotent_on_the_council_reference() -> None:
    async with contractor(return_visit_after_s=60) as (client, _):
        assert (await client.post("/api/v1/missed-collections", json=order())).status_code == 401
        first = await client.post("/api/v1/missed-collections", json=order(), headers=KEY)
        assert first.status_code == 201, first.text
        job = first.json()
        assert job["job_reference"].startswith("MC-")
        assert (job["council_reference"], job["status"]) == ("WST-2026-000123", "open")
        again = await client.post("/api/v1/missed-collections", json=order(), headers=KEY)
        assert again.status_code == 200 and again.json() == job
        other = await client.post(
            "/api/v1/missed-collections", json=order("WST-2026-000124"), headers=KEY
        )
        assert other.json()["job_reference"] != job["job_reference"]
        found = await client.get("/api/v1/missed-collections/WST-2026-000123", headers=KEY)
        assert found.status_code == 200 and found.json() == job
        # Collected on the round's day on or before the report (Friday 27 November).
        missed = date.fromisoformat(job["missed_collection_date"])
        assert missed <= date(2026, 11, 27) and (date(2026, 11, 27) - missed).days < 7


@pytest.mark.unit
async def test_unknown_jobs_and_bad_orders_are_problems() -> None:
    async with contractor(return_visit_after_s=60) as (client, _):
        missing = await client.get("/api/v1/missed-collections/WST-2026-999999", headers=KEY)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        bad = await client.post(
            "/api/v1/missed-collections",
            json=order() | {"uprn": "not-a-uprn", "reported_at": "2026-11-27T08:15:00"},
            headers=KEY,
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert {e["field"] for e in bad.json()["errors"]} == {"body.uprn", "body.reported_at"}
        unknown = await client.post(
            "/api/v1/missed-collections", json=order(uprn="0123"), headers=KEY
        )
        assert unknown.status_code == 422


async def test_the_crew_books_a_return_visit_then_collects_reporting_each_step_signed(
    intake_receiver: IntakeReceiver,
) -> None:
    async with contractor(intake_receiver) as (client, crew):
        job = (await client.post("/api/v1/missed-collections", json=order(), headers=KEY)).json()
        await crew.settle()
        done = (await client.get("/api/v1/missed-collections/WST-2026-000123", headers=KEY)).json()
        reports = (await client.get("/_simulator/reports")).json()
    assert intake_receiver.refused == []
    assert intake_receiver.types("WST-2026-000123") == [
        "ReturnVisitScheduled",
        "CollectionCompleted",
    ]
    visit, collected = (r.event for r in intake_receiver.received)
    assert isinstance(visit, ReturnVisitScheduled) and isinstance(collected, CollectionCompleted)
    assert visit.job_reference == collected.job_reference == job["job_reference"]
    assert visit.uprn == "100061000001" and visit.round_id == job["round_id"]
    assert visit.missed_collection_date.isoformat() == job["missed_collection_date"]
    assert collected.return_visit is True
    assert collected.collection_date == visit.scheduled_for
    assert done["status"] == "completed"
    assert [r["status"] for r in reports] == ["delivered", "delivered"]


async def test_not_presented_and_no_show_properties(intake_receiver: IntakeReceiver) -> None:
    async with contractor(intake_receiver) as (client, crew):
        for reference, uprn in (
            ("WST-2026-000013", "100061000113"),
            ("WST-2026-000099", "100061000199"),
        ):
            response = await client.post(
                "/api/v1/missed-collections", json=order(reference, uprn), headers=KEY
            )
            assert response.status_code == 201
        await crew.settle()
        no_show = await client.get("/api/v1/missed-collections/WST-2026-000099", headers=KEY)
    assert intake_receiver.types("WST-2026-000013") == ["ReturnVisitScheduled", "BinNotPresented"]
    assert intake_receiver.types("WST-2026-000099") == ["ReturnVisitScheduled"]
    assert no_show.json()["status"] == "return_visit_scheduled"


async def test_a_failing_intake_gets_the_report_again_until_it_answers(
    intake_receiver: IntakeReceiver,
) -> None:
    intake_receiver.fail_next = 2
    async with contractor(intake_receiver, collected_after_s=0.001) as (client, crew):
        await client.post("/api/v1/missed-collections", json=order(), headers=KEY)
        await crew.settle()
        reports = (await client.get("/_simulator/reports")).json()
    assert intake_receiver.types() == ["ReturnVisitScheduled", "CollectionCompleted"]
    assert [a["status"] for a in reports[0]["attempts"]] == [503, 503, 202]


async def test_without_intake_credentials_the_crew_works_and_reports_are_skipped() -> None:
    async with contractor() as (client, crew):
        await client.post("/api/v1/missed-collections", json=order(), headers=KEY)
        await crew.settle()
        reports = (await client.get("/_simulator/reports")).json()
        job = (await client.get("/api/v1/missed-collections/WST-2026-000123", headers=KEY)).json()
    assert [r["status"] for r in reports] == ["skipped", "skipped"]
    assert job["status"] == "completed"


async def test_a_disruption_is_reported_for_a_round_of_the_district(
    intake_receiver: IntakeReceiver, tmp_path: Path
) -> None:
    district = generate(seed=5, households=2_000, residents=10)
    path = tmp_path / "district.json"
    write(district, path)
    round_ = district["rounds"][0]
    home = next(h for h in district["households"] if h["round_id"] == round_["round_id"])
    async with contractor(intake_receiver, district_file=str(path)) as (client, crew):
        sent = await client.post(
            "/_simulator/disruptions",
            json={"round_id": round_["round_id"], "reason": "weather"},
        )
        unknown = await client.post(
            "/_simulator/disruptions", json={"round_id": "R999", "reason": "weather"}
        )
        await crew.settle()
        collections = await client.get(
            f"/api/v1/properties/{home['uprn']}/collections", headers=KEY
        )
        stranger = await client.get("/api/v1/properties/123/collections", headers=KEY)
        not_ours = await client.post(
            "/api/v1/missed-collections", json=order(uprn="123"), headers=KEY
        )
    assert sent.status_code == 202 and unknown.status_code == 404
    (disruption,) = (r.event for r in intake_receiver.received)
    assert isinstance(disruption, ServiceDisruption)
    assert disruption.subject == disruption.round_id == round_["round_id"]
    assert (disruption.cause, disruption.status) == ("weather", "started")
    assert list(disruption.bin_types) == round_["bin_types"]
    assert disruption.affected_date == datetime.now(ZoneInfo("Europe/London")).date()
    assert disruption.public_message
    body = collections.json()
    assert body["round_id"] == round_["round_id"]
    weekdays = {date.fromisoformat(c["scheduled_date"]).weekday() for c in body["collections"]}
    assert weekdays == {round_["weekday"]}
    assert stranger.status_code == 404 and not_ours.status_code == 422
