"""The planning back office moves applications on and reports each step to intake, in order."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from civic_events.planning import ApplicationReceived, ConsultationStarted, DecisionIssued
from civic_simulators.district import generate, write
from civic_simulators.planning_backoffice import PlanningSimulatorSettings, create_app
from civic_simulators.planning_backoffice.office import PlanningOffice
from fastapi import FastAPI
from simulator_receivers import IntakeReceiver, reporting_to, started

pytestmark = pytest.mark.integration

STEPS = ["ApplicationReceived", "ApplicationValidated", "ConsultationStarted", "DecisionIssued"]


def application(**overrides: Any) -> dict[str, Any]:
    body = {
        "reference": "26/00123/HOU",
        "application_type": "householder",
        "proposal": "Single storey rear extension",
        "site": {
            "uprn": "100061000001",
            "address": "1 Church Road, Epsom, KT17 1AA",
            "latitude": 51.336,
            "longitude": -0.267,
        },
        "applicant": {"name": "Ivy Thompson", "email": "ivy.thompson@example.com"},
        "agent": {
            "name": "Wey Valley Architects",
            "email": "wey.valley.architects@example.org",
            "phone": "+447700900456",
        },
    }
    body.update(overrides)
    return body


@contextlib.asynccontextmanager
async def back_office(
    receiver: IntakeReceiver | None = None, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, PlanningOffice]]:
    options: dict[str, Any] = {"step_after_s": 0.02, "retry_base_s": 0.01}
    app: FastAPI = create_app(
        PlanningSimulatorSettings(**(options | reporting_to(receiver) | overrides))
    )
    async with started(app) as client:
        yield client, app.state.office


async def test_an_application_goes_through_every_step_in_order_each_reported_signed(
    intake_receiver: IntakeReceiver,
) -> None:
    async with back_office(intake_receiver) as (client, office):
        created = await client.post("/_simulator/applications", json=application())
        assert created.status_code == 201, created.text
        assert created.json()["stage"] == "received"
        await office.settle()
        decided = await client.get("/api/v1/applications/26/00123/HOU")
        reports = (await client.get("/_simulator/reports")).json()
    assert intake_receiver.refused == []
    assert intake_receiver.types("26/00123/HOU") == STEPS
    assert {r.system for r in intake_receiver.received} == {"planning"}
    received, _, consultation, decision = (r.event for r in intake_receiver.received)
    assert isinstance(received, ApplicationReceived)
    assert received.site.coordinates is not None and received.site.uprn == "100061000001"
    assert received.agent is not None and received.agent.phone == "+447700900456"
    assert isinstance(consultation, ConsultationStarted)
    assert consultation.site_uprn == "100061000001"
    assert consultation.site_coordinates is not None
    assert (consultation.site_coordinates.latitude, consultation.site_coordinates.longitude) == (
        51.336,
        -0.267,
    )
    assert (consultation.ends_on - consultation.starts_on).days == 21
    assert isinstance(decision, DecisionIssued) and decision.decision == "granted"
    body = decided.json()
    assert (body["stage"], body["decision"]) == ("decided", "granted")
    assert "applicant" not in body and "agent" not in body  # the public register's view
    assert [h["stage"] for h in body["history"]] == [
        "received",
        "validated",
        "consultation",
        "awaiting_decision",
        "decided",
    ]
    assert [r["status"] for r in reports] == ["delivered"] * 4


async def test_a_refusal_and_a_generated_reference(intake_receiver: IntakeReceiver) -> None:
    async with back_office(intake_receiver) as (client, office):
        created = await client.post(
            "/_simulator/applications",
            json=application(reference=None, application_type="full", decision="refused"),
        )
        await office.settle()
    reference = created.json()["reference"]
    assert reference.endswith("/FUL")
    assert intake_receiver.types(reference) == STEPS
    decision = intake_receiver.received[-1].event
    assert isinstance(decision, DecisionIssued) and decision.decision == "refused"


@pytest.mark.unit
async def test_stages_can_be_read_while_in_progress_and_bad_requests_are_problems() -> None:
    async with back_office(step_after_s=60) as (client, _):
        assert (await client.post("/_simulator/applications", json=application())).is_success
        current = await client.get("/api/v1/applications/26%2F00123%2FHOU")
        duplicate = await client.post("/_simulator/applications", json=application())
        missing = await client.get("/api/v1/applications/26/99999/HOU")
        nowhere = await client.post(
            "/_simulator/applications", json=application(reference="26/1/HOU", site={})
        )
        bad = await client.post(
            "/_simulator/applications", json=application(applicant={"phone": "07700 900123"})
        )
        reports = (await client.get("/_simulator/reports")).json()
    assert current.json()["stage"] == "received"
    assert duplicate.status_code == 409 and missing.status_code == 404
    assert nowhere.status_code == 422 and bad.status_code == 422
    for problem in (duplicate, missing, nowhere, bad):
        assert problem.headers["content-type"] == "application/problem+json"
    assert [r["status"] for r in reports] == ["skipped"]  # no intake credentials configured


async def test_the_demo_starts_the_district_applications_on_a_timer(
    intake_receiver: IntakeReceiver, tmp_path: Path
) -> None:
    district = generate(seed=5, households=500, residents=10, applications=3)
    path = tmp_path / "district.json"
    write(district, path)
    async with back_office(
        intake_receiver, district_file=str(path), auto_every_s=0.02, step_after_s=0.01
    ) as (client, _):
        references = [a["reference"] for a in district["planning_applications"]]
        await intake_receiver.wait_for(
            lambda: all(intake_receiver.types(ref) == STEPS for ref in references)
        )
        first = (await client.get(f"/api/v1/applications/{references[0]}")).json()
    assert first["stage"] == "decided"
    assert intake_receiver.refused == []
