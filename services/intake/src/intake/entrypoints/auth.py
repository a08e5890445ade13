"""Who is calling: an API client found by the hash of its key, checked for the scope it needs."""

from __future__ import annotations

from civic_runtime.app import ServiceRuntime

from intake.entrypoints.problems import Problem, database_outage_as_503
from intake.service_layer.api_clients import AuthenticatedClient, authenticate


def bearer_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, key = authorization.partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


async def client_for_key(
    runtime: ServiceRuntime, api_key: str | None, *, retry_after_s: int
) -> AuthenticatedClient:
    if not api_key or len(api_key) > 200:
        raise Problem(
            401,
            detail="An API key is required",
            kind="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="intake"'},
        )
    async with database_outage_as_503(retry_after_s), runtime.unit_of_work() as uow:
        client = await authenticate(session=uow.session, api_key=api_key)
    if client is None:
        raise Problem(
            401,
            detail="The API key is not valid",
            kind="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="intake"'},
        )
    return client


def require_scope(client: AuthenticatedClient, scope: str) -> None:
    if scope not in client.scopes:
        raise Problem(403, detail=f"This API client may not speak for {scope!r}", kind="forbidden")
