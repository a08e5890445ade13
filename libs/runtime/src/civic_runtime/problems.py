"""HTTP errors as `application/problem+json` (RFC 9457), naming the field and the rule."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from civic_runtime.consumers import is_outage
from civic_runtime.outbox import EventTooLarge

logger = logging.getLogger(__name__)
# How long a client is asked to wait when the database or Kafka cannot be reached.
OUTAGE_RETRY_AFTER_S = 5

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(
        exc.status_code,
        detail=exc.detail if isinstance(exc.detail, str) else None,
        headers=dict(exc.headers or {}),
        instance=request.url.path,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ()) if part != "body"),
            "rule": error.get("type", "invalid"),
            "message": error.get("msg", ""),
        }
        for error in exc.errors()
    ]
    return problem(
        422,
        title="Your request has errors",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
        type_="https://civic-events.example/problems/validation",
        instance=request.url.path,
        errors=errors,
    )


async def _event_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EventTooLarge)
    return problem(
        413,
        title="Too much to publish",
        detail=f"The {exc.event.ce_type.split('.')[-2]} this request would publish is {exc.size} "
        f"bytes; at most {exc.limit} can be published. Send less text.",
        type_="https://civic-events.example/problems/event-too-large",
        instance=request.url.path,
        event_id=str(exc.event.event_id),
        limit=exc.limit,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """What no route expected: still a problem+json, never a bare 500 or a dropped connection;
    the database or Kafka out of reach is a 503 the client may retry."""
    if is_outage(exc):
        logger.warning("%s %s: outage: %s", request.method, request.url.path, type(exc).__name__)
        return problem(
            503,
            detail="A service we depend on cannot be reached. Try again shortly.",
            headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)},
            instance=request.url.path,
        )
    logger.error("%s %s failed", request.method, request.url.path, exc_info=(type(exc), exc, None))
    return problem(
        500,
        detail="Something went wrong on our side; it has been logged. Try again later.",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(EventTooLarge, _event_too_large)
    app.add_exception_handler(Exception, _unexpected)
