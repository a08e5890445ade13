"""`outbox` against real PostgreSQL databases: a backlog, an empty one, and one unreachable."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from civic_runtime.ops.cli import run
from civic_runtime.ops.outbox import parse_database, service_databases
from civic_runtime.tables import RUNTIME_TABLES, OutboxMessage
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration

_outbox = OutboxMessage.__table__


async def with_outbox(url: str, *rows: dict[str, Any]) -> None:
    engine = create_async_engine(url, poolclass=sa.pool.NullPool)
    async with engine.begin() as connection:
        for table in RUNTIME_TABLES:
            await connection.run_sync(lambda c, t=table: t.create(c, checkfirst=True))
        for row in rows:
            await connection.execute(
                sa.insert(_outbox).values(
                    event_id=uuid.uuid4(),
                    event_type="uk.gov.council.cases.CaseOpened.v1",
                    topic="cases.lifecycle.v1",
                    key="WST-2026-000600",
                    headers=[],
                    payload=b"{}",
                    **row,
                )
            )
    await engine.dispose()


def outbox_row(*, created_ago_s: float, published_ago_s: float | None) -> dict[str, Any]:
    now = sa.func.now()
    return {
        "created_at": now - sa.text(f"interval '{created_ago_s} seconds'"),
        "published_at": (
            None
            if published_ago_s is None
            else now - sa.text(f"interval '{published_ago_s} seconds'")
        ),
    }


async def test_outbox_shows_the_backlog_of_each_database(
    new_database: Callable[[], Awaitable[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    busy, idle, unmigrated = new_database(), new_database(), new_database()
    busy_url, idle_url, unmigrated_url = await busy, await idle, await unmigrated
    await with_outbox(
        busy_url,
        outbox_row(created_ago_s=300, published_ago_s=None),
        outbox_row(created_ago_s=20, published_ago_s=None),
        outbox_row(created_ago_s=30, published_ago_s=10),  # published within the minute
        outbox_row(created_ago_s=600, published_ago_s=500),  # published long ago
    )
    await with_outbox(idle_url)
    gone = "postgresql://civic:s3cret@127.0.0.1:1/cases"

    capsys.readouterr()
    code = await run(
        [
            "outbox",
            "--json",
            *("--database-url", f"cases={busy_url}"),
            *("--database-url", f"notify={idle_url}"),
            *("--database-url", f"payments={unmigrated_url}"),
            *("--database-url", f"intake={gone}"),
        ]
    )
    out = capsys.readouterr().out
    report = {entry["service"]: entry for entry in json.loads(out)["databases"]}
    assert code == 1  # one database could not be read

    cases = report["cases"]
    assert cases["error"] is None
    assert cases["unpublished"] == 2 and cases["published_last_minute"] == 1
    assert 300 <= cases["oldest_unpublished_age_s"] < 400

    assert report["notify"]["unpublished"] == 0
    assert report["notify"]["oldest_unpublished_age_s"] is None
    assert "no outbox table" in report["payments"]["error"]
    assert report["intake"]["error"].startswith("unreachable")
    assert "s3cret" not in out  # passwords are never printed


async def test_outbox_table_for_people_and_exit_zero_when_every_database_answers(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await with_outbox(database_url, outbox_row(created_ago_s=5, published_ago_s=None))
    capsys.readouterr()
    code = await run(["outbox", "--database-url", f"cases={database_url}"])
    out = capsys.readouterr().out
    assert code == 0
    assert "cases" in out and "unpublished" in out


def test_the_default_databases_follow_the_services_environment() -> None:
    databases = service_databases({"CASES_DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/c"})
    by_name = {d.name: d.url for d in databases}
    assert list(by_name) == ["intake", "cases", "notify", "payments"]
    assert by_name["cases"] == "postgresql+asyncpg://u:p@db:5432/c"
    assert by_name["notify"] == "postgresql+asyncpg://civic:civic@127.0.0.1:5432/notify"
    assert parse_database("x=postgresql://a:b@h/d").url == "postgresql+asyncpg://a:b@h/d"
