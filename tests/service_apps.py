"""The four services built from test settings, for the cross-service tests under tests/.

Imported by tests/contract and tests/integration (which put tests/ on sys.path): under
`--import-mode=importlib` test modules cannot import each other, so shared helpers live here.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

SERVICES = ["intake", "cases", "notify", "payments"]


def create_service_app(
    service: str, *, database_url: str, topic_prefix: str, kafka_bootstrap_servers: str
) -> Any:
    """`<service>.bootstrap.create_app` with the service's settings for a test run."""
    config = importlib.import_module(f"{service}.config")
    settings_class = getattr(config, f"{service.capitalize()}Settings")
    settings = settings_class(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        log_json=False,
    )
    return importlib.import_module(f"{service}.bootstrap").create_app(settings)


@contextlib.asynccontextmanager
async def started_service(
    service: str, *, database_url: str, topic_prefix: str, infrastructure: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The service started (lifespan and all) and a client that calls it in process."""
    app = create_service_app(
        service,
        database_url=database_url,
        topic_prefix=topic_prefix,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client
