"""Builds the payments service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from pathlib import Path

from civic_events.base import Event
from civic_events.payments import PaymentCreated, PaymentFailed, PaymentRefunded, PaymentSucceeded
from civic_runtime.app import build_runtime, create_service
from civic_runtime.officers import OfficerTokens
from civic_runtime.periodic import BackgroundJob
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from payments.adapters.gateway import GovUkPayGateway, PaymentGateway
from payments.adapters.metrics import PaymentsMetrics
from payments.config import PaymentsSettings
from payments.entrypoints.consumers import build_handlers
from payments.entrypoints.http import gateway_router, officer_router, resident_router
from payments.service_layer.context import PaymentsContext
from payments.service_layer.reconciliation import Reconciler
from payments.service_layer.retention import RetentionJob

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# The outcome of each payment request; the requests themselves come from cases.
PRODUCES: tuple[type[Event], ...] = (
    PaymentCreated,
    PaymentSucceeded,
    PaymentFailed,
    PaymentRefunded,
)


def create_app(settings: ServiceSettings, *, gateway: PaymentGateway | None = None) -> FastAPI:
    if not isinstance(settings, PaymentsSettings):
        settings = PaymentsSettings(**settings.model_dump())
    # Before the gateway is built with the secrets: a refusal names every unsafe setting.
    settings.refuse_in_production()
    gateway = gateway or GovUkPayGateway(
        base_url=settings.pay_api_url,
        api_key=settings.secret("pay_api_key"),
        timeout_s=settings.pay_timeout_s,
    )
    # Made before the runtime (the handlers count outcomes), registered on its registry below.
    metrics = PaymentsMetrics()
    context = PaymentsContext(settings=settings, gateway=gateway, metrics=metrics)
    runtime = build_runtime(settings, handlers=build_handlers(context), produces=PRODUCES)
    metrics.register(runtime.metrics.registry)
    background: list[BackgroundJob] = []
    if settings.reconcile_enabled:
        background.append(
            Reconciler(unit_of_work=runtime.unit_of_work, context=context, metrics=metrics)
        )
    if settings.retention_enabled:
        background.append(RetentionJob(unit_of_work=runtime.unit_of_work, context=context))
    app = create_service(
        runtime,
        title="Civic Events — payments",
        description="Payment requests, GOV.UK Pay gateway integration, signed webhooks, refunds.",
        migrations_dir=MIGRATIONS_DIR,
        routers=[gateway_router(), resident_router(), officer_router()],
        background=background,
        on_shutdown=[gateway.aclose],
    )
    app.state.payments_context = context
    app.state.payments_metrics = metrics
    app.state.officer_tokens = OfficerTokens(settings)
    return app
