"""The group commit: submissions arriving together share one transaction, each keeps its own
reference and trace, and a failed transaction answers every one of them 503 with nothing sent."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.envelope import decode
from civic_events.intake import FormSubmitted
from intake.adapters.tables import submission as receipts
from intake_factories import IntakeHarness, submission
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration

SUBMISSIONS = 40


def _traceparent() -> tuple[str, str]:
    trace_id = uuid.uuid4().hex
    return trace_id, f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"


def _commits(intake: IntakeHarness) -> tuple[float, float]:
    """(transactions, submissions) the group commit has written so far."""
    registry = intake.app.state.runtime.metrics.registry
    count = registry.get_sample_value("civic_intake_group_commit_submissions_count") or 0.0
    total = registry.get_sample_value("civic_intake_group_commit_submissions_sum") or 0.0
    return count, total


async def test_concurrent_submissions_share_transactions_and_keep_their_own_traces(
    intake: IntakeHarness, read_records: Any
) -> None:
    before = _commits(intake)
    traces = [_traceparent() for _ in range(SUBMISSIONS)]
    responses = await asyncio.gather(
        *(
            intake.client.post(
                "/v1/forms/street-cleansing/submissions",
                json=submission("street-cleansing"),
                headers={"traceparent": header},
            )
            for _, header in traces
        )
    )
    assert [r.status_code for r in responses] == [202] * SUBMISSIONS, responses[0].text
    references = [r.json()["reference"] for r in responses]
    assert len(set(references)) == SUBMISSIONS

    transactions, written = (now - then for now, then in zip(_commits(intake), before, strict=True))
    assert written == SUBMISSIONS
    # They arrived together, so fewer transactions than submissions wrote them.
    assert 1 <= transactions < SUBMISSIONS

    records = await read_records(intake.topic_prefix + "intake.submission.v1", SUBMISSIONS)
    trace_of_reference = {
        reference: trace_id for reference, (trace_id, _) in zip(references, traces, strict=True)
    }
    for record in records:
        event = decode(record.headers, record.value)
        assert isinstance(event, FormSubmitted)
        headers = {name: value.decode() for name, value in record.headers}
        # Each event carries the trace of the request that submitted it, not the batch's.
        assert headers["traceparent"].split("-")[1] == trace_of_reference[event.subject]
    assert {decode(r.headers, r.value).subject for r in records} == set(references)


async def test_a_failed_group_commit_answers_every_submission_503_and_sends_nothing(
    intake: IntakeHarness, read_records: Any
) -> None:
    from civic_runtime.db import create_engine

    runtime = intake.app.state.runtime
    dead_engine = create_engine(
        runtime.settings.model_copy(
            update={"database_url": "postgresql+asyncpg://civic:civic@127.0.0.1:1/x"}
        )
    )
    healthy_engine = runtime.engine
    runtime.engine = dead_engine
    try:
        failed = await asyncio.gather(
            *(
                intake.client.post(
                    "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
                )
                for _ in range(10)
            )
        )
    finally:
        runtime.engine = healthy_engine
        await dead_engine.dispose()
    assert [r.status_code for r in failed] == [503] * 10
    assert all(r.headers["content-type"] == "application/problem+json" for r in failed)

    # The writer carries on: the next submission is accepted, and it is the only event sent.
    after = await intake.client.post(
        "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
    )
    assert after.status_code == 202
    async with runtime.engine.connect() as connection:
        written = (await connection.execute(sa.select(receipts.c.reference))).scalars().all()
    assert written == [after.json()["reference"]]
    records = await read_records(intake.topic_prefix + "intake.submission.v1", 1)
    assert [decode(r.headers, r.value).subject for r in records] == written
    with pytest.raises(AssertionError):
        await read_records(intake.topic_prefix + "intake.submission.v1", 2, timeout=2.0)


async def test_connections_dropped_by_the_database_cost_at_most_one_503(
    intake: IntakeHarness,
) -> None:
    """No pool pre-ping on intake: after PostgreSQL drops every pooled connection (a restart, a
    failover), one request may answer 503 (never 500), and the pool then reconnects."""
    runtime = intake.app.state.runtime
    warm = await asyncio.gather(
        *(
            intake.client.post(
                "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
            )
            for _ in range(10)
        )
    )
    assert {r.status_code for r in warm} == {202}
    admin = create_async_engine(runtime.engine.url, poolclass=sa.pool.NullPool)
    async with admin.connect() as connection:
        dropped = await connection.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :database AND pid <> pg_backend_pid()"
            ),
            {"database": runtime.engine.url.database},
        )
    await admin.dispose()
    assert dropped >= 1
    statuses = [
        (
            await intake.client.post(
                "/v1/forms/street-cleansing/submissions", json=submission("street-cleansing")
            )
        ).status_code
        for _ in range(5)
    ]
    assert set(statuses) <= {202, 503}
    assert statuses.count(503) <= 1
    assert statuses[-1] == 202
