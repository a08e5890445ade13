"""Officers' JWTs: verified against a public key or JWKS; exp, aud, iss and role checked."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cases.config import CasesSettings
from cases.entrypoints.auth import CaseOfficers
from cases_factories import OFFICER_TOKENS, officers_setting
from civic_runtime.officers import InvalidOfficerToken, MissingRole
from officer_jwts import KeyPair

pytestmark = pytest.mark.unit

RSA = KeyPair("RS256")


def tokens(**overrides: Any) -> CaseOfficers:
    values: dict[str, Any] = {
        "environment": "test",
        "officer_jwt_public_key": RSA.public_pem,
        "officers": officers_setting(),
    }
    values.update(overrides)
    return CaseOfficers(CasesSettings(**values))


def test_a_valid_token_names_the_officer_and_their_teams_case_types() -> None:
    officer = tokens().officer(RSA.token(sub="jo.officer", teams=["waste", "planning"]))
    assert (officer.officer_id, officer.role, officer.is_team_lead) == (
        "jo.officer",
        "officer",
        False,
    )
    assert officer.sees("missed_bin") and officer.sees("planning_application")
    assert not officer.sees("foi_request")
    lead = tokens().officer(RSA.token(roles="officer team_lead", teams="information"))
    assert lead.is_team_lead and lead.case_types == frozenset({"foi_request"})


def test_an_es256_key_works_too() -> None:
    pair = KeyPair("ES256")
    officer = tokens(officer_jwt_public_key=pair.public_pem).officer(pair.token())
    assert officer.officer_id == "jo.officer"


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("expired", RSA.token(exp=datetime.now(UTC) - timedelta(minutes=5))),
        ("wrong audience", RSA.token(aud="civic-payments")),
        ("wrong issuer", RSA.token(iss="https://evil.example")),
        ("no expiry", RSA.token(exp=None)),
        ("no subject", RSA.token(sub=None)),
        ("wrong key", KeyPair("RS256").token()),
    ],
)
def test_a_token_that_does_not_hold_is_refused(case: str, token: str) -> None:
    with pytest.raises(InvalidOfficerToken):
        tokens().officer(token)


def test_an_unsigned_or_symmetric_token_is_refused() -> None:
    claims = jwt.decode(RSA.token(), options={"verify_signature": False})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    unsigned = f"{header.decode()}.{body.decode()}."
    # A shared-secret (HS256) token: not an algorithm officers' tokens may use.
    confused = jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256")
    for token in (unsigned, confused):
        with pytest.raises(InvalidOfficerToken):
            tokens().officer(token)


def test_a_token_without_an_officer_role_is_forbidden() -> None:
    with pytest.raises(MissingRole):
        tokens().officer(RSA.token(roles=["resident"]))
    with pytest.raises(MissingRole):
        tokens().officer(RSA.token(roles=None))


def test_hashed_tokens_still_work_beside_jwts_and_alone() -> None:
    officer = tokens().officer(OFFICER_TOKENS["waste-lead"])
    assert (officer.officer_id, officer.role) == ("waste-lead", "team_lead")
    without_jwts = tokens(officer_jwt_public_key=None)
    assert without_jwts.officer(OFFICER_TOKENS["waste-officer"]).officer_id == "waste-officer"
    with pytest.raises(InvalidOfficerToken):
        without_jwts.officer(RSA.token())


def test_a_malformed_public_key_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError):
        tokens(officer_jwt_public_key="-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")
