"""Officer-only HTTP routes: a FastAPI dependency that verifies the bearer token and the role.

A service puts its verifier on the app (`app.state.officer_tokens = OfficerTokens(settings)`)
and declares each route with `Depends(officer_holding(...))`: no token, a malformed, forged or
expired one is a 401 with `WWW-Authenticate: Bearer`; a genuine token without the role is a 403.
The routes also show the `officer` security scheme in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from civic_runtime.officers import InvalidOfficerToken, MissingRole, Officer, require_role

OFFICER_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="officer",
    description="An officer's JWT from the council's identity provider, or a configured officer token.",
)

OFFICER_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or one that is malformed, forged or expired"},
    403: {"description": "a genuine officer token without the role this route needs"},
}


def officers_only(*roles: str) -> str:
    """The sentence a protected route's OpenAPI description starts with."""
    return f"Authenticated: an officer's bearer token with the role {' or '.join(roles)}."


PUBLIC = "Public: no authentication, on purpose."


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def officer_holding(*roles: str) -> Callable[..., Officer]:
    """A dependency giving the request's officer, who must hold one of `roles`."""

    # Sync on purpose: a JWKS look-up blocks (it is cached), so FastAPI runs it in a thread.
    def current_officer(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(OFFICER_BEARER)],
    ) -> Officer:
        if credentials is None:
            raise _unauthorised("a bearer token is required")
        tokens = request.app.state.officer_tokens
        try:
            return require_role(tokens.officer(credentials.credentials), roles)
        except InvalidOfficerToken as exc:
            raise _unauthorised(str(exc)) from exc
        except MissingRole as exc:
            raise HTTPException(403, detail=str(exc)) from exc

    return current_officer
