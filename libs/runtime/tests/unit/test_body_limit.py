"""Every service's body limit: 413 problem+json, with or without a Content-Length, and a chunked
body is never read past the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from civic_runtime.body_limit import install_body_limit
from civic_runtime.problems import install_problem_handlers
from fastapi import FastAPI, Request

pytestmark = pytest.mark.unit
LIMIT = 4096


def app_with_limit() -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    install_problem_handlers(app)
    install_body_limit(app, LIMIT)
    read: list[int] = []

    @app.post("/json")
    async def take_json(body: dict[str, str]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/stream")
    async def take_stream(request: Request) -> dict[str, int]:
        async for chunk in request.stream():
            read.append(len(chunk))
        return {"bytes": sum(read)}

    return app, read


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def chunks(count: int, size: int = 1024) -> AsyncIterator[bytes]:
    async def produce() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"x" * size

    return produce()


async def test_a_body_within_the_limit_is_served() -> None:
    app, _ = app_with_limit()
    async with client(app) as http:
        assert (await http.post("/json", json={"a": "b"})).json() == {"keys": 1}
        assert (await http.post("/stream", content=chunks(4))).json() == {"bytes": LIMIT}


@pytest.mark.parametrize("path", ["/json", "/stream"])
async def test_a_declared_length_over_the_limit_is_refused_before_the_route(path: str) -> None:
    app, read = app_with_limit()
    async with client(app) as http:
        answer = await http.post(path, content=b"{}" + b" " * LIMIT)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == f"The body must be at most {LIMIT} bytes"
    assert read == []


@pytest.mark.parametrize("path", ["/json", "/stream"])
async def test_a_chunked_body_over_the_limit_is_refused_at_the_read_that_passes_it(
    path: str,
) -> None:
    app, read = app_with_limit()
    async with client(app) as http:
        answer = await http.post(path, content=chunks(1000))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert sum(read) <= LIMIT


async def test_a_content_length_too_long_for_int_is_refused() -> None:
    app, _ = app_with_limit()
    async with client(app) as http:
        answer = await http.post("/json", content=b"{}", headers={"Content-Length": "9" * 5000})
    assert answer.status_code == 413
