"""Builds the cases service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from civic_runtime.app import ServiceRuntime, create_service
from civic_runtime.council import Council, load_council
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from cases.adapters.metrics import CasesMetrics
from cases.adapters.waste_contractor import HttpWasteContractor, WasteContractor
from cases.config import MIGRATIONS_DIR, CasesSettings
from cases.entrypoints.auth import OfficerTokens
from cases.entrypoints.consumers import build_handlers
from cases.entrypoints.http import officer_router, status_router
from cases.service_layer.backoffice import forget_expired_updates
from cases.service_layer.context import CasesContext
from cases.service_layer.sla import forget_old_lookups, raise_breaches
from cases.service_layer.work_orders import Backoff, send_due

logger = logging.getLogger(__name__)


async def check_slas(runtime: ServiceRuntime, metrics: CasesMetrics | None = None) -> int:
    """One pass of the SLA checker; safe to run on every instance at once."""
    async with runtime.unit_of_work() as uow:
        if metrics is not None:
            metrics.count_when_committed(uow)
        now = datetime.now(UTC)
        await forget_old_lookups(uow, now=now)
        await forget_expired_updates(uow, now=now)
        return await raise_breaches(uow, now=now)


async def _every(interval_s: float, name: str, work: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await work()
        except Exception:
            logger.exception("%s failed; trying again next interval", name)
        await asyncio.sleep(interval_s)


def create_app(
    settings: ServiceSettings,
    *,
    contractor: WasteContractor | None = None,
    council: Council | None = None,
) -> FastAPI:
    if not isinstance(settings, CasesSettings):
        settings = CasesSettings(**settings.model_dump())
    # First of all: without its council's profile, or with a wrong one, cases does not start.
    # Loading it also works out this year's and next year's bank holidays, before any case.
    council = council or load_council(settings.council_file, environment=settings.environment)
    context = CasesContext(settings=settings, council=council)
    app = create_service(
        settings,
        title="Civic Events — cases",
        description="The case record and resident record (the CRM of record): state machines, SLAs, timeline, officer API.",
        migrations_dir=MIGRATIONS_DIR,
        handlers=build_handlers(context),
        routers=[officer_router, status_router],
    )
    runtime: ServiceRuntime = app.state.runtime
    context.metrics.register(runtime.metrics.registry)
    app.state.cases_context = context
    app.state.officer_tokens = OfficerTokens(settings)
    if contractor is None and settings.work_orders_enabled:
        contractor = HttpWasteContractor(
            base_url=settings.waste_contractor_url,
            api_key=settings.contractor_api_key,
            timeout_s=settings.waste_contractor_timeout_s,
        )
    backoff = Backoff(
        initial_s=settings.work_order_retry_initial_s, max_s=settings.work_order_retry_max_s
    )
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            tasks = []
            if settings.sla_checker_enabled:
                tasks.append(
                    asyncio.create_task(
                        _every(
                            settings.sla_check_interval_s,
                            "SLA check",
                            lambda: check_slas(runtime, context.metrics),
                        )
                    )
                )
            if contractor is not None:
                tasks.append(
                    asyncio.create_task(
                        _every(
                            settings.work_order_poll_interval_s,
                            "sending work orders",
                            lambda: send_due(
                                runtime.unit_of_work, contractor=contractor, backoff=backoff
                            ),
                        )
                    )
                )
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if contractor is not None:
                    await contractor.aclose()

    app.router.lifespan_context = lifespan
    return app
