"""Intake's HTTP error plumbing: problem+json raised as exceptions, bodies read within limits,
and database outages turned into 503 with Retry-After (never a 500, never a 202 that could be lost).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy.exc
from civic_runtime.problems import problem
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from intake.domain.forms import FieldError

PROBLEMS = "https://civic-events.example/problems/"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        *,
        title: str | None = None,
        detail: str | None = None,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or str(status))
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.extensions = extensions

    def response(self, instance: str) -> JSONResponse:
        return problem(
            self.status,
            title=self.title,
            detail=self.detail,
            type_=PROBLEMS + self.kind if self.kind else "about:blank",
            headers=self.headers,
            instance=instance,
            **self.extensions,
        )


def validation_problem(
    errors: Sequence[FieldError], *, title: str = "Your answers have errors"
) -> Problem:
    return Problem(
        422,
        title=title,
        detail="; ".join(f"{e.field}: {e.message}" for e in errors),
        kind="validation",
        errors=[e.as_dict() for e in errors],
    )


def event_field_errors(exc: ValidationError) -> list[FieldError]:
    """The fields of a submission its event refuses (the event's fields are the body's)."""
    return [
        FieldError(".".join(str(part) for part in error["loc"]), error["type"], error["msg"])
        for error in exc.errors()
    ]


async def _problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.response(request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem_handler)


def unavailable(retry_after_s: int, detail: str) -> Problem:
    return Problem(
        503,
        title="Service temporarily unavailable",
        detail=detail,
        kind="unavailable",
        headers={"Retry-After": str(retry_after_s)},
    )


_OUTAGES: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    sqlalchemy.exc.DisconnectionError,
    OSError,
    TimeoutError,
)


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _OUTAGES):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_outage(cause)


@asynccontextmanager
async def database_outage_as_503(retry_after_s: int) -> AsyncIterator[None]:
    try:
        yield
    except Problem:
        raise
    except Exception as exc:
        if is_outage(exc):
            raise unavailable(
                retry_after_s, "Our database cannot be reached; nothing was saved. Try again."
            ) from exc
        raise


JSON_TYPES = ("application/json",)


def require_content_type(request: Request, accepted: Sequence[str]) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted and not (
        "application/json" in accepted
        and media_type.startswith("application/")
        and media_type.endswith("+json")
    ):
        raise Problem(
            415,
            detail=f"Send the body as {' or '.join(accepted)}",
            kind="unsupported-media-type",
            accepted=list(accepted),
        )


async def read_body(request: Request, limit: int) -> bytes:
    too_large = Problem(
        413, detail=f"The body must be at most {limit} bytes", kind="too-large", limit=limit
    )
    declared = request.headers.get("content-length", "")
    # isascii(): isdigit() alone takes "²", which int() then refuses (a 500, not a refusal).
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> tuple[bytes, Any]:
    require_content_type(request, JSON_TYPES)
    raw = await read_body(request, limit)
    return raw, parse_json(raw)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Problem(
            400, title="Malformed JSON", detail="The body is not valid JSON", kind="malformed-json"
        ) from exc
