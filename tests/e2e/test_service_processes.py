"""The four services as separate processes, started the way `make run` starts them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import httpx
import pytest
from e2e_platform import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVICES = ["intake", "cases", "notify", "payments"]


async def test_each_service_runs_as_a_process_becomes_ready_and_stops_gracefully_on_sigterm(
    new_database: Any, topic_prefix: str, infrastructure: Any, eventually: Any
) -> None:
    processes: dict[str, tuple[asyncio.subprocess.Process, int]] = {}
    for service in SERVICES:
        port, prefix = free_port(), service.upper()
        env = {
            **os.environ,
            f"{prefix}_DATABASE_URL": await new_database(),
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
            f"{prefix}_TOPIC_PREFIX": topic_prefix,
            f"{prefix}_HTTP_PORT": str(port),
            f"{prefix}_ENVIRONMENT": "test",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", service, "serve", env=env, stderr=asyncio.subprocess.PIPE
        )
        processes[service] = (process, port)

    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            for process, port in processes.values():

                async def ready(port: int = port, process: Any = process) -> bool:
                    assert process.returncode is None, "the service exited"
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/readyz")
                    except httpx.TransportError:
                        return False
                    return response.status_code == 200

                await eventually(ready, timeout=60, interval=0.2)
    finally:
        for process, _ in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        outputs = {
            service: (await asyncio.wait_for(process.communicate(), timeout=30))[1].decode()
            for service, (process, _) in processes.items()
        }

    for service, (process, _) in processes.items():
        # uvicorn finishes the graceful shutdown, then re-raises SIGTERM so the exit status says
        # why the process ended: -SIGTERM here is the clean path (a crash would be 1).
        assert process.returncode in (0, -signal.SIGTERM), outputs[service][-2000:]
        lines = [json.loads(line) for line in outputs[service].splitlines() if line.startswith("{")]
        messages = [line["message"] for line in lines if line.get("service") == service]
        assert f"{service} started" in messages and f"{service} stopped" in messages
        assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
