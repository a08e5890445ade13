"""Run the simulator in the current event loop on a free loopback port (for tests and benches)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn

from civic_simulators.govuk_notify.app import Simulator, SimulatorConfig, create_app


@dataclass(frozen=True)
class RunningSimulator:
    base_url: str
    simulator: Simulator

    def api_key(self, name: str = "test_key") -> str:
        """An API key as Notify issues them: `<name>-<service id>-<secret>`."""
        config = self.simulator.config
        return f"{name}-{config.service_id}-{config.secret}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def running(
    config: SimulatorConfig | None = None, *, port: int | None = None
) -> AsyncIterator[RunningSimulator]:
    app = create_app(config)
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.01)
    try:
        yield RunningSimulator(f"http://127.0.0.1:{port}", app.state.simulator)
    finally:
        server.should_exit = True
        await task
