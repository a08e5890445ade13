"""The catalogue: loaded from the files into the database on start, served by version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from intake.config import FORMS_DIR
from intake.domain.forms import InvalidFormDefinition
from intake_factories import UPRN, IntakeHarness, london_today, submission

pytestmark = pytest.mark.integration


async def test_forms_are_listed_and_served_by_version(intake: IntakeHarness) -> None:
    listed = (await intake.client.get("/v1/forms")).json()["forms"]
    assert len(listed) == 10
    assert {"id": "bulky-waste", "payment": True}.items() <= next(
        f for f in listed if f["id"] == "bulky-waste"
    ).items()
    current = (await intake.client.get("/v1/forms/missed-bin")).json()
    assert current["version"] == 1 and current["versions"] == [1]
    assert current["schema"]["$schema"].endswith("2020-12/schema")
    assert current["questions"][0]["name"] == "bin_type"
    assert (await intake.client.get("/v1/forms/missed-bin/versions/1")).json() == current
    assert (await intake.client.get("/v1/forms/missed-bin/versions/2")).status_code == 404
    assert (await intake.client.get("/v1/forms/no-such-form")).status_code == 404


async def _start(settings: Any) -> None:
    from intake.bootstrap import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def test_a_new_version_is_added_and_an_edited_published_version_is_refused(
    database_url: str, topic_prefix: str, infrastructure: Any, tmp_path: Path
) -> None:
    from intake.bootstrap import create_app
    from intake.config import IntakeSettings

    document = json.loads((FORMS_DIR / "street-cleansing.v1.json").read_text())
    (tmp_path / "street-cleansing.v1.json").write_text(json.dumps(document))
    settings = IntakeSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
        forms_dir=tmp_path,
    )
    await _start(settings)

    document_v2 = {**document, "version": 2, "title": "Report a street cleaning problem (v2)"}
    (tmp_path / "street-cleansing.v2.json").write_text(json.dumps(document_v2))
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        current = (await client.get("/v1/forms/street-cleansing")).json()
        assert (current["version"], current["versions"]) == (2, [1, 2])
        old = (await client.get("/v1/forms/street-cleansing/versions/1")).json()
        assert old["title"] == document["title"]

    document["title"] = "Edited in place"
    (tmp_path / "street-cleansing.v1.json").write_text(json.dumps(document))
    with pytest.raises(InvalidFormDefinition, match="publish a new version"):
        await _start(settings)


async def test_a_retry_is_replayed_even_after_the_missed_bin_window_has_closed(
    intake: IntakeHarness,
) -> None:
    await intake.set_collection(
        uprn=UPRN, bin_type="refuse", day=london_today(), status="completed"
    )
    headers = {"Idempotency-Key": "missed-bin-retry"}
    first = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin"), headers=headers
    )
    assert first.status_code == 202
    await intake.set_collection(
        uprn=UPRN, bin_type="refuse", day=london_today(), status="not_presented"
    )
    retry = await intake.client.post(
        "/v1/forms/missed-bin/submissions", json=submission("missed-bin"), headers=headers
    )
    assert retry.status_code == 202 and retry.json() == first.json()
