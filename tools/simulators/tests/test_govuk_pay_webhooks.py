"""The GOV.UK Pay simulator's webhooks over loopback HTTP: signed, retried on Pay's ladder."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from civic_simulators.govuk_pay import PaySimulatorSettings, create_app
from fastapi import FastAPI, Request, Response

pytestmark = pytest.mark.integration

KEY = {"Authorization": "Bearer sim-api-key"}
PAYMENT = {
    "amount": 3500,
    "reference": "WST-2026-000001",
    "description": "Bulky waste collection",
    "return_url": "https://council.example/payments/return/abc",
}


@contextlib.asynccontextmanager
async def simulator(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = PaySimulatorSettings(webhook_retry_scale=0.0005, **overrides)
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_webhooks_are_signed_and_retried_on_the_ladder_until_answered() -> None:
    received: list[tuple[bytes, str | None]] = []
    receiver = FastAPI()

    @receiver.post("/webhooks")
    async def webhook(request: Request) -> Response:
        received.append((await request.body(), request.headers.get("pay-signature")))
        return Response(status_code=500 if len(received) <= 2 else 200)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.get_running_loop().create_task(server.serve())
    await wait_for(lambda: server.started)
    try:
        async with simulator(
            webhook_urls=[f"http://127.0.0.1:{port}/webhooks"], webhook_signing_secret="s3cret"
        ) as (_, pay):
            body = (await pay.post("/v1/payments", json=PAYMENT, headers=KEY)).json()
            await pay.post(
                f"/_sim/payments/{body['payment_id']}/outcome", json={"outcome": "success"}
            )
            await wait_for(lambda: len(received) >= 3)
            deliveries = (await pay.get("/_sim/webhooks")).json()
    finally:
        server.should_exit = True
        await task

    assert len({raw for raw, _ in received}) == 1  # the same bytes each time
    raw, signature = received[0]
    assert signature == hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    message = json.loads(raw)
    assert message["event_type"] == "card_payment_succeeded"
    assert message["resource_id"] == body["payment_id"]
    assert message["resource"]["state"]["status"] == "success"
    [delivery] = deliveries
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200] and delivery["delivered"]
