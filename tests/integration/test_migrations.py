"""Every service's migrations apply to an empty database and downgrade cleanly."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from civic_runtime import migrations
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration

SERVICES = ["intake", "cases", "notify", "payments"]


async def table_names(database_url: str) -> set[str]:
    engine = create_async_engine(database_url, poolclass=sa.pool.NullPool)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
    await engine.dispose()
    return set(names)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_apply_to_an_empty_database_and_downgrade_cleanly(
    service: str, database_url: str
) -> None:
    migrations_dir: Path = importlib.import_module(f"{service}.bootstrap").MIGRATIONS_DIR
    assert (migrations_dir / "env.py").exists()

    await migrations.upgrade_async(migrations_dir, database_url)
    assert {"outbox", "inbox", "alembic_version"} <= await table_names(database_url)
    await migrations.upgrade_async(migrations_dir, database_url)  # a second run changes nothing

    await asyncio.to_thread(migrations.downgrade, migrations_dir, database_url, "base")
    assert await table_names(database_url) <= {"alembic_version"}
