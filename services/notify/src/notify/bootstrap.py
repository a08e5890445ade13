"""Builds the notify service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

import gc
from pathlib import Path

from civic_events.base import Event
from civic_events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from civic_runtime.app import ServiceRuntime, build_runtime, create_service
from civic_runtime.officers import OfficerTokens
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from notify.adapters.metrics import METRICS_KEY, NotifyMetrics
from notify.adapters.providers.base import DeliveryProvider
from notify.adapters.providers.govuk_notify import GovukNotifyProvider
from notify.adapters.providers.push import WebPushProvider
from notify.adapters.providers.rate_limit import RateLimit
from notify.adapters.providers.smtp import SmtpProvider
from notify.config import NotifySettings
from notify.domain.recipient_limits import RecipientLimits
from notify.entrypoints.consumers import handlers
from notify.entrypoints.dispatcher import Dispatcher
from notify.entrypoints.http import router
from notify.service_layer import templates
from notify.service_layer.delivery import DispatchPolicy
from notify.service_layer.notifications import CLAIM_AT_CREATION_KEY, QUIET_HOURS_KEY, WAKE_KEY

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

PRODUCES: tuple[type[Event], ...] = (NotificationSent, NotificationDelivered, NotificationFailed)


def build_providers(settings: NotifySettings) -> dict[str, list[DeliveryProvider]]:
    """The providers of each channel, in failover order."""
    notify = GovukNotifyProvider(
        api_key=settings.govuk_notify_api_key,
        base_url=settings.govuk_notify_base_url,
        email_template_id=settings.govuk_notify_email_template_id,
        sms_template_id=settings.govuk_notify_sms_template_id,
        timeout_s=settings.govuk_notify_timeout_s,
        threads=settings.dispatch_concurrency,
    )
    smtp = SmtpProvider(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        timeout_s=settings.smtp_timeout_s,
    )
    by_name: dict[str, DeliveryProvider] = {"govuk-notify": notify, "smtp": smtp}
    providers: dict[str, list[DeliveryProvider]] = {
        "email": [by_name[name] for name in settings.email_providers],
        "sms": [notify],
        "push": [],
    }
    if settings.vapid_private_key:
        providers["push"] = [
            WebPushProvider(
                vapid_private_key=settings.vapid_private_key,
                vapid_subject=settings.vapid_subject,
                production=settings.environment == "production",
                ttl_s=settings.push_ttl_s,
            )
        ]
    return providers


def build_dispatcher(
    settings: NotifySettings,
    runtime: ServiceRuntime,
    providers: dict[str, list[DeliveryProvider]] | None = None,
) -> Dispatcher:
    limits = {
        "govuk-notify": settings.rate_limit_govuk_notify_per_minute,
        "smtp": settings.rate_limit_smtp_per_minute,
        "push": settings.rate_limit_push_per_minute,
    }
    return Dispatcher(
        unit_of_work=runtime.unit_of_work,
        providers=providers if providers is not None else build_providers(settings),
        rate_limits={
            name: RateLimit(limit, settings.rate_limit_window_s)
            for name, limit in limits.items()
            if limit > 0
        },
        policy=DispatchPolicy(
            batch_size=settings.dispatch_batch_size,
            concurrency=settings.dispatch_concurrency,
            poll_interval_s=settings.dispatch_poll_interval_ms / 1000,
            sending_lease_s=settings.sending_lease_s,
            temporary_failure_max_attempts=settings.temporary_failure_max_attempts,
            temporary_failure_backoff_s=settings.temporary_failure_backoff_s,
            reconcile_after_s=settings.reconcile_after_s,
            status_page_base_url=settings.status_page_base_url,
            status_link_secret=settings.status_link_secret,
            status_link_ttl_days=settings.status_link_ttl_days,
            recipient_limits=RecipientLimits(
                per_hour=settings.max_messages_per_recipient_per_hour,
                contact_change_per_hour=settings.max_contact_change_messages_per_recipient_per_hour,
            ),
        ),
    )


def create_app(
    settings: ServiceSettings,
    *,
    providers: dict[str, list[DeliveryProvider]] | None = None,
    dispatcher_enabled: bool = True,
) -> FastAPI:
    assert isinstance(settings, NotifySettings), "notify needs NotifySettings"
    runtime = build_runtime(settings, handlers=handlers, produces=PRODUCES)
    dispatcher = build_dispatcher(settings, runtime, providers)
    metrics = NotifyMetrics(runtime.metrics.registry)
    # A transaction that makes a message due wakes the dispatcher as it commits; the outcomes it
    # records are counted as it commits; the quiet hours reach every use case that routes. A
    # message due at once is claimed as it is created, and handed over at that commit.
    runtime.session_factory.configure(
        info={
            WAKE_KEY: dispatcher.wake,
            CLAIM_AT_CREATION_KEY: dispatcher if dispatcher_enabled else None,
            METRICS_KEY: metrics,
            QUIET_HOURS_KEY: settings.quiet_hours_window,
        }
    )

    async def install_templates() -> None:
        if settings.load_default_templates:
            async with runtime.unit_of_work() as uow:
                await templates.install_defaults(session=uow.session)

    async def freeze_what_start_up_built() -> None:
        # What start-up built (modules, table metadata, clients) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it all (>100 ms
        # pauses otherwise, each a delay for every message in flight).
        gc.freeze()

    app = create_service(
        runtime,
        title="Civic Events — notify",
        description="Templates, channel of choice, delivery to email/SMS/push, delivery receipts.",
        migrations_dir=MIGRATIONS_DIR,
        routers=[router],
        on_startup=[install_templates, freeze_what_start_up_built],
        background=[dispatcher] if dispatcher_enabled else [],
        on_shutdown=[provider.close for provider in dispatcher_providers(dispatcher)],
    )
    app.state.dispatcher = dispatcher
    app.state.notify_metrics = metrics
    app.state.officer_tokens = OfficerTokens(settings)
    return app


def dispatcher_providers(dispatcher: Dispatcher) -> list[DeliveryProvider]:
    return list(dispatcher._by_name.values())
