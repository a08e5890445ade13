"""`load-demo`: the demo district's residents become resident records, announced once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cases.entrypoints.demo_cli import load_demo
from cases.service_layer.demo_residents import demo_resident_id
from cases_factories import bearer, contact, form_submitted
from civic_events.residents import ContactPreferencesChanged, ResidentUpserted

pytestmark = pytest.mark.integration


def _district(residents: int) -> dict[str, Any]:
    households = [
        {
            "uprn": f"1000610{n:05d}",
            "address": f"{n} Elm Road, Exampleton KT1 {n % 9}AB",
            "postcode": f"KT1 {n % 9}AB",
            "latitude": 51.3 + n / 10_000,
            "longitude": -0.3 - n / 10_000,
            "round_id": f"R{n % 3 + 1}",
        }
        for n in range(1, residents + 1)
    ]
    return {
        "seed": 7,
        "district": {"name": "Exampleton", "boundary": [[51.3, -0.3], [51.4, -0.3]]},
        "rounds": [{"round_id": "R1", "weekday": 0, "bin_types": ["refuse"]}],
        "households": households,
        "residents": [
            {
                "resident_key": f"demo-{n:05d}",
                "name": f"Demo Resident {n}",
                "email": f"demo{n}@example.org" if n % 4 else None,
                "phone": f"+4477009{n:05d}" if n % 2 else None,
                "uprn": households[n - 1]["uprn"],
                "preferred_channel": ["email", "sms", "push"][n % 3] if n % 4 else "sms",
                "case_updates": True,
                "disruption_alerts": n % 2 == 0,
                "planning_alerts": n % 5 == 0,
                "planning_alert_radius_metres": 500 if n % 5 == 0 else None,
            }
            for n in range(1, residents + 1)
        ],
        "planning_applications": [],
    }


async def _outbox(app: Any) -> list[str]:
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT event_type FROM outbox ORDER BY id"))
        return [row.event_type.split(".")[-2] for row in rows]


async def test_demo_residents_are_loaded_once_and_changes_announced(
    kit: Any, tmp_path: Path
) -> None:
    district = _district(12)
    # Someone already reported a missed bin with demo resident 1's email.
    district["residents"][0]["email"] = "taken@example.org"
    path = tmp_path / "district.json"
    path.write_text(json.dumps(district))
    taken = form_submitted(contact=contact(email="taken@example.org"))
    settings = kit.settings()
    async with kit.running(consumer_enabled=True, outbox_enabled=False) as (app, client):
        await kit.open_case(app, taken)
        first = await load_demo(settings, path, batch_size=5, show_progress=False)
        assert (first.created, first.updated, first.unchanged) == (12, 0, 0)
        events = await _outbox(app)
        assert events.count("ResidentUpserted") == 12 + 1  # and the reporter of the missed bin
        assert events.count("ContactPreferencesChanged") == 12

        # Unchanged: nothing announced.
        second = await load_demo(settings, path, batch_size=5, show_progress=False)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 12)
        assert len(await _outbox(app)) == len(events)

        # Only the resident whose radius changed is announced, and only their preferences.
        district["residents"][4]["planning_alert_radius_metres"] = 1000
        path.write_text(json.dumps(district))
        third = await load_demo(settings, path, batch_size=5, show_progress=False)
        assert (third.updated, third.unchanged) == (1, 11)
        assert (await _outbox(app))[len(events) :] == ["ContactPreferencesChanged"]

        five = demo_resident_id("demo-00005")
        assert five == uuid.uuid5(uuid.NAMESPACE_URL, "civic-events:demo-resident:demo-00005")
        record = (await client.get(f"/v1/residents/{five}", headers=bearer("waste-lead"))).json()
        assert record["planning_alerts"] is True
        assert record["planning_alert_radius_metres"] == 1000
        assert record["collection_round_ids"] == ["R3"]
        assert (record["home_latitude"], record["home_longitude"]) == (51.3005, -0.3005)
        assert record["address"] == "5 Elm Road, Exampleton KT1 5AB"
        one = (
            await client.get(
                f"/v1/residents/{demo_resident_id('demo-00001')}", headers=bearer("waste-lead")
            )
        ).json()
        assert one["email"] is None and one["preferred_channel"] == "sms"

    # The relay announces them on residents.v1, with homes and rounds.
    async with kit.running():
        published = await kit.events("residents.v1", 12 + 1 + 12 + 1)
    upserted = {e.resident_id: e for e in published if isinstance(e, ResidentUpserted)}
    assert upserted[five].home_coordinates is not None
    assert upserted[five].home_coordinates.latitude == 51.3005
    assert upserted[five].collection_round_ids == ("R3",)
    radii = [
        e.planning_alert_radius_metres
        for e in published
        if isinstance(e, ContactPreferencesChanged) and e.resident_id == five
    ]
    assert radii == [500, 1000]


async def load_demo_command(*argv: str, database_url: str) -> tuple[int, str, str]:
    environment = {**os.environ, "CASES_DATABASE_URL": database_url, "CASES_ENVIRONMENT": "test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cases",
        "load-demo",
        *argv,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_line_loads_and_prints_its_counts(kit: Any, tmp_path: Path) -> None:
    path = tmp_path / "district.json"
    path.write_text(json.dumps(_district(3)))
    code, out, err = await load_demo_command(
        str(path), "--batch-size", "2", database_url=kit.database_url
    )
    assert code == 0, err
    # Not a terminal, and done within seconds: no progress lines (they come every 10 s).
    assert "Traceback" not in err
    assert json.loads(out) == {
        "file": str(path),
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "erased": 0,
    }


async def test_bad_input_and_a_database_down_are_one_line_and_exit_status_2(
    kit: Any, tmp_path: Path
) -> None:
    path = tmp_path / "district.json"
    path.write_text(json.dumps(_district(1)))
    down = "postgresql+asyncpg://civic:civic@127.0.0.1:1/cases"
    for argv, database_url, expected in (
        ([str(tmp_path / "absent.json")], kit.database_url, "absent.json not found"),
        ([str(path), "--batch-size", "0"], kit.database_url, "argument --batch-size: wants"),
        ([str(path)], down, "cannot reach PostgreSQL at 127.0.0.1:1/cases"),
    ):
        code, out, err = await load_demo_command(*argv, database_url=database_url)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert err.startswith("cases load-demo: error: ") and expected in err, err
