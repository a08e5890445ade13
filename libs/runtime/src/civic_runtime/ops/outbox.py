"""Outbox backlogs: per service database, events written but not yet published, and how old."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from civic_events.topics import SERVICES
from sqlalchemy.ext.asyncio import create_async_engine

from civic_runtime.ops.errors import UsageError
from civic_runtime.tables import OutboxMessage

_outbox = OutboxMessage.__table__
CONNECT_TIMEOUT_S = 5.0
# The services' own development defaults (see each service's config.py).
LOCAL_DATABASE_URL = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/{service}"


@dataclass(frozen=True)
class ServiceDatabase:
    name: str
    url: str

    @property
    def shown_url(self) -> str:
        return sa.make_url(self.url).render_as_string(hide_password=True)


def service_databases(env: Mapping[str, str] | None = None) -> list[ServiceDatabase]:
    """`<SERVICE>_DATABASE_URL` for each service, else its local development database."""
    env = os.environ if env is None else env
    return [
        ServiceDatabase(
            service,
            env.get(f"{service.upper()}_DATABASE_URL")
            or LOCAL_DATABASE_URL.format(service=service),
        )
        for service in SERVICES
    ]


def parse_database(text: str) -> ServiceDatabase:
    """`NAME=URL`; a plain `postgresql://` URL is read with asyncpg."""
    name, sep, url = text.partition("=")
    if not sep or not name or not url:
        raise UsageError(f"--database-url wants NAME=URL, not {text!r}")
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    return ServiceDatabase(name, url)


@dataclass(frozen=True)
class OutboxBacklog:
    service: str
    database: str
    unpublished: int | None = None
    oldest_unpublished_age_s: float | None = None
    published_last_minute: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "database": self.database,
            "unpublished": self.unpublished,
            "oldest_unpublished_age_s": self.oldest_unpublished_age_s,
            "published_last_minute": self.published_last_minute,
            "error": self.error,
        }


async def backlog(database: ServiceDatabase) -> OutboxBacklog:
    engine = create_async_engine(
        database.url, poolclass=sa.pool.NullPool, connect_args={"timeout": CONNECT_TIMEOUT_S}
    )
    try:
        async with engine.connect() as connection:
            # Each query on its own index: the partial one on unpublished rows, then published_at.
            pending = (
                await connection.execute(
                    sa.select(
                        sa.func.count(), sa.func.min(_outbox.c.created_at), sa.func.now()
                    ).where(_outbox.c.published_at.is_(None))
                )
            ).one()
            published = await connection.scalar(
                sa.select(sa.func.count()).where(
                    _outbox.c.published_at >= sa.func.now() - timedelta(minutes=1)
                )
            )
    except Exception as exc:  # any failure is this database's row, not the whole command's
        return OutboxBacklog(database.name, database.shown_url, error=_describe(exc))
    finally:
        await engine.dispose()
    oldest: datetime | None = pending[1]
    return OutboxBacklog(
        database.name,
        database.shown_url,
        unpublished=pending[0],
        oldest_unpublished_age_s=(
            round((pending[2] - oldest).total_seconds(), 3) if oldest is not None else None
        ),
        published_last_minute=published or 0,
    )


async def backlogs(databases: list[ServiceDatabase]) -> list[OutboxBacklog]:
    return list(await asyncio.gather(*(backlog(database) for database in databases)))


def _describe(exc: BaseException) -> str:
    chain = list(_causes(exc))
    if any(getattr(e, "sqlstate", None) == "42P01" for e in chain):  # undefined_table
        return "no outbox table: the service's migrations have not run on this database"
    for cause in chain:
        if isinstance(cause, OSError | TimeoutError):
            return f"unreachable: {cause}"
    original = getattr(exc, "orig", None) or exc
    return f"{type(original).__name__}: {original}"


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)
        yield from ([orig] if isinstance(orig, BaseException) else [])
        exc = (
            exc.__cause__ or exc.__context__ or (orig if isinstance(orig, BaseException) else None)
        )
