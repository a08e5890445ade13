"""Create, list, rotate and revoke API clients; a new key and secret are shown once, then only hashed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from intake.adapters import repository
from intake.domain.signatures import hash_api_key, new_api_key, new_signing_secret

SCOPES = ("waste", "planning", "open311")


class UnknownScope(ValueError):
    pass


class ApiClientExists(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"an API client named {name!r} already exists")


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: uuid.UUID
    name: str
    scopes: list[str]
    api_key: str
    signing_secret: str
    replaced: bool = False  # the name's earlier key and secret stopped working


@dataclass(frozen=True)
class AuthenticatedClient:
    client_id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    signing_secret: str


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        given = f"unknown scope {', '.join(map(repr, unknown))}" if unknown else "no scope given"
        raise UnknownScope(f"{given}: scopes are some of {', '.join(SCOPES)}")
    return sorted(set(scopes))


async def create_api_client(
    *, session: AsyncSession, name: str, scopes: list[str], rotate: bool = False
) -> IssuedCredentials:
    """A new client with a new key and secret. A name already taken is refused, unless `rotate`:
    then that client is given the new key and secret and these scopes (and is active again if it
    had been revoked)."""
    scopes = check_scopes(scopes)
    key, secret = new_api_key(), new_signing_secret()
    stored = await repository.add_api_client(
        session=session,
        name=name,
        scopes=scopes,
        key_hash=hash_api_key(key),
        signing_secret=secret,
        replace=rotate,
    )
    if stored is None:
        raise ApiClientExists(name)
    return IssuedCredentials(stored.id, name, scopes, key, secret, replaced=stored.replaced)


async def rotate_api_client(*, session: AsyncSession, name: str) -> IssuedCredentials | None:
    key, secret = new_api_key(), new_signing_secret()
    if not await repository.rotate_api_client(
        session=session, name=name, key_hash=hash_api_key(key), signing_secret=secret
    ):
        return None
    for row in await repository.list_api_clients(session=session):
        if row.name == name:
            return IssuedCredentials(row.id, name, list(row.scopes), key, secret, replaced=True)
    return None


async def revoke_api_client(*, session: AsyncSession, name: str) -> bool:
    return await repository.revoke_api_client(session=session, name=name)


async def list_api_clients(*, session: AsyncSession) -> list[dict[str, Any]]:
    return [
        {
            "id": str(row.id),
            "name": row.name,
            "scopes": list(row.scopes),
            "created_at": row.created_at.isoformat(),
            "rotated_at": row.rotated_at.isoformat() if row.rotated_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }
        for row in await repository.list_api_clients(session=session)
    ]


async def authenticate(*, session: AsyncSession, api_key: str) -> AuthenticatedClient | None:
    row = await repository.find_api_client_by_key_hash(
        session=session, key_hash=hash_api_key(api_key)
    )
    if row is None:
        return None
    return AuthenticatedClient(row.id, row.name, tuple(row.scopes), row.signing_secret)
