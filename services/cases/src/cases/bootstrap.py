"""Builds the cases service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from datetime import UTC, datetime

from civic_events.base import Event
from civic_events.cases import CaseClosed, CaseOpened, CaseSlaBreached, CaseStatusChanged
from civic_events.payments import PaymentRequested
from civic_events.residents import (
    ContactChangeRequested,
    ContactPreferencesChanged,
    ResidentErased,
    ResidentUpserted,
)
from civic_runtime.app import ServiceRuntime, build_runtime, create_service
from civic_runtime.council import Council, load_council
from civic_runtime.officers import OfficerTokens
from civic_runtime.periodic import BackgroundJob, PeriodicJob
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from cases.adapters.metrics import CasesMetrics
from cases.adapters.waste_contractor import HttpWasteContractor, WasteContractor
from cases.config import MIGRATIONS_DIR, CasesSettings
from cases.entrypoints.consumers import build_handlers
from cases.entrypoints.contact_changes_api import contact_changes_router
from cases.entrypoints.http import officer_router, status_router
from cases.service_layer.backoffice import forget_expired_updates
from cases.service_layer.context import CasesContext
from cases.service_layer.sla import forget_old_lookups, raise_breaches
from cases.service_layer.work_orders import Backoff, send_due

PRODUCES: tuple[type[Event], ...] = (
    CaseOpened,
    CaseStatusChanged,
    CaseClosed,
    CaseSlaBreached,
    PaymentRequested,
    ResidentUpserted,
    ContactPreferencesChanged,
    ContactChangeRequested,
    ResidentErased,
)


async def check_slas(runtime: ServiceRuntime, metrics: CasesMetrics | None = None) -> int:
    """One pass of the SLA checker; safe to run on every instance at once."""
    async with runtime.unit_of_work() as uow:
        if metrics is not None:
            metrics.count_when_committed(uow)
        now = datetime.now(UTC)
        await forget_old_lookups(uow, now=now)
        await forget_expired_updates(uow, now=now)
        return await raise_breaches(uow, now=now)


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
    runtime = build_runtime(settings, handlers=build_handlers(context), produces=PRODUCES)
    context.metrics.register(runtime.metrics.registry)
    background: list[BackgroundJob] = []
    if settings.sla_checker_enabled:
        background.append(
            PeriodicJob(
                name="SLA check",
                run_round=lambda: check_slas(runtime, context.metrics),
                interval_s=lambda: settings.sla_check_interval_s,
            )
        )
    if contractor is None and settings.work_orders_enabled:
        contractor = HttpWasteContractor(
            base_url=settings.waste_contractor_url,
            api_key=settings.contractor_api_key,
            timeout_s=settings.waste_contractor_timeout_s,
        )
    if contractor is not None:
        sender = contractor
        backoff = Backoff(
            initial_s=settings.work_order_retry_initial_s, max_s=settings.work_order_retry_max_s
        )
        background.append(
            PeriodicJob(
                name="sending work orders",
                run_round=lambda: send_due(
                    runtime.unit_of_work, contractor=sender, backoff=backoff
                ),
                interval_s=lambda: settings.work_order_poll_interval_s,
            )
        )
    app = create_service(
        runtime,
        title="Civic Events — cases",
        description="The case record and resident record (the CRM of record): state machines, SLAs, timeline, officer API.",
        migrations_dir=MIGRATIONS_DIR,
        routers=[officer_router, status_router, contact_changes_router],
        background=background,
        on_shutdown=[contractor.aclose] if contractor is not None else [],
    )
    app.state.cases_context = context
    app.state.officer_tokens = OfficerTokens(settings)
    return app
