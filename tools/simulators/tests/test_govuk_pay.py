"""The GOV.UK Pay simulator speaks Pay's API: auth, validation, idempotency, states, refunds, webhooks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from civic_simulators.govuk_pay import PaySimulatorSettings, create_app
from fastapi import FastAPI

pytestmark = pytest.mark.unit

KEY = {"Authorization": "Bearer sim-api-key"}
PAYMENT = {
    "amount": 3500,
    "reference": "WST-2026-000001",
    "description": "Bulky waste collection",
    "return_url": "https://council.example/payments/return/abc",
    "metadata": {"case_reference": "WST-2026-000001"},
}


@contextlib.asynccontextmanager
async def simulator(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = PaySimulatorSettings(
        webhook_urls=[],
        webhook_retry_scale=0.0005,
        refund_settle_s=0.01,
        expiry_sweep_interval_s=0.01,
        **overrides,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pay") as client,
    ):
        yield app, client


async def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := check()):
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.01)
    return result


async def test_the_api_key_is_required() -> None:
    async with simulator() as (_, pay):
        assert (await pay.post("/v1/payments", json=PAYMENT)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await pay.post("/v1/payments", json=PAYMENT, headers=wrong)).status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 0),
        ("amount", 10_000_001),
        ("description", "x" * 256),
        ("return_url", "not a url"),
        ("metadata", {f"k{i}": "v" for i in range(11)}),
        ("metadata", {"k" * 31: "v"}),
    ],
)
async def test_invalid_payments_are_refused_as_pay_refuses_them(field: str, value: Any) -> None:
    async with simulator() as (_, pay):
        response = await pay.post("/v1/payments", json={**PAYMENT, field: value}, headers=KEY)
        assert response.status_code == 422
        assert response.json()["code"] == "P0102" and response.json()["field"] == field


async def test_a_created_payment_has_a_next_url_and_can_be_looked_up() -> None:
    async with simulator() as (_, pay):
        created = await pay.post("/v1/payments", json=PAYMENT, headers=KEY)
        assert created.status_code == 201
        body = created.json()
        assert body["state"] == {"status": "created", "finished": False}
        assert body["_links"]["next_url"]["href"].startswith("http://127.0.0.1:8103/secure/")
        assert len(body["payment_id"]) == 26
        looked_up = await pay.get(f"/v1/payments/{body['payment_id']}", headers=KEY)
        assert looked_up.json()["amount"] == 3500
        assert (await pay.get("/v1/payments/unknown", headers=KEY)).status_code == 404


async def test_the_idempotency_key_returns_the_first_payment_or_refuses_a_different_body() -> None:
    async with simulator() as (_, pay):
        headers = {**KEY, "Idempotency-Key": "request-1"}
        first = await pay.post("/v1/payments", json=PAYMENT, headers=headers)
        again = await pay.post("/v1/payments", json=PAYMENT, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["payment_id"] == again.json()["payment_id"]
        other = await pay.post("/v1/payments", json={**PAYMENT, "amount": 1}, headers=headers)
        assert other.status_code == 409


async def test_the_hosted_page_takes_the_resident_back_to_the_return_url() -> None:
    async with simulator() as (_, pay):
        body = (await pay.post("/v1/payments", json=PAYMENT, headers=KEY)).json()
        page_path = httpx.URL(body["_links"]["next_url"]["href"]).path
        page = await pay.get(page_path)
        assert page.status_code == 200 and "£35.00" in page.text
        state = (await pay.get(f"/v1/payments/{body['payment_id']}", headers=KEY)).json()["state"]
        assert state["status"] == "started"
        done = await pay.post(f"{page_path}/cancel")
        assert done.status_code == 303 and done.headers["location"] == PAYMENT["return_url"]
        state = (await pay.get(f"/v1/payments/{body['payment_id']}", headers=KEY)).json()["state"]
        assert state == {
            "status": "failed",
            "finished": True,
            "code": "P0030",
            "message": "Payment was cancelled by the user",
        }


async def test_an_unpaid_payment_expires() -> None:
    async with simulator(expiry_s=0.05) as (_, pay):
        body = (await pay.post("/v1/payments", json=PAYMENT, headers=KEY)).json()

        async def expired() -> bool:
            response = await pay.get(f"/v1/payments/{body['payment_id']}", headers=KEY)
            return bool(response.json()["state"].get("code") == "P0020")

        deadline = asyncio.get_running_loop().time() + 10
        while not await expired():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)


async def test_refunds_need_the_current_amount_available() -> None:
    async with simulator() as (_, pay):
        body = (await pay.post("/v1/payments", json=PAYMENT, headers=KEY)).json()
        payment_id = body["payment_id"]
        refunds = f"/v1/payments/{payment_id}/refunds"
        not_paid = await pay.post(
            refunds, json={"amount": 100, "refund_amount_available": 3500}, headers=KEY
        )
        assert not_paid.status_code == 400 and not_paid.json()["code"] == "P0603"
        await pay.post(f"/_sim/payments/{payment_id}/outcome", json={"outcome": "success"})

        first = await pay.post(
            refunds, json={"amount": 1000, "refund_amount_available": 3500}, headers=KEY
        )
        assert first.status_code == 202 and first.json()["status"] == "submitted"
        stale = await pay.post(
            refunds, json={"amount": 1000, "refund_amount_available": 3500}, headers=KEY
        )
        assert stale.status_code == 412 and stale.json()["code"] == "P0604"
        too_much = await pay.post(
            refunds, json={"amount": 2501, "refund_amount_available": 2500}, headers=KEY
        )
        assert too_much.status_code == 400

        async def settled() -> bool:
            listed = (await pay.get(refunds, headers=KEY)).json()["_embedded"]["refunds"]
            return [r["status"] for r in listed] == ["success"]

        deadline = asyncio.get_running_loop().time() + 10
        while not await settled():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        summary = (await pay.get(f"/v1/payments/{payment_id}", headers=KEY)).json()[
            "refund_summary"
        ]
        assert summary == {
            "status": "available",
            "amount_available": 2500,
            "amount_submitted": 1000,
        }


async def test_the_retry_ladder_is_pays_compressed_by_the_setting() -> None:
    settings = PaySimulatorSettings(webhook_retry_scale=0.001)
    assert settings.retry_delays() == pytest.approx([0.06, 0.3, 3.6, 86.4, 172.8])
    from_env = PaySimulatorSettings.from_env(
        {"GOVUK_PAY_SIM_PORT": "9000", "GOVUK_PAY_SIM_WEBHOOK_URLS": "http://a,http://b"}
    )
    assert from_env.webhook_urls == ["http://a", "http://b"]
    assert (from_env.port, from_env.public_url) == (9000, "http://127.0.0.1:9000")
