"""Reconciliation: a lost webhook must never leave a paid booking unconfirmed.

Payments still unfinished (and refunds still submitted) after `reconcile_after_s` are settled
from the gateway's own answer, then checked again every `reconcile_interval_s` until final.
Safe with several instances: each payment is claimed with `FOR UPDATE SKIP LOCKED` and its
`next_check_at` re-read under the lock, so one instance checks it per round.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta

from civic_runtime.periodic import PeriodicJob
from civic_runtime.uow import UnitOfWork

from payments.adapters import repository
from payments.adapters.gateway import GatewayError
from payments.adapters.metrics import PaymentsMetrics
from payments.service_layer.context import PaymentsContext
from payments.service_layer.payments import refresh_from_gateway
from payments.service_layer.refunds import settle_refunds

logger = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


@dataclass
class ReconciliationReport:
    checked: int = 0
    settled: int = 0
    refunds_checked: int = 0
    failed: int = 0


async def reconcile_once(
    *, unit_of_work: UnitOfWorkFactory, context: PaymentsContext
) -> ReconciliationReport:
    report = ReconciliationReport()
    now = context.clock()
    limit = context.settings.reconcile_batch_size
    async with unit_of_work() as uow:
        payment_ids = await repository.due_payment_ids(uow.session, now=now, limit=limit)
        refund_payment_ids = await repository.due_refund_payment_ids(
            uow.session, now=now, limit=limit
        )
    for payment_id in payment_ids:
        await _check_payment(unit_of_work, context, payment_id, report)
    for payment_id in refund_payment_ids:
        await _check_refunds(unit_of_work, context, payment_id, report)
    if report.checked or report.refunds_checked:
        logger.info(
            "reconciliation: %d payment(s) checked, %d settled, %d refund set(s), %d failed",
            report.checked,
            report.settled,
            report.refunds_checked,
            report.failed,
        )
    return report


async def _check_payment(
    unit_of_work: UnitOfWorkFactory,
    context: PaymentsContext,
    payment_id: uuid.UUID,
    report: ReconciliationReport,
) -> None:
    try:
        async with unit_of_work() as uow:
            payment = await repository.payment_for_update(
                uow.session, id=payment_id, skip_locked=True
            )
            now = context.clock()
            if payment is None or payment.finished or payment.next_check_at > now:
                return  # another instance has it, or had it this round
            report.checked += 1
            await refresh_from_gateway(uow=uow, context=context, payment=payment)
            if payment.finished:
                report.settled += 1
            else:
                payment.next_check_at = now + timedelta(
                    seconds=context.settings.reconcile_interval_s
                )
                uow.session.add(payment)
    except GatewayError as exc:
        report.failed += 1
        logger.warning("reconciliation could not reach the gateway: %s", exc)


async def _check_refunds(
    unit_of_work: UnitOfWorkFactory,
    context: PaymentsContext,
    payment_id: uuid.UUID,
    report: ReconciliationReport,
) -> None:
    try:
        async with unit_of_work() as uow:
            payment = await repository.payment_for_update(
                uow.session, id=payment_id, skip_locked=True
            )
            if payment is None:
                return
            report.refunds_checked += 1
            await settle_refunds(uow=uow, context=context, payment=payment)
    except GatewayError as exc:
        report.failed += 1
        logger.warning("reconciliation could not reach the gateway: %s", exc)


class Reconciler(PeriodicJob):
    """Runs `reconcile_once` every `reconcile_interval_s` in the background of a service process."""

    def __init__(
        self,
        *,
        unit_of_work: UnitOfWorkFactory,
        context: PaymentsContext,
        metrics: PaymentsMetrics | None = None,
    ) -> None:
        async def reconcile_and_count() -> None:
            report = await reconcile_once(unit_of_work=unit_of_work, context=context)
            if metrics is not None:
                counter = metrics.reconciled
                counter.labels("settled").inc(report.settled)
                counter.labels("unfinished").inc(report.checked - report.settled)
                counter.labels("gateway_error").inc(report.failed)

        super().__init__(
            name="reconciliation",
            run_round=reconcile_and_count,
            interval_s=lambda: context.settings.reconcile_interval_s,
        )
