"""The waste contractor simulator's API."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from civic_simulators.waste_contractor import create_app

pytestmark = pytest.mark.unit


async def test_collections_need_the_api_key_and_follow_the_property_round() -> None:
    app = create_app(api_key="k", today=date(2026, 11, 26))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        assert (await c.get("/api/v1/properties/123/collections")).status_code == 401
        response = await c.get(
            "/api/v1/properties/123/collections",
            params={"bin_type": "refuse"},
            headers={"X-Api-Key": "k"},
        )
        assert response.status_code == 200
        body = response.json()
        dates = [date.fromisoformat(c["scheduled_date"]) for c in body["collections"]]
        assert len({d.weekday() for d in dates}) == 1 and dates == sorted(dates)
        assert {c["round_id"] for c in body["collections"]} == {body["round_id"]}
        unknown = await c.get("/api/v1/properties/0123/collections", headers={"X-Api-Key": "k"})
        assert unknown.status_code == 404


async def test_the_latest_collection_can_be_set_for_a_test() -> None:
    app = create_app(api_key="k")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        put = await c.put(
            "/_simulator/properties/42/collections",
            json={"bin_type": "garden", "scheduled_date": "2026-11-20", "status": "not_presented"},
        )
        assert put.status_code == 204
        body = (
            await c.get(
                "/api/v1/properties/42/collections",
                params={"bin_type": "garden"},
                headers={"X-Api-Key": "k"},
            )
        ).json()
        assert [(x["scheduled_date"], x["status"]) for x in body["collections"]] == [
            ("2026-11-20", "not_presented")
        ]
        assert "recorded_at" in body["collections"][0]
