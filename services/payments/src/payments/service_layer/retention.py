"""Retention: what grows with every webhook and every event handled is deleted once old enough.

The webhook log (`payments_webhook`) and this database's processed-event records (the runtime's
`inbox`) are pruned after `webhook_log_retention_days` / `inbox_retention_days`. Both are safe to
forget by then: Pay stops retrying a webhook after a few days and Kafka keeps records for days,
and a message that did come back later would change nothing (states only move forward, payments
are found by request id, case refunds by their trigger key). Payments and refunds are financial
records and are kept.

Safe with several instances: each batch is one short transaction that takes its rows with
`FOR UPDATE SKIP LOCKED`, so instances pruning at once delete disjoint rows and never wait.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from civic_runtime.periodic import PeriodicJob
from sqlalchemy.ext.asyncio import AsyncSession

from payments.adapters import repository
from payments.service_layer.context import PaymentsContext
from payments.service_layer.reconciliation import UnitOfWorkFactory

logger = logging.getLogger(__name__)

Deleter = Callable[..., Awaitable[int]]


@dataclass
class RetentionReport:
    webhooks: int = 0
    inbox: int = 0


async def prune_once(
    *, unit_of_work: UnitOfWorkFactory, context: PaymentsContext
) -> RetentionReport:
    settings = context.settings
    now = context.clock()
    report = RetentionReport(
        webhooks=await _prune(
            unit_of_work,
            repository.delete_webhook_log_before,
            before=now - timedelta(days=settings.webhook_log_retention_days),
            batch_size=settings.retention_batch_size,
        ),
        inbox=await _prune(
            unit_of_work,
            repository.delete_inbox_before,
            before=now - timedelta(days=settings.inbox_retention_days),
            batch_size=settings.retention_batch_size,
        ),
    )
    context.metrics.pruned.labels("payments_webhook").inc(report.webhooks)
    context.metrics.pruned.labels("inbox").inc(report.inbox)
    if report.webhooks or report.inbox:
        logger.info(
            "retention: %d webhook log row(s) and %d inbox row(s) deleted",
            report.webhooks,
            report.inbox,
        )
    return report


async def _prune(
    unit_of_work: UnitOfWorkFactory, delete: Deleter, *, before: datetime, batch_size: int
) -> int:
    total = 0
    while True:
        async with unit_of_work() as uow:
            session: AsyncSession = uow.session
            deleted = await delete(session, before=before, limit=batch_size)
        total += deleted
        if deleted < batch_size:
            return total


class RetentionJob(PeriodicJob):
    """Runs `prune_once` every `retention_interval_s` in the background of a service process."""

    def __init__(self, *, unit_of_work: UnitOfWorkFactory, context: PaymentsContext) -> None:
        super().__init__(
            name="retention",
            run_round=lambda: prune_once(unit_of_work=unit_of_work, context=context),
            interval_s=lambda: context.settings.retention_interval_s,
        )
