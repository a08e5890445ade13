"""Idempotency keys are deleted once expired, so the table holds about two days of keys, not years;
the clients' submission counts once their hour is over.

A key is kept `idempotency_retention_hours` (at least 24 h, the issue's promise); after that a retry
with the same key is a new submission anyway (the key is reclaimed on reuse), so the row is dead
weight. Safe with several instances: each batch is one short transaction that takes its rows with
`FOR UPDATE SKIP LOCKED`, so instances purging at once delete disjoint rows and never wait, and a
request reclaiming an expired key at that moment keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from civic_runtime.periodic import PeriodicJob
from civic_runtime.uow import UnitOfWork

from intake.adapters import repository
from intake.service_layer.client_limits import forget_past_hours

logger = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def purge_expired_idempotency_keys(
    *, unit_of_work: UnitOfWorkFactory, batch_size: int, now: datetime | None = None
) -> int:
    """Delete every key expired by `now`, `batch_size` rows per transaction; returns how many."""
    before = now or datetime.now(UTC)
    total = 0
    while True:
        async with unit_of_work() as uow:
            deleted = await repository.delete_expired_idempotency_keys(
                session=uow.session, before=before, limit=batch_size
            )
        total += deleted
        if deleted < batch_size:
            return total


class IdempotencyPurgeJob(PeriodicJob):
    """Runs the purge every `interval_s` in the background of a service process."""

    def __init__(
        self, *, unit_of_work: UnitOfWorkFactory, interval_s: float, batch_size: int
    ) -> None:
        super().__init__(
            name="idempotency purge", run_round=self._round, interval_s=lambda: interval_s
        )
        self._unit_of_work = unit_of_work
        self._batch_size = batch_size

    async def _round(self) -> None:
        deleted = await purge_expired_idempotency_keys(
            unit_of_work=self._unit_of_work, batch_size=self._batch_size
        )
        if deleted:
            logger.info("idempotency purge: %d expired key(s) deleted", deleted)
        # The clients' counts of hours already over limit nothing: a row per client and hour.
        async with self._unit_of_work() as uow:
            await forget_past_hours(uow=uow)
