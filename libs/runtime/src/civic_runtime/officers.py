"""Officers' bearer tokens, verified the same way by every service.

A token is either a JWT from the council's identity provider or a configured development or
service-account token. A JWT (RS256 or ES256) is verified against `<PREFIX>OFFICER_JWT_PUBLIC_KEY`
(PEM) or the keys at `<PREFIX>OFFICER_JWT_JWKS_URL`, with `exp`, `aud`, `iss` and `sub` required;
the officer is its `sub`, their roles and teams come from claims (a list of strings, or one
space-separated string). Any other token is compared by SHA-256 with `<PREFIX>OFFICERS`.

Verifying says who the officer is; what their roles and teams allow is each service's decision.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings

# The token `make run` gives its development officer (scripts/services.sh): refused in production.
DEVELOPMENT_OFFICER_TOKEN = "dev-officer-token"  # noqa: S105
DEVELOPMENT_OFFICER_TOKEN_SHA256 = hashlib.sha256(DEVELOPMENT_OFFICER_TOKEN.encode()).hexdigest()


TEAM_LEAD = "team_lead"
# Which case types each team handles (`<PREFIX>TEAMS`): what an officer of the team may see.
DEFAULT_TEAMS: dict[str, tuple[str, ...]] = {
    "waste": ("missed_bin", "bulky_waste", "new_bin"),
    "planning": ("planning_application",),
    "environment": ("report",),
    "information": ("foi_request",),
}


@dataclass(frozen=True)
class Officer:
    """An officer as their token names them: id, roles and teams."""

    officer_id: str
    roles: frozenset[str]
    teams: tuple[str, ...] = ()

    def holds_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def case_types(self, teams: Mapping[str, Sequence[str]]) -> frozenset[str]:
        """The case types the officer's teams handle (`teams`: team → case types)."""
        return frozenset(case_type for team in self.teams for case_type in teams.get(team, ()))


def resident_visible(
    *, case_types: Collection[str], team_lead: bool, resident_case_types: Collection[str]
) -> bool:
    """Whether a resident is an officer's to see: one of the resident's cases (as resident or
    agent, of `resident_case_types`) is of a type the officer's teams handle (`case_types`); a
    resident with no case at all is a team lead's (someone answers their requests)."""
    if not resident_case_types:
        return team_lead
    return not frozenset(case_types).isdisjoint(resident_case_types)


class OfficerCredential(BaseModel):
    """An officer's configured token, stored only as its SHA-256 (tokens are long random strings)."""

    officer_id: str = Field(min_length=1, max_length=100)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: str = Field(default="officer", min_length=1, max_length=50)
    # Roles beside `role`, as a JWT's roles claim lists them, e.g. ["template-editor"].
    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def granted(self) -> frozenset[str]:
        return frozenset((self.role, *self.roles))


class OfficerSettings(BaseSettings):
    """The verifier's settings, mixed into each service's settings (so under its env prefix).

    Each service sets its own `officer_jwt_audience`, so that a token issued for one service is
    not accepted by another unless the identity provider lists both in its `aud`.
    """

    # JSON list, e.g. [{"officer_id": "o1", "token_sha256": "…", "role": "officer", "teams": ["waste"]}]
    officers: tuple[OfficerCredential, ...] = ()
    # Officers' JWTs: verified against a PEM public key or a JWKS URL; when neither is set, only
    # the hashed tokens of `officers` are accepted.
    officer_jwt_public_key: SecretStr | None = None
    officer_jwt_jwks_url: str | None = None
    officer_jwt_algorithms: tuple[Literal["RS256", "ES256"], ...] = ("RS256", "ES256")
    officer_jwt_audience: str
    officer_jwt_issuer: str = "https://login.council.example/officers"
    officer_jwt_roles_claim: str = "roles"
    officer_jwt_teams_claim: str = "teams"
    officer_jwt_leeway_s: int = Field(default=30, ge=0, le=300)
    # Team → the case types its officers see (JSON).
    teams: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_TEAMS))


class InvalidOfficerToken(Exception):
    """Not a token we accept: malformed, expired, forged, for another audience or issuer (401)."""


class MissingRole(Exception):
    """A genuine token that lacks the role asked for (403)."""


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

    def __init__(self, settings: OfficerSettings) -> None:
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

    def _key(self, token: str) -> Any:
        if self._public_key is not None:
            return self._public_key
        assert self._jwks is not None
        # Blocking I/O (cached): the HTTP dependency is sync, so FastAPI runs it in a thread.
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
        # A crafted token can fail below PyJWT's own checks (key parsing, base64): still a 401.
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidOfficerToken(f"the token is not valid: {type(exc).__name__}") from exc
        officer_id = claims["sub"]
        if not isinstance(officer_id, str) or not 0 < len(officer_id) <= 100:
            raise InvalidOfficerToken("the token's subject is not an officer id")
        return Officer(
            officer_id,
            frozenset(_claim_values(claims, settings.officer_jwt_roles_claim)),
            tuple(_claim_values(claims, settings.officer_jwt_teams_claim)),
        )

    def _from_hashed_token(self, token: str) -> Officer:
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        match = None
        for credential in self._settings.officers:
            # Compare with every credential, in constant time, so timing says nothing.
            if hmac.compare_digest(credential.token_sha256, digest):
                match = credential
        if match is None:
            raise InvalidOfficerToken("the token is not valid")
        return Officer(match.officer_id, match.granted, match.teams)


def require_role(officer: Officer, roles: Iterable[str]) -> Officer:
    """The officer, when they hold one of `roles`; else MissingRole."""
    wanted = tuple(roles)
    if not officer.holds_any(wanted):
        raise MissingRole(f"the token grants none of the roles {', '.join(wanted)}")
    return officer
