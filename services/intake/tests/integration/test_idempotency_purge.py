"""Expired idempotency keys are purged against the real database: in batches, by several instances
at once, and by the job the service starts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from intake.service_layer.retention import purge_expired_idempotency_keys
from intake_factories import IntakeHarness, submission

pytestmark = pytest.mark.integration


async def _insert_keys(intake: IntakeHarness, *, prefix: str, count: int, hours: int) -> None:
    """`count` stored keys created `hours` ago (negative: in the future) and kept 48 h."""
    async with intake.app.state.runtime.unit_of_work() as uow:
        await uow.session.execute(
            sa.text(
                "INSERT INTO intake_idempotency_key "
                "(scope, key, request_hash, response_status, response_body, created_at, expires_at)"
                " SELECT 'web', :prefix || n, 'h', 202, '{}'::jsonb,"
                " now() - make_interval(hours => :hours),"
                " now() - make_interval(hours => :hours) + interval '48 hours'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"prefix": prefix, "hours": hours, "count": count},
        )


async def _keys(intake: IntakeHarness, prefix: str) -> int:
    async with intake.app.state.runtime.unit_of_work() as uow:
        count = await uow.session.scalar(
            sa.text("SELECT count(*) FROM intake_idempotency_key WHERE key LIKE :p || '%'"),
            {"p": prefix},
        )
    return int(count or 0)


async def test_keys_older_than_the_retention_are_deleted_and_newer_ones_kept(
    intake: IntakeHarness,
) -> None:
    await _insert_keys(intake, prefix="old-", count=25, hours=49)
    await _insert_keys(intake, prefix="recent-", count=10, hours=47)
    response = await intake.client.post(
        "/v1/forms/street-cleansing/submissions",
        json=submission("street-cleansing"),
        headers={"Idempotency-Key": "live-1"},
    )
    assert response.status_code == 202, response.text

    deleted = await purge_expired_idempotency_keys(
        unit_of_work=intake.app.state.runtime.unit_of_work, batch_size=4
    )

    assert deleted == 25
    assert await _keys(intake, "old-") == 0
    assert await _keys(intake, "recent-") == 10
    assert await _keys(intake, "live-") == 1
    replay = await intake.client.post(
        "/v1/forms/street-cleansing/submissions",
        json=submission("street-cleansing"),
        headers={"Idempotency-Key": "live-1"},
    )
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json()["reference"] == response.json()["reference"]


async def test_two_instances_purging_at_once_delete_each_row_once_and_never_wait(
    intake: IntakeHarness,
) -> None:
    await _insert_keys(intake, prefix="old-", count=600, hours=72)
    await _insert_keys(intake, prefix="recent-", count=50, hours=1)
    unit_of_work = intake.app.state.runtime.unit_of_work

    first, second = await asyncio.wait_for(
        asyncio.gather(
            purge_expired_idempotency_keys(unit_of_work=unit_of_work, batch_size=20),
            purge_expired_idempotency_keys(unit_of_work=unit_of_work, batch_size=20),
        ),
        timeout=30,
    )

    assert first + second == 600
    assert await _keys(intake, "old-") == 0
    assert await _keys(intake, "recent-") == 50


async def test_a_key_being_reclaimed_is_skipped_not_waited_for(intake: IntakeHarness) -> None:
    await _insert_keys(intake, prefix="old-", count=3, hours=50)
    runtime = intake.app.state.runtime
    async with runtime.unit_of_work() as holder:
        # Another transaction (a request reclaiming the key) holds one row.
        await holder.session.execute(
            sa.text("SELECT 1 FROM intake_idempotency_key WHERE key = 'old-1' FOR UPDATE")
        )
        deleted = await asyncio.wait_for(
            purge_expired_idempotency_keys(unit_of_work=runtime.unit_of_work, batch_size=10),
            timeout=5,
        )
    assert deleted == 2
    assert await _keys(intake, "old-") == 1


async def test_the_service_starts_the_purge_job(
    intake: IntakeHarness, eventually: Callable[..., Awaitable[Any]]
) -> None:
    from intake.bootstrap import create_app

    await _insert_keys(intake, prefix="old-", count=5, hours=60)
    await _insert_keys(intake, prefix="recent-", count=5, hours=2)
    settings = intake.app.state.intake.settings.model_copy(
        update={"idempotency_purge_enabled": True, "idempotency_purge_interval_s": 0.2}
    )
    second_instance = create_app(settings)
    async with second_instance.router.lifespan_context(second_instance):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=second_instance), base_url="http://second"
        ) as client:
            assert (await client.get("/healthz")).status_code == 200

        async def purged() -> bool:
            return await _keys(intake, "old-") == 0

        await eventually(purged, timeout=10)
    assert await _keys(intake, "recent-") == 5
