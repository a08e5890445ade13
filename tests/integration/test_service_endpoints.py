"""Each service starts against real Kafka and PostgreSQL and serves its operational endpoints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from service_apps import SERVICES, started_service

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
async def test_the_service_starts_and_serves_health_readiness_metrics_and_docs(
    service: str, database_url: str, topic_prefix: str, infrastructure: Any
) -> None:
    async with started_service(
        service, database_url=database_url, topic_prefix=topic_prefix, infrastructure=infrastructure
    ) as client:
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
