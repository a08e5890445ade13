"""The planning back office simulator's HTTP API (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from civic_simulators.district import load
from civic_simulators.intake_reports import IntakeReporter
from civic_simulators.planning_backoffice.office import DuplicateReference, PlanningOffice
from civic_simulators.planning_backoffice.settings import PlanningSimulatorSettings
from civic_simulators.problems import install_problem_handlers, problem


class Site(BaseModel):
    uprn: str | None = Field(default=None, pattern=r"^[0-9]{1,12}$")
    address: str | None = Field(default=None, max_length=500)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Contact(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    address: str | None = Field(default=None, max_length=500)


class NewApplication(BaseModel):
    reference: str | None = Field(default=None, min_length=1, max_length=100)
    application_type: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)
    proposal: str = Field(min_length=1, max_length=2000)
    site: Site
    applicant: Contact
    agent: Contact | None = None
    decision: Literal["granted", "refused"] = "granted"
    environmental_impact_assessment: bool = False


def create_app(settings: PlanningSimulatorSettings | None = None) -> FastAPI:
    settings = settings or PlanningSimulatorSettings()
    office = PlanningOffice(
        settings=settings,
        reporter=IntakeReporter.from_settings(settings, path="/v1/backoffice/planning/events"),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        auto: asyncio.Task[None] | None = None
        if settings.district_file and settings.auto_every_s > 0:
            district = load(settings.district_file)
            auto = asyncio.get_running_loop().create_task(office.start_from_district(district))
        try:
            yield
        finally:
            if auto is not None:
                auto.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await auto
            await office.close()

    app = FastAPI(title="Planning back office (simulator)", version="1.0", lifespan=lifespan)
    app.state.office = office
    install_problem_handlers(app)

    @app.post("/_simulator/applications", status_code=201, response_model=None)
    async def submit(application: NewApplication) -> JSONResponse:
        if not (application.site.uprn or application.site.address):
            return problem(422, "the site needs a uprn or an address")
        if (application.site.latitude is None) != (application.site.longitude is None):
            return problem(422, "the site's latitude and longitude come together")
        try:
            created = office.submit(
                reference=application.reference,
                application_type=application.application_type,
                proposal=application.proposal,
                site=application.site.model_dump(),
                applicant=application.applicant.model_dump(),
                agent=application.agent.model_dump() if application.agent else None,
                decision=application.decision,
                environmental_impact_assessment=application.environmental_impact_assessment,
            )
        except DuplicateReference:
            return problem(409, "an application with this reference exists")
        return JSONResponse(created.public(), status_code=201)

    @app.get("/api/v1/applications/{reference:path}")
    async def application(reference: Annotated[str, Path()]) -> dict[str, Any]:
        found = office.applications.get(reference)
        if found is None:
            raise HTTPException(404, "no application with this reference")
        return found.public()

    @app.get("/_simulator/reports")
    async def reports() -> list[dict[str, Any]]:
        return [report.public() for report in office.reporter.reports]

    @app.get("/healthcheck")
    async def healthcheck() -> dict[str, str]:
        return {"status": "ok"}

    return app
