"""Missed-bin eligibility asked of the waste contractor's system (the simulator, over HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from intake_factories import DEMO_COUNCIL, UPRN, IntakeHarness, london_today, submission

pytestmark = pytest.mark.integration


async def test_a_bin_the_crew_recorded_as_not_presented_cannot_be_reported(
    intake: IntakeHarness,
) -> None:
    await intake.set_collection(
        uprn=UPRN, bin_type="refuse", day=london_today(), status="not_presented"
    )
    check = await intake.client.get(
        "/v1/waste/missed-bin-eligibility", params={"uprn": UPRN, "bin_type": "refuse"}
    )
    assert check.json()["eligible"] is False and check.json()["reason"] == "not_presented"
    response = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin")
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("/missed-bin-not-eligible")
    assert response.json()["errors"][0]["rule"] == "eligibility.not_presented"


async def test_a_report_after_two_working_days_is_refused_and_within_them_accepted(
    intake: IntakeHarness,
) -> None:
    today = london_today()
    long_ago = today - timedelta(days=14)
    assert DEMO_COUNCIL.working_days.add(long_ago, 2) < today
    await intake.set_collection(uprn=UPRN, bin_type="refuse", day=long_ago, status="completed")
    late = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin")
    )
    assert late.status_code == 422 and late.json()["reason"] == "too_late"
    await intake.set_collection(uprn=UPRN, bin_type="refuse", day=today, status="completed")
    assert (
        await intake.client.post("/v1/forms/missed-bin/submissions", json=submission("missed-bin"))
    ).status_code == 202


async def test_the_contractor_unreachable_gives_503_not_a_guess(intake: IntakeHarness) -> None:
    from intake.adapters.waste_contractor import HttpWasteContractor

    state = intake.app.state.intake
    healthy = state.waste_contractor
    state.waste_contractor = HttpWasteContractor(
        base_url="http://127.0.0.1:1", api_key="x", timeout_s=1
    )
    try:
        response = await intake.client.post(
            "/v1/forms/missed-bin/submissions", json=submission("missed-bin")
        )
    finally:
        await state.waste_contractor.close()
        state.waste_contractor = healthy
    assert response.status_code == 503 and response.headers["retry-after"].isdigit()
