"""Intake serves the council its profile names: its reference prefixes and its name, from a file."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from civic_runtime.council import DEMO_COUNCIL_FILE
from intake_factories import IntakeHarness, fly_tip_request, submission

pytestmark = pytest.mark.integration


@pytest.fixture
async def epsom_intake(
    tmp_path: Path,
    database_url: str,
    topic_prefix: str,
    infrastructure: Any,
    waste_simulator_url: str,
) -> AsyncIterator[IntakeHarness]:
    from intake.bootstrap import create_app
    from intake.config import IntakeSettings

    profile = DEMO_COUNCIL_FILE.read_text().replace(
        'name = "Wey and Mole Valley District Council (demo)"', 'name = "Epsom Demo Council"'
    )
    profile = profile.replace('WST = "WST"', 'WST = "EPW"').replace('ENV = "ENV"', 'ENV = "EPE"')
    (tmp_path / "council.toml").write_text(profile)
    shutil.copy(DEMO_COUNCIL_FILE.parent / "boundary.geojson", tmp_path / "boundary.geojson")
    settings = IntakeSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
        waste_contractor_url=waste_simulator_url,
        idempotency_purge_enabled=False,
        council_file=tmp_path / "council.toml",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        httpx.AsyncClient(base_url=waste_simulator_url) as simulator,
    ):
        yield IntakeHarness(app=app, client=client, simulator=simulator, topic_prefix=topic_prefix)


async def test_references_and_the_agency_are_the_councils_own(epsom_intake: IntakeHarness) -> None:
    client = epsom_intake.client
    web = await client.post(
        "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
    )
    assert web.status_code == 202, web.text
    assert web.json()["reference"].startswith("EPE-")
    status = await client.get(
        web.json()["status_url"],
        headers={"Authorization": f"Bearer {web.json()['status_token']}"},
    )
    assert status.status_code == 200

    fixmystreet = await epsom_intake.create_client("fixmystreet", ["open311"])
    created = await client.post(
        "/open311/v2/requests.json", data=fly_tip_request(fixmystreet.api_key)
    )
    assert created.status_code == 201, created.text
    reference = created.json()[0]["service_request_id"]
    assert reference.startswith("EPE-")
    item = (await client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
    assert item["agency_responsible"] == "Epsom Demo Council"

    enquiry = await client.post(
        "/v1/forms/general-enquiry/submissions", json=submission("general-enquiry")
    )
    assert enquiry.json()["reference"].startswith("ENQ-")  # a family not renamed keeps its code
