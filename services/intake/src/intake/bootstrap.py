"""Builds the intake service from its settings: the only place where its parts are wired together."""

from __future__ import annotations

from pathlib import Path

from civic_events.base import Event
from civic_events.intake import FormSubmitted
from civic_runtime.app import Step, build_runtime, create_service
from civic_runtime.council import Council, InvalidCouncil, load_council
from civic_runtime.periodic import BackgroundJob
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
from intake.service_layer.backoffice import SYSTEM_EVENTS
from intake.service_layer.retention import IdempotencyPurgeJob

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Submissions, and the back-office systems' reports it accepts.
PRODUCES: tuple[type[Event], ...] = (
    FormSubmitted,
    *(model for models in SYSTEM_EVENTS.values() for model in models.values()),
)


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
    runtime = build_runtime(intake_settings, handlers=handlers, produces=PRODUCES)
    on_shutdown: list[Step] = []
    if waste_contractor is None:
        waste_contractor = HttpWasteContractor(
            base_url=intake_settings.waste_contractor_url,
            api_key=intake_settings.waste_contractor_api_key,
            timeout_s=intake_settings.waste_contractor_timeout_s,
        )
        on_shutdown.append(waste_contractor.close)
    metrics = IntakeMetrics(runtime.metrics.registry)
    writer = GroupCommit(
        begin=lambda: runtime.connection_unit_of_work(),
        write=lambda uow, receipts: repository.add_submissions(uow=uow, receipts=receipts),
        draw_numbers=repository.draw_reference_numbers,
        observe=metrics.group_committed,
        max_batch=intake_settings.group_commit_max_batch,
        is_outage=problems.is_outage,
    )
    state = IntakeState(
        settings=intake_settings,
        waste_contractor=waste_contractor,
        council=council,
        reference_prefixes=prefixes,
        metrics=metrics,
        writer=writer,
    )
    background: list[BackgroundJob] = [writer]
    if intake_settings.idempotency_purge_enabled:
        background.append(
            IdempotencyPurgeJob(
                unit_of_work=runtime.unit_of_work,
                interval_s=intake_settings.idempotency_purge_interval_s,
                batch_size=intake_settings.idempotency_purge_batch_size,
            )
        )

    async def load_catalogue() -> None:
        forms = read_form_files(intake_settings.forms_dir)
        async with runtime.unit_of_work() as uow:
            await publish_forms(session=uow.session, forms=forms)
        async with runtime.unit_of_work() as uow:
            state.catalogue = Catalogue(await load_published_forms(session=uow.session))

    app = create_service(
        runtime,
        title="Civic Events — intake",
        description="Online forms, Open311 GeoReport v2 and back-office webhooks in; validated events out.",
        migrations_dir=MIGRATIONS_DIR,
        routers=[forms_http.router, backoffice_http.router, open311_http.router],
        on_startup=[load_catalogue],
        background=background,
        on_shutdown=on_shutdown,
    )
    problems.install(app)
    app.state.intake = state
    return app
