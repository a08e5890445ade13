"""Officers signing in with JWTs: through the officer API, and with keys from a JWKS URL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cases.config import CasesSettings
from cases.entrypoints.auth import CaseOfficers
from cases_factories import bearer, form_submitted
from civic_runtime.officers import InvalidOfficerToken
from fastapi import FastAPI
from loopback import free_port, serving
from officer_jwts import KeyPair

pytestmark = pytest.mark.integration


async def test_the_officer_api_takes_jwts_and_the_configured_tokens(kit: Any) -> None:
    pair = KeyPair("RS256")
    missed = form_submitted()
    async with kit.running(officer_jwt_public_key=pair.public_pem) as (app, client):
        await kit.open_case(app, missed)

        def with_jwt(**claims: Any) -> dict[str, str]:
            return {"Authorization": f"Bearer {pair.token(**claims)}"}

        found = await client.get("/v1/cases", headers=with_jwt(teams=["waste"]))
        assert found.status_code == 200
        assert [c["reference"] for c in found.json()["items"]] == [missed.subject]
        other_team = await client.get("/v1/cases", headers=with_jwt(teams=["planning"]))
        assert other_team.json()["total"] == 0
        taken = await client.post(
            f"/v1/cases/{missed.subject}/assignment",
            headers=with_jwt(sub="jo.officer"),
            json={"officer_id": "jo.officer"},
        )
        assert taken.json()["assigned_to"] == "jo.officer"

        expired = await client.get(
            "/v1/cases", headers=with_jwt(exp=datetime.now(UTC) - timedelta(minutes=5))
        )
        assert expired.status_code == 401
        assert expired.headers["content-type"].startswith("application/problem+json")
        assert expired.headers["www-authenticate"] == "Bearer"
        wrong_audience = await client.get("/v1/cases", headers=with_jwt(aud="someone-else"))
        assert wrong_audience.status_code == 401
        forged = await client.get(
            "/v1/cases", headers={"Authorization": f"Bearer {KeyPair().token()}"}
        )
        assert forged.status_code == 401
        no_role = await client.get("/v1/cases", headers=with_jwt(roles=["resident"]))
        assert no_role.status_code == 403
        assert no_role.headers["content-type"].startswith("application/problem+json")
        # The configured tokens (make run's officers) keep working beside the JWTs.
        assert (await client.get("/v1/cases", headers=bearer("waste-officer"))).status_code == 200


async def test_keys_can_come_from_a_jwks_url() -> None:
    current, retired = KeyPair("RS256", kid="current"), KeyPair("ES256", kid="retired")
    identity = FastAPI()

    @identity.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        return {"keys": [current.jwk(), retired.jwk()]}

    port = free_port()
    async with serving(identity, port):
        verifier = CaseOfficers(
            CasesSettings(
                environment="test",
                officer_jwt_jwks_url=f"http://127.0.0.1:{port}/.well-known/jwks.json",
            )
        )
        # PyJWKClient blocks: run it as FastAPI runs the sync dependency, in a worker thread.
        first = await asyncio.to_thread(verifier.officer, current.token(sub="a"))
        second = await asyncio.to_thread(verifier.officer, retired.token(sub="b"))
        assert (first.officer_id, second.officer_id) == ("a", "b")
        with pytest.raises(InvalidOfficerToken):
            await asyncio.to_thread(verifier.officer, KeyPair("RS256", kid="unknown").token())
