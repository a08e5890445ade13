"""Retention of the webhook log and the processed-event records, against the real database."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from payments.service_layer.retention import prune_once

pytestmark = pytest.mark.integration


WEBHOOKS = (
    "INSERT INTO payments_webhook (received_at, signature_valid, webhook_message_id,"
    " applied_message_id, event_type, outcome)"
    " SELECT :at, true, 'm-' || gen_random_uuid(), NULL, 'card_payment_started',"
    " 'applied' FROM generate_series(1, :count)"
)
INBOX = (
    'INSERT INTO inbox (handler, event_id, event_type, topic, partition, "offset",'
    " processed_at) SELECT 'payments.on_payment_requested', gen_random_uuid(),"
    " 'uk.gov.council.payments.PaymentRequested.v1', 'payments.v1', 0, n, :at"
    " FROM generate_series(1, :count) AS n"
)


async def add_rows(use_cases: Any, insert: str, *, days_old: float, count: int = 1) -> None:
    """`count` rows by the `insert` statement, each `days_old` days old by the test's clock."""
    async with use_cases.session_factory() as session, session.begin():
        await session.execute(
            sa.text(insert),
            {"at": use_cases.clock() - timedelta(days=days_old), "count": count},
        )


async def ages(use_cases: Any, query: str) -> list[int]:
    now: datetime = use_cases.clock()
    return sorted(
        round((now - row[0]).total_seconds() / 86400) for row in await use_cases.rows(query)
    )


async def test_rows_older_than_the_retention_period_are_deleted_and_newer_ones_kept(
    use_cases: Any,
) -> None:
    for days in (1, 89, 91, 400):
        await add_rows(use_cases, WEBHOOKS, days_old=days)
        await add_rows(use_cases, INBOX, days_old=days)

    report = await prune_once(unit_of_work=use_cases.unit_of_work, context=use_cases.context)

    assert (report.webhooks, report.inbox) == (2, 2)
    assert await ages(use_cases, "SELECT received_at FROM payments_webhook") == [1, 89]
    assert await ages(use_cases, "SELECT processed_at FROM inbox") == [1, 89]
    again = await prune_once(unit_of_work=use_cases.unit_of_work, context=use_cases.context)
    assert (again.webhooks, again.inbox) == (0, 0)


async def test_the_periods_are_settings(use_cases: Any) -> None:
    settings = use_cases.context.settings.model_copy(
        update={"webhook_log_retention_days": 30, "inbox_retention_days": 7}
    )
    context = dataclasses.replace(use_cases.context, settings=settings)
    for days in (6, 8, 29, 31):
        await add_rows(use_cases, WEBHOOKS, days_old=days)
        await add_rows(use_cases, INBOX, days_old=days)

    await prune_once(unit_of_work=use_cases.unit_of_work, context=context)

    assert await ages(use_cases, "SELECT received_at FROM payments_webhook") == [6, 8, 29]
    assert await ages(use_cases, "SELECT processed_at FROM inbox") == [6]


async def test_several_instances_pruning_at_once_delete_each_row_once(use_cases: Any) -> None:
    await add_rows(use_cases, WEBHOOKS, days_old=100, count=500)
    await add_rows(use_cases, INBOX, days_old=100, count=300)
    await add_rows(use_cases, WEBHOOKS, days_old=10, count=5)
    settings = use_cases.context.settings.model_copy(update={"retention_batch_size": 25})
    context = dataclasses.replace(use_cases.context, settings=settings)

    reports = await asyncio.gather(
        *(prune_once(unit_of_work=use_cases.unit_of_work, context=context) for _ in range(3))
    )

    # Each batch skips the rows another instance has locked, and a locked row is one being
    # deleted: so when the last instance stops, every old row is gone, each deleted once.
    assert sum(r.webhooks for r in reports) == 500 and sum(r.inbox for r in reports) == 300
    assert await ages(use_cases, "SELECT received_at FROM payments_webhook") == [10] * 5
    assert await use_cases.rows("SELECT count(*) FROM inbox") == [(0,)]


async def test_payments_and_refunds_are_kept(use_cases: Any, payment_requested: Any) -> None:
    from payments.service_layer import payments

    async with use_cases.unit_of_work() as uow:
        await payments.request_payment(
            uow=uow, context=use_cases.context, request=payment_requested()
        )
    use_cases.clock.advance(days=3650)
    await prune_once(unit_of_work=use_cases.unit_of_work, context=use_cases.context)
    assert await use_cases.rows("SELECT count(*) FROM payments_payment") == [(1,)]
