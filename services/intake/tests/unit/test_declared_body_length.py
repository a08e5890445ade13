"""A declared Content-Length that is not ASCII digits is no number: the body is read and
measured as it comes, never a 500."""

from __future__ import annotations

import pytest
from intake.entrypoints.problems import Problem, read_body
from starlette.requests import Request
from starlette.types import Message

pytestmark = pytest.mark.unit


def request(body: bytes, content_length: bytes) -> Request:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", content_length)],
    }
    return Request(scope, receive)


@pytest.mark.parametrize("declared", ["²".encode("latin-1"), "٣".encode()])
async def test_a_length_of_other_digits_is_not_read_as_a_number(declared: bytes) -> None:
    assert await read_body(request(b"{}", declared), 1024) == b"{}"
    with pytest.raises(Problem):
        await read_body(request(b"x" * 2048, declared), 1024)
