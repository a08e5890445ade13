"""Builds the intake service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from civic_runtime.app import ServiceRuntime, create_service
from civic_runtime.council import Council, InvalidCouncil, load_council
from civic_runtime.settings import ServiceSettings
from fastapi import FastAPI

from intake.adapters import repository
from intake.adapters.form_files import load_published_forms, publish_forms, read_form_files
from intake.adapters.group_commit import GroupCommit
from intake.adapters.metrics import IntakeMetrics
from intake.adapters.waste_contractor import HttpWasteContractor, WasteContractor
from intake.config import IntakeSettings
from intake.domain.catalogue import Catalogue
from intake.domain.forms import FAMILIES
from intake.domain.references import InvalidReferencePrefixes, reference_prefixes
from intake.entrypoints import backoffice_http, forms_http, open311_http, problems
from intake.entrypoints.consumers import handlers
from intake.entrypoints.state import IntakeState
from intake.service_layer.retention import IdempotencyPurgeJob

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def _reference_prefixes(council: Council, settings: IntakeSettings) -> dict[str, str]:
    try:
        return reference_prefixes(FAMILIES, council.profile.reference_prefixes)
    except InvalidReferencePrefixes as exc:
        raise InvalidCouncil(f"{settings.council_file}: {exc}") from None


def create_app(
    settings: ServiceSettings,
    *,
    waste_contractor: WasteContractor | None = None,
    council: Council | None = None,
) -> FastAPI:
    intake_settings = (
        settings
        if isinstance(settings, IntakeSettings)
        else IntakeSettings(**settings.model_dump(exclude={"service_name"}))
    )
    # First of all: without its council's profile, or with a wrong one, intake does not start.
    council = council or load_council(
        intake_settings.council_file, environment=intake_settings.environment
    )
    prefixes = _reference_prefixes(council, intake_settings)
    app = create_service(
        intake_settings,
        title="Civic Events — intake",
        description="Online forms, Open311 GeoReport v2 and back-office webhooks in; validated events out.",
        migrations_dir=MIGRATIONS_DIR,
        handlers=handlers,
        routers=[forms_http.router, backoffice_http.router, open311_http.router],
    )
    problems.install(app)
    own_client = waste_contractor is None
    contractor = waste_contractor or HttpWasteContractor(
        base_url=intake_settings.waste_contractor_url,
        api_key=intake_settings.waste_contractor_api_key,
        timeout_s=intake_settings.waste_contractor_timeout_s,
    )
    runtime: ServiceRuntime = app.state.runtime
    state = IntakeState(
        settings=intake_settings,
        waste_contractor=contractor,
        council=council,
        reference_prefixes=prefixes,
        metrics=IntakeMetrics(runtime.metrics.registry),
    )
    app.state.intake = state
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            forms = read_form_files(intake_settings.forms_dir)
            async with runtime.unit_of_work() as uow:
                await publish_forms(session=uow.session, forms=forms)
            async with runtime.unit_of_work() as uow:
                state.catalogue = Catalogue(await load_published_forms(session=uow.session))
            purge = IdempotencyPurgeJob(
                unit_of_work=runtime.unit_of_work,
                interval_s=intake_settings.idempotency_purge_interval_s,
                batch_size=intake_settings.idempotency_purge_batch_size,
            )
            writer = GroupCommit(
                begin=lambda: runtime.engine.begin(),
                statement=repository.RECEIPT_WITH_EVENT,
                draw_numbers=repository.draw_reference_numbers,
                on_commit=runtime.relay.wake,
                observe=state.metrics.group_committed,
                max_batch=intake_settings.group_commit_max_batch,
            )
            writer.start()
            state.writer = writer
            try:
                async with AsyncExitStack() as background:
                    if intake_settings.idempotency_purge_enabled:
                        await background.enter_async_context(purge.running())
                    yield
            finally:
                state.writer = None
                await writer.stop()
                if own_client and isinstance(contractor, HttpWasteContractor):
                    await contractor.close()

    app.router.lifespan_context = lifespan
    return app
