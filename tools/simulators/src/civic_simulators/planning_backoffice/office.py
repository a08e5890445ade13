"""The planning back office at work: each application is received, validated, put out to
consultation and decided, one step every `step_after_s`, and each step reported to intake.

Event ids are derived from the application's reference and the step, so an application reported
twice (a restart of the demo) is acknowledged by intake as a duplicate, not told twice.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from civic_simulators.background import BackgroundTasks
from civic_simulators.intake_reports import IntakeReporter
from civic_simulators.planning_backoffice.settings import PlanningSimulatorSettings

LONDON = ZoneInfo("Europe/London")
SUFFIXES = {
    "householder": "HOU",
    "full": "FUL",
    "outline": "OUT",
    "prior_approval": "PA",
    "listed_building": "LBC",
    "tree_works": "TPO",
}
CONSULTATION_DAYS = 21
CONSULTATION_DAYS_WITH_EIA = 30
DETERMINATION_WEEKS = {"full": 13, "outline": 13}  # major applications; the rest 8 weeks


class DuplicateReference(Exception):
    pass


@dataclass
class Application:
    reference: str
    application_type: str
    proposal: str
    site: dict[str, Any]
    applicant: dict[str, Any]
    agent: dict[str, Any] | None
    decision: str
    environmental_impact_assessment: bool
    received_on: date
    stage: str = "received"  # received | validated | consultation | awaiting_decision | decided
    history: list[dict[str, str]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """What the public register shows: no applicant's or agent's contact details."""
        return {
            "reference": self.reference,
            "application_type": self.application_type,
            "proposal": self.proposal,
            "site": self.site,
            "stage": self.stage,
            "received_on": self.received_on.isoformat(),
            "decision": self.decision if self.stage == "decided" else None,
            "history": self.history,
        }


def london_today() -> date:
    return datetime.now(LONDON).date()


def event_id(reference: str, kind: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"civic-events:planning-sim:{reference}:{kind}"))


class PlanningOffice:
    def __init__(self, *, settings: PlanningSimulatorSettings, reporter: IntakeReporter) -> None:
        self.settings = settings
        self.reporter = reporter
        self.applications: dict[str, Application] = {}
        # Fresh numbers each run, so a restarted demo does not reuse an earlier run's references.
        self._numbers = itertools.count(random.SystemRandom().randrange(50_000, 90_000))
        self._background = BackgroundTasks()

    def new_reference(self, application_type: str) -> str:
        year = london_today().year % 100
        while True:
            suffix = SUFFIXES.get(application_type, "FUL")
            reference = f"{year:02d}/{next(self._numbers):05d}/{suffix}"
            if reference not in self.applications:
                return reference

    def submit(
        self,
        *,
        reference: str | None,
        application_type: str,
        proposal: str,
        site: dict[str, Any],
        applicant: dict[str, Any],
        agent: dict[str, Any] | None,
        decision: str = "granted",
        environmental_impact_assessment: bool = False,
    ) -> Application:
        reference = reference or self.new_reference(application_type)
        if reference in self.applications:
            raise DuplicateReference(reference)
        application = Application(
            reference=reference,
            application_type=application_type,
            proposal=proposal,
            site=site,
            applicant=applicant,
            agent=agent,
            decision=decision,
            environmental_impact_assessment=environmental_impact_assessment,
            received_on=london_today(),
        )
        self.applications[reference] = application
        location: dict[str, Any] = {"uprn": site.get("uprn"), "address": site.get("address")}
        if site.get("latitude") is not None and site.get("longitude") is not None:
            location["coordinates"] = _coordinates(site)
        self._report(
            application,
            "ApplicationReceived",
            application_type=application_type,
            proposal=proposal,
            site={k: v for k, v in location.items() if v is not None},
            applicant=_contact(applicant),
            agent=_contact(agent) if agent else None,
            received_on=application.received_on.isoformat(),
        )
        self._background.spawn(self._progress(application))
        return application

    async def _progress(self, application: Application) -> None:
        step = self.settings.step_after_s
        await asyncio.sleep(step)
        today = london_today()
        weeks = DETERMINATION_WEEKS.get(application.application_type, 8)
        application.stage = "validated"
        self._report(
            application,
            "ApplicationValidated",
            validated_on=today.isoformat(),
            determination_deadline=(today + timedelta(weeks=weeks)).isoformat(),
        )
        await asyncio.sleep(step)
        today = london_today()
        days = (
            CONSULTATION_DAYS_WITH_EIA
            if application.environmental_impact_assessment
            else CONSULTATION_DAYS
        )
        application.stage = "consultation"
        consultation: dict[str, Any] = {
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=days)).isoformat(),
            "environmental_impact_assessment": application.environmental_impact_assessment,
        }
        if application.site.get("uprn"):
            consultation["site_uprn"] = application.site["uprn"]
        if application.site.get("latitude") is not None:
            consultation["site_coordinates"] = _coordinates(application.site)
        self._report(application, "ConsultationStarted", **consultation)
        await asyncio.sleep(step)
        application.stage = "awaiting_decision"  # the back office's own state; nothing reported
        application.history.append({"stage": "awaiting_decision"})
        await asyncio.sleep(step)
        application.stage = "decided"
        self._report(
            application,
            "DecisionIssued",
            decision=application.decision,
            decided_on=london_today().isoformat(),
            decision_level="delegated",
        )

    def _report(self, application: Application, kind: str, **fields: Any) -> None:
        event = {
            "type": kind,
            "event_id": event_id(application.reference, kind),
            "occurred_at": datetime.now(UTC).isoformat(),
            "subject": application.reference,
            **{k: v for k, v in fields.items() if v is not None},
        }
        application.history.append({"stage": application.stage, "type": kind})
        self.reporter.send(event)

    async def start_from_district(self, district: dict[str, Any]) -> None:
        """For the demo: the district's applications one by one, then copies with new references."""
        every = self.settings.auto_every_s
        templates = district.get("planning_applications") or []
        if every <= 0 or not templates:
            return
        for round_number in itertools.count():
            for template in templates:
                await asyncio.sleep(every)
                reference = template["reference"] if round_number == 0 else None
                if reference in self.applications:
                    reference = None
                self.submit(
                    reference=reference,
                    application_type=template["application_type"],
                    proposal=template["proposal"],
                    site=template["site"],
                    applicant=template["applicant"],
                    agent=template.get("agent"),
                )

    async def settle(self) -> None:
        """Wait for the applications and the reports under way (for tests)."""
        await self._background.settle()
        await self.reporter.settle()

    async def close(self) -> None:
        await self._background.cancel()
        await self.reporter.close()


def _coordinates(site: dict[str, Any]) -> dict[str, float]:
    return {"latitude": float(site["latitude"]), "longitude": float(site["longitude"])}


def _contact(contact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if v is not None}
