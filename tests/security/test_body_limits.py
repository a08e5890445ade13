"""Every service refuses a request body over its limit with 413 problem+json, whether the body
declares its length or comes chunked without one. Nothing is started: the limit answers first."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from notify.config import DEVELOPMENT_CALLBACK_TOKEN
from service_apps import create_service_app

pytestmark = pytest.mark.unit

# A route of each service that takes a body; intake's limit is its webhook batch's, 2 MiB.
LIMITS = {
    "intake": ("/v1/backoffice/waste/events", 2 * 1024 * 1024),
    "cases": ("/v1/cases/WST-2026-000001/notes", 1024 * 1024),
    "notify": ("/callbacks/govuk-notify", 1024 * 1024),
    "payments": ("/gateway/webhooks", 1024 * 1024),
}
# Routes that read their body with nothing but, at most, a token checked first: the headers
# that token takes.
READ_FIRST = {
    "notify": {"Authorization": f"Bearer {DEVELOPMENT_CALLBACK_TOKEN}"},
    "payments": {},
}


def client(service: str) -> httpx.AsyncClient:
    app = create_service_app(
        service,
        database_url=f"postgresql+asyncpg://civic:civic@127.0.0.1:5432/{service}",
        topic_prefix="body-limits.",
        kafka_bootstrap_servers="127.0.0.1:9092",
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def megabytes(count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b" " * (1024 * 1024)


@pytest.mark.parametrize("service", LIMITS)
async def test_a_declared_body_over_the_limit_is_refused(service: str) -> None:
    path, limit = LIMITS[service]
    async with client(service) as http:
        answer = await http.post(
            path, content=b"{}" + b" " * limit, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == f"The body must be at most {limit} bytes"


@pytest.mark.parametrize("service", READ_FIRST)
async def test_a_chunked_body_over_the_limit_is_refused(service: str) -> None:
    path, limit = LIMITS[service]
    async with client(service) as http:
        answer = await http.post(
            path,
            content=megabytes(limit // (1024 * 1024) + 8),
            headers={"Content-Type": "application/json", **READ_FIRST[service]},
        )
    assert answer.status_code == 413
    assert answer.json()["detail"] == f"The body must be at most {limit} bytes"
