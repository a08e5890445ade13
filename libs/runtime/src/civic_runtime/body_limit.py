"""Every service's request body limit: a larger body is answered 413 (problem+json).

A declared Content-Length over the limit is refused before the route runs. A body sent without
one (chunked) is counted as it is read: the read that passes the limit raises `BodyTooLarge`,
so no route ever holds more than the limit plus one chunk of the server's.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI, HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civic_runtime.problems import problem


class BodyTooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so FastAPI's body parsing passes it on (any
    other exception there becomes a 400) and the problem handlers answer it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"The body must be at most {limit} bytes")
        self.limit = limit


class BodySizeLimit:
    """A plain ASGI middleware (Starlette's BaseHTTPMiddleware would buffer and cost a task)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            # Read outside a route (a middleware), so no exception handler answered it.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            detail=f"The body must be at most {self.max_bytes} bytes",
            # The rest of the body is never read: the connection cannot carry another request.
            headers={"Connection": "close"},
            instance=scope.get("path", ""),
            limit=self.max_bytes,
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            # Servers refuse a malformed Content-Length before the app sees it; int() refuses
            # over 4,300 digits, and 19 already pass any limit.
            if not value.isdigit():
                return None
            return int(value) if len(value) < 19 else sys.maxsize
    return None


def install_body_limit(app: FastAPI, max_bytes: int) -> None:
    app.add_middleware(BodySizeLimit, max_bytes=max_bytes)
