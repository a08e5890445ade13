"""Officers' bearer tokens: JWTs from the council's identity provider, or configured hashed tokens.

A JWT (RS256 or ES256) is verified against `CASES_OFFICER_JWT_PUBLIC_KEY` (PEM) or the keys at
`CASES_OFFICER_JWT_JWKS_URL`, with `exp`, `aud` and `iss` checked; the officer is its `sub`, the
role and teams come from claims. Any other token is compared by SHA-256 with `CASES_OFFICERS`
(the development path and service accounts).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

import jwt
from civic_runtime.app import RuntimeDep
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, HTTPException, Request

from cases.config import CasesSettings
from cases.domain.officers import Officer

ROLES = ("team_lead", "officer")  # the strongest first


class InvalidOfficerToken(Exception):
    """Not a token we accept: expired, forged, for another audience or issuer (401)."""


class MissingRole(Exception):
    """A genuine token that grants no officer role (403)."""


def _claim_values(claims: dict[str, Any], name: str) -> list[str]:
    """A claim given as a list of strings or one space-separated string."""
    value = claims.get(name)
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


class OfficerTokens:
    """Turns a bearer token into an officer; built once per app from its settings."""

    def __init__(self, settings: CasesSettings) -> None:
        self._settings = settings
        self._public_key: Any = None
        if settings.officer_jwt_public_key is not None:
            # Parsed now, so a wrong key stops the service at start rather than every request.
            self._public_key = serialization.load_pem_public_key(
                settings.officer_jwt_public_key.get_secret_value().encode()
            )
        self._jwks = (
            jwt.PyJWKClient(settings.officer_jwt_jwks_url, cache_keys=True, lifespan=300)
            if settings.officer_jwt_jwks_url
            else None
        )

    @property
    def accepts_jwts(self) -> bool:
        return self._public_key is not None or self._jwks is not None

    def officer(self, token: str) -> Officer:
        if self.accepts_jwts and token.count(".") == 2:
            return self._from_jwt(token)
        return self._from_hashed_token(token)

    def _case_types(self, teams: list[str] | tuple[str, ...]) -> frozenset[str]:
        return frozenset(
            case_type for team in teams for case_type in self._settings.teams.get(team, ())
        )

    def _key(self, token: str) -> Any:
        if self._public_key is not None:
            return self._public_key
        assert self._jwks is not None
        # Blocking I/O (cached): `current_officer` is a sync dependency, run in a worker thread.
        return self._jwks.get_signing_key_from_jwt(token).key

    def _from_jwt(self, token: str) -> Officer:
        settings = self._settings
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=self._key(token),
                algorithms=list(settings.officer_jwt_algorithms),
                audience=settings.officer_jwt_audience,
                issuer=settings.officer_jwt_issuer,
                leeway=settings.officer_jwt_leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidOfficerToken(f"the token is not valid: {type(exc).__name__}") from exc
        officer_id = claims["sub"]
        if not isinstance(officer_id, str) or not 0 < len(officer_id) <= 100:
            raise InvalidOfficerToken("the token's subject is not an officer id")
        granted = _claim_values(claims, settings.officer_jwt_roles_claim)
        role = next((role for role in ROLES if role in granted), None)
        if role is None:
            raise MissingRole("the token grants no officer role")
        teams = _claim_values(claims, settings.officer_jwt_teams_claim)
        return Officer(officer_id, role, self._case_types(teams))

    def _from_hashed_token(self, token: str) -> Officer:
        digest = hashlib.sha256(token.encode()).hexdigest()
        match = None
        for credential in self._settings.officers:
            # Compare with every credential, in constant time, so timing says nothing.
            if hmac.compare_digest(credential.token_sha256, digest):
                match = credential
        if match is None:
            raise InvalidOfficerToken("the token is not valid")
        return Officer(match.officer_id, match.role, self._case_types(match.teams))


def settings_of(runtime: RuntimeDep) -> CasesSettings:
    settings = runtime.settings
    assert isinstance(settings, CasesSettings)
    return settings


SettingsDep = Annotated[CasesSettings, Depends(settings_of)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_officer(request: Request) -> Officer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorised("a bearer token is required")
    tokens: OfficerTokens = request.app.state.officer_tokens
    try:
        return tokens.officer(token)
    except InvalidOfficerToken as exc:
        raise _unauthorised(str(exc)) from exc
    except MissingRole as exc:
        raise HTTPException(403, detail=str(exc)) from exc


OfficerDep = Annotated[Officer, Depends(current_officer)]
