"""A stand-in for intake's back-office webhook on a real loopback port, which checks each request
with intake's own signature and report rules, and the ways the back-office simulators' tests start
a simulator that reports to it (imported by the simulators' tests)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from civic_events.base import Event
from fastapi import FastAPI, Request, Response
from intake.domain.signatures import verify
from intake.service_layer.backoffice import parse_reports

API_KEY = "ik_simulator-test-key"
SIGNING_SECRET = "whsec_simulator-test-secret"


@dataclass
class Received:
    system: str
    report: dict[str, Any]
    event: Event
    signature: str


@dataclass
class IntakeReceiver:
    """Answers 202 to good reports; `fail_next` answers that many requests with 503 first."""

    url: str
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    fail_next: int = 0
    requests: int = 0

    def types(self, subject: str | None = None) -> list[str]:
        return [
            r.report["type"] for r in self.received if subject is None or r.event.subject == subject
        ]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
            await asyncio.sleep(0.01)


def _receiver_app(receiver: IntakeReceiver) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/backoffice/{system}/events")
    async def events(system: str, request: Request) -> Response:
        receiver.requests += 1
        if receiver.fail_next > 0:
            receiver.fail_next -= 1
            return Response(status_code=503)
        raw = await request.body()
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            receiver.refused.append((401, "api key"))
            return Response(status_code=401)
        signature = request.headers.get("intake-signature") or ""
        refused = verify(
            signature, secret=SIGNING_SECRET, body=raw, now=int(time.time()), tolerance_s=300
        )
        if refused is not None:
            receiver.refused.append((401, refused))
            return Response(status_code=401)
        body = json.loads(raw)
        reports = body.get("events", [body])
        events, errors = parse_reports(system, reports)
        if errors:
            receiver.refused.append((422, repr(errors)))
            return Response(status_code=422)
        for report, event in zip(reports, events, strict=True):
            receiver.received.append(Received(system, report, event, signature))
        return Response(status_code=202)

    return app


@asynccontextmanager
async def running_receiver() -> AsyncIterator[IntakeReceiver]:
    receiver = IntakeReceiver(url="")
    config = uvicorn.Config(
        _receiver_app(receiver), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


def reporting_to(receiver: IntakeReceiver | None) -> dict[str, Any]:
    """Settings that send a back-office simulator's reports to `receiver` (None: none are sent)."""
    if receiver is None:
        return {}
    return {
        "intake_url": receiver.url,
        "intake_api_key": API_KEY,
        "intake_signing_secret": SIGNING_SECRET,
    }


@asynccontextmanager
async def started(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A simulator's app with its lifespan running, and a client that calls it in process."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client,
    ):
        yield client
