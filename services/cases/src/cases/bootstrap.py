"""Builds the cases service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from civic_runtime.app import ServiceRuntime, create_service
from fastapi import FastAPI

from cases.config import CasesSettings
from cases.entrypoints.consumers import handlers
from cases.entrypoints.http import officer_router, status_router
from cases.service_layer.sla import forget_old_lookups, raise_breaches

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
logger = logging.getLogger(__name__)


async def check_slas(runtime: ServiceRuntime) -> int:
    """One pass of the SLA checker; safe to run on every instance at once."""
    async with runtime.unit_of_work() as uow:
        now = datetime.now(UTC)
        await forget_old_lookups(uow, now=now)
        return await raise_breaches(uow, now=now)


async def _sla_checker(runtime: ServiceRuntime, interval_s: float) -> None:
    while True:
        try:
            await check_slas(runtime)
        except Exception:
            logger.exception("SLA check failed; trying again next interval")
        await asyncio.sleep(interval_s)


def create_app(settings: CasesSettings) -> FastAPI:
    app = create_service(
        settings,
        title="Civic Events — cases",
        description="The case record and resident record (the CRM of record): state machines, SLAs, timeline, officer API.",
        migrations_dir=MIGRATIONS_DIR,
        handlers=handlers,
        routers=[officer_router, status_router],
    )
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            checker = None
            if settings.sla_checker_enabled:
                checker = asyncio.create_task(
                    _sla_checker(app.state.runtime, settings.sla_check_interval_s)
                )
            try:
                yield
            finally:
                if checker is not None:
                    checker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await checker

    app.router.lifespan_context = lifespan
    return app
