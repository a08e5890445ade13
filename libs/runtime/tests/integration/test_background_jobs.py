"""A service's background jobs run between its start-up and its shutdown, and a failing one is
logged without taking the service down."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from civic_runtime.app import ServiceRuntime, build_runtime, create_service
from civic_runtime.consumers import EventHandlers
from civic_runtime.periodic import PeriodicJob

pytestmark = pytest.mark.integration


class RecordingJob:
    """Notes when it starts and stops, and whether the runtime was running then."""

    def __init__(self, name: str, runtime: ServiceRuntime, seen: list[tuple[str, bool]]) -> None:
        self.name, self.runtime, self.seen = name, runtime, seen
        self.fails_to_stop = False

    def start(self) -> None:
        self.seen.append((f"{self.name} started", self.runtime.broker.running))

    async def stop(self) -> None:
        self.seen.append((f"{self.name} stopped", self.runtime.broker.running))
        if self.fails_to_stop:
            raise RuntimeError("stuck")


async def test_jobs_start_after_start_up_and_stop_before_shutdown_last_first(kit: Any) -> None:
    runtime = build_runtime(kit.settings(), handlers=EventHandlers())
    seen: list[tuple[str, bool]] = []

    async def start_up() -> None:
        seen.append(("start-up", runtime.broker.running))

    async def shut_down() -> None:
        seen.append(("shutdown", runtime.broker.running))

    app = create_service(
        runtime,
        title="test",
        description="background jobs",
        migrations_dir=Path("/nonexistent"),
        on_startup=[start_up],
        background=[RecordingJob("first", runtime, seen), RecordingJob("second", runtime, seen)],
        on_shutdown=[shut_down],
    )
    async with app.router.lifespan_context(app):
        assert seen == [("start-up", True), ("first started", True), ("second started", True)]
        seen.clear()

    assert seen == [("second stopped", True), ("first stopped", True), ("shutdown", False)]


async def test_a_failing_job_is_logged_and_the_service_carries_on(
    kit: Any, eventually: Any, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = build_runtime(kit.settings(), handlers=EventHandlers())
    rounds = {"failing": 0, "working": 0}

    async def failing_round() -> None:
        rounds["failing"] += 1
        raise RuntimeError("the gateway is down")

    async def working_round() -> None:
        rounds["working"] += 1

    seen: list[tuple[str, bool]] = []
    stuck = RecordingJob("stuck", runtime, seen)
    stuck.fails_to_stop = True
    app = create_service(
        runtime,
        title="test",
        description="background jobs",
        migrations_dir=Path("/nonexistent"),
        background=[
            PeriodicJob(name="failing", run_round=failing_round, interval_s=lambda: 0.01),
            stuck,
            PeriodicJob(name="working", run_round=working_round, interval_s=lambda: 0.01),
        ],
    )
    with caplog.at_level(logging.ERROR, logger="civic_runtime"):
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            # A failed round is logged and the next one comes anyway; the rest keeps running.
            await eventually(lambda: rounds["failing"] >= 3 and rounds["working"] >= 3)
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
            assert "failing round failed" in caplog.messages
        working_rounds = rounds["working"]

    # A job that cannot stop is logged; the jobs started before it and the runtime still stop.
    assert "RecordingJob did not stop cleanly" in caplog.messages
    assert seen == [("stuck started", True), ("stuck stopped", True)]
    assert not runtime.broker.running
    assert rounds["working"] == working_rounds
