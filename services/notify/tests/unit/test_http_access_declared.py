"""Every route of notify's API says whether it is authenticated or public, in its OpenAPI."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from notify.entrypoints.http import router

pytestmark = pytest.mark.unit


def test_every_route_is_declared_authenticated_or_public() -> None:
    app = FastAPI()
    app.include_router(router)
    operations = [
        (method, path, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    ]
    assert operations
    for method, path, operation in operations:
        description = operation.get("description", "")
        assert description.startswith(("Authenticated:", "Public:")), (method, path)
        if "officer's bearer token" in description:
            assert operation["security"] == [{"officer": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
