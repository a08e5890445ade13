"""Each service starts against real Kafka and PostgreSQL and serves its operational endpoints."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

SERVICES = ["intake", "cases", "notify", "payments"]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_service_starts_and_serves_health_readiness_metrics_and_docs(
    service: str, database_url: str, topic_prefix: str, infrastructure: Any
) -> None:
    config = importlib.import_module(f"{service}.config")
    settings_class = getattr(config, f"{service.capitalize()}Settings")
    settings = settings_class(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
    )
    app = importlib.import_module(f"{service}.bootstrap").create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
        metrics = await client.get("/metrics")
        assert "civic_outbox_relay_leader" in metrics.text
        assert (await client.get("/openapi.json")).json()["info"]["title"].endswith(service)
        assert (await client.get("/docs")).status_code == 200
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert asyncapi["asyncapi"].startswith("3.")
        assert (await client.get("/asyncapi")).status_code == 200
