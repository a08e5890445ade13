"""One officer-token verifier for every service: JWTs or hashed tokens, and the HTTP dependency
that turns each refusal into a 401 or 403 problem, never a 500."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import jwt
import pytest
from civic_runtime.officer_access import officer_holding
from civic_runtime.officers import (
    InvalidOfficerToken,
    Officer,
    OfficerSettings,
    OfficerTokens,
)
from civic_runtime.problems import install_problem_handlers
from civic_simulators.identity_provider import KeyPair
from fastapi import Depends, FastAPI
from pydantic_settings import SettingsConfigDict

pytestmark = pytest.mark.unit

AUDIENCE = "civic-example"
RSA = KeyPair("RS256", audience=AUDIENCE)
EDITOR_TOKEN = "token-editor-0123456789abcdef"


class ExampleSettings(OfficerSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")

    officer_jwt_audience: str = AUDIENCE


def settings(**overrides: Any) -> ExampleSettings:
    values: dict[str, Any] = {
        "officer_jwt_public_key": RSA.public_pem,
        "officers": [
            {
                "officer_id": "editor",
                "token_sha256": hashlib.sha256(EDITOR_TOKEN.encode()).hexdigest(),
                "role": "officer",
                "roles": ["template-editor"],
                "teams": ["waste"],
            }
        ],
    }
    values.update(overrides)
    return ExampleSettings(**values)


def test_a_jwt_names_the_officer_their_roles_and_teams() -> None:
    officer = OfficerTokens(settings()).officer(
        RSA.token(sub="jo", roles="officer template-editor", teams=["waste", "planning"])
    )
    assert officer == Officer(
        "jo", frozenset({"officer", "template-editor"}), ("waste", "planning")
    )


def test_a_hashed_token_grants_its_role_and_further_roles() -> None:
    officer = OfficerTokens(settings()).officer(EDITOR_TOKEN)
    assert (officer.officer_id, officer.roles, officer.teams) == (
        "editor",
        frozenset({"officer", "template-editor"}),
        ("waste",),
    )


def test_the_settings_are_read_under_each_services_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_OFFICER_JWT_AUDIENCE", "civic-other")
    monkeypatch.setenv(
        "EXAMPLE_OFFICERS", json.dumps([{"officer_id": "o1", "token_sha256": "0" * 64}])
    )
    read = ExampleSettings()
    assert read.officer_jwt_audience == "civic-other"
    assert [(o.officer_id, o.granted) for o in read.officers] == [("o1", frozenset({"officer"}))]


def _segment(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


CRAFTED = [
    "a.b.c",
    "é.é.é",
    "..",
    f"{_segment(b'not json')}.{_segment(b'{}')}.",
    f"{_segment(json.dumps({'alg': 'RS256'}).encode())}.{_segment(b'[1]')}.c2ln",
    f"{_segment(json.dumps({'alg': 'RS256', 'kid': 1}).encode())}.²².²",
    RSA.token(aud="civic-cases"),
    RSA.token(exp=datetime.now(UTC) - timedelta(minutes=5)),
    KeyPair("RS256", audience=AUDIENCE).token(),
    jwt.encode(
        {
            "sub": "x",
            "aud": AUDIENCE,
            "iss": "https://login.council.example/officers",
            "exp": 2**40,
        },
        "a-shared-secret-of-at-least-32-bytes!",
        algorithm="HS256",
    ),
]


@pytest.mark.parametrize("token", CRAFTED)
def test_a_malformed_or_forged_token_is_refused_as_invalid(token: str) -> None:
    with pytest.raises(InvalidOfficerToken):
        OfficerTokens(settings()).officer(token)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.officer_tokens = OfficerTokens(settings())

    @app.get("/templates")
    def templates(
        officer: Annotated[Officer, Depends(officer_holding("template-editor"))],
    ) -> dict[str, str]:
        return {"officer": officer.officer_id}

    return app


async def _get(headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # As bytes: a crafted token may carry what no client would send as text.
        raw = {name: value.encode() for name, value in headers.items()}
        return await client.get("/templates", headers=raw)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer wrong"},
        *({"Authorization": f"Bearer {token}"} for token in CRAFTED),
    ],
)
async def test_the_dependency_answers_401_problem_for_no_or_a_bad_token(
    headers: dict[str, str],
) -> None:
    answer = await _get(headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_the_dependency_answers_403_for_a_genuine_token_without_the_role() -> None:
    answer = await _get({"Authorization": f"Bearer {RSA.token(roles=['officer'])}"})
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert "template-editor" in answer.json()["detail"]


async def test_the_dependency_gives_the_officer_holding_the_role() -> None:
    by_jwt = await _get({"Authorization": f"Bearer {RSA.token(roles=['template-editor'])}"})
    by_hash = await _get({"Authorization": f"Bearer {EDITOR_TOKEN}"})
    assert (by_jwt.json(), by_hash.json()) == ({"officer": "jo.officer"}, {"officer": "editor"})


def test_the_openapi_document_shows_the_officer_scheme() -> None:
    document = _app().openapi()
    assert document["paths"]["/templates"]["get"]["security"] == [{"officer": []}]
    assert document["components"]["securitySchemes"]["officer"]["scheme"] == "bearer"
