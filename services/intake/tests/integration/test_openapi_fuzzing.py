"""Schemathesis against intake's OpenAPI, on a real port with real PostgreSQL and Kafka:
whatever the input (valid or not), no answer is a server error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 30


def fuzz(openapi: dict[str, Any], base_url: str) -> list[str]:
    schema = schemathesis.openapi.from_dict(openapi)
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                nonlocal calls
                response = case.call(base_url=base_url, timeout=30)
                calls += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:300]}"
                    )

            try:
                call()
            except Unsatisfiable:
                # No invalid input exists for an operation without parameters.
                assert mode is GenerationMode.NEGATIVE
    assert calls > 100, calls
    return failures


async def test_no_input_produces_a_server_error(
    database_url: str, topic_prefix: str, infrastructure: Any, waste_simulator_url: str
) -> None:
    from intake.bootstrap import create_app
    from intake.config import IntakeSettings

    app = create_app(
        IntakeSettings(
            environment="test",
            database_url=database_url,
            kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
            topic_prefix=topic_prefix,
            log_json=False,
            log_level="WARNING",
            waste_contractor_url=waste_simulator_url,
        )
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        failures = await asyncio.to_thread(fuzz, app.openapi(), f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
    assert failures == []
