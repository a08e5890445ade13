"""Intake's test fixtures: the service in-process on real Kafka and PostgreSQL, the waste
contractor simulator on a real loopback port, and API clients."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parent))

from intake_factories import IntakeHarness


@pytest.fixture
async def waste_simulator_url() -> AsyncIterator[str]:
    from civic_simulators.waste_contractor import create_app as create_simulator

    config = uvicorn.Config(
        create_simulator(api_key="sim-key"),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


IntakeStarter = Callable[..., AbstractAsyncContextManager[IntakeHarness]]


@pytest.fixture
def start_intake(
    database_url: str, topic_prefix: str, infrastructure: Any, waste_simulator_url: str
) -> IntakeStarter:
    """`start_intake(**settings)`: an instance of intake on this test's database; two started
    at once are two instances sharing it."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[IntakeHarness]:
        from intake.bootstrap import create_app
        from intake.config import IntakeSettings

        values: dict[str, Any] = {
            "environment": "test",
            "database_url": database_url,
            "kafka_bootstrap_servers": infrastructure.kafka_bootstrap_servers,
            "topic_prefix": topic_prefix,
            "log_json": False,
            "waste_contractor_url": waste_simulator_url,
            # Tests that purge call it themselves: a background round would race their counts.
            "idempotency_purge_enabled": False,
            # Every request of a test comes from one address: the tests of the limits set them.
            "form_submissions_per_address_per_hour": 0,
            "open311_requests_per_address_per_hour": 0,
            **overrides,
        }
        app = create_app(IntakeSettings(**values))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
            httpx.AsyncClient(base_url=waste_simulator_url) as simulator,
        ):
            yield IntakeHarness(
                app=app, client=client, simulator=simulator, topic_prefix=topic_prefix
            )

    return start


@pytest.fixture
async def intake(start_intake: IntakeStarter) -> AsyncIterator[IntakeHarness]:
    async with start_intake() as harness:
        yield harness
