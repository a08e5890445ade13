import pytest
from civic_runtime.problems import PROBLEM_JSON, install_problem_handlers
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

pytestmark = pytest.mark.unit


class Booking(BaseModel):
    items: int = Field(ge=1, le=10)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/bookings")
    async def book(booking: Booking) -> dict[str, int]:
        return {"items": booking.items}

    @app.get("/cases/{reference}")
    async def case(reference: str) -> None:
        raise HTTPException(404, detail=f"no case {reference}")

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/database-down")
    async def database_down() -> None:
        raise ConnectionRefusedError("connect call failed")

    return app


def test_validation_errors_are_problem_json_naming_field_and_rule() -> None:
    response = TestClient(make_app()).post("/bookings", json={"items": 11})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 422
    assert body["errors"] == [
        {
            "field": "items",
            "rule": "less_than_equal",
            "message": "Input should be less than or equal to 10",
        }
    ]


def test_http_errors_are_problem_json() -> None:
    response = TestClient(make_app()).get("/cases/WST-1")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no case WST-1",
        "instance": "/cases/WST-1",
    }


def test_an_unexpected_error_is_a_problem_json_500_that_says_nothing_of_its_cause() -> None:
    response = TestClient(make_app(), raise_server_exceptions=False).get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "a bug" not in response.text


def test_the_database_out_of_reach_is_a_503_to_retry() -> None:
    response = TestClient(make_app(), raise_server_exceptions=False).get("/database-down")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == "5"
