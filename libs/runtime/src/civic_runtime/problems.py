"""HTTP errors as `application/problem+json` (RFC 9457), naming the field and the rule."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from civic_runtime.outbox import EventTooLarge

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


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(EventTooLarge, _event_too_large)
