"""Readiness tells the truth when a dependency is gone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from intake.bootstrap import create_app
from intake.config import IntakeSettings

pytestmark = pytest.mark.integration


async def test_readyz_answers_503_problem_json_when_the_database_is_unreachable(
    database_url: str, topic_prefix: str, infrastructure: Any
) -> None:
    settings = IntakeSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (await client.get("/readyz")).status_code == 200
        # Point the engine at a port nothing listens on: the database is "down".
        runtime = app.state.runtime
        healthy_engine = runtime.engine
        from civic_runtime.db import create_engine

        runtime.engine = create_engine(
            settings.model_copy(
                update={"database_url": "postgresql+asyncpg://civic:civic@127.0.0.1:1/x"}
            )
        )
        try:
            response = await client.get("/readyz")
        finally:
            await runtime.engine.dispose()
            runtime.engine = healthy_engine
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["checks"]["database"].startswith("unreachable")
        assert response.json()["checks"]["kafka"] == "ok"
