"""Back-office reports: validate into the typed events and publish them, once per event id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from civic_events import planning, waste
from civic_events.base import Event
from civic_runtime.uow import UnitOfWork
from pydantic import ValidationError

from intake.adapters import repository
from intake.domain.forms import FieldError

SYSTEM_EVENTS: dict[str, dict[str, type[Event]]] = {
    "waste": {
        model.__name__: model
        for model in (
            waste.CollectionCompleted,
            waste.CollectionMissed,
            waste.BinNotPresented,
            waste.ReturnVisitScheduled,
            waste.ServiceDisruption,
        )
    },
    "planning": {
        model.__name__: model
        for model in (
            planning.ApplicationReceived,
            planning.ApplicationValidated,
            planning.ApplicationInvalid,
            planning.ConsultationStarted,
            planning.DecisionIssued,
            planning.ApplicationWithdrawn,
        )
    },
}
SYSTEM_SOURCES = {"waste": "waste-contractor", "planning": "planning-back-office"}


def _model_for(system: str, type_name: Any) -> type[Event] | None:
    if not isinstance(type_name, str):
        return None
    models = SYSTEM_EVENTS[system]
    short = type_name.removeprefix("uk.gov.council.").split(".")
    # Accept "ReturnVisitScheduled" or the full CloudEvents type "uk.gov.council.waste.X.v1".
    name = short[1] if len(short) == 3 else type_name
    return models.get(name)


def parse_reports(system: str, reports: list[Any]) -> tuple[list[Event], list[FieldError]]:
    events: list[Event] = []
    errors: list[FieldError] = []
    for index, report in enumerate(reports):
        where = f"events[{index}]"
        if not isinstance(report, dict):
            errors.append(FieldError(where, "type", "each event is a JSON object"))
            continue
        model = _model_for(system, report.get("type"))
        if model is None:
            known = ", ".join(SYSTEM_EVENTS[system])
            errors.append(FieldError(f"{where}.type", "enum", f"type is one of: {known}"))
            continue
        if "event_id" not in report:
            errors.append(
                FieldError(f"{where}.event_id", "required", "event_id (a UUID) makes retries safe")
            )
            continue
        fields = {k: v for k, v in report.items() if k != "type"}
        fields["source"] = SYSTEM_SOURCES[system]
        try:
            events.append(model.model_validate(fields))
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"])
                errors.append(
                    FieldError(f"{where}.{path}" if path else where, error["type"], error["msg"])
                )
    seen: set[uuid.UUID] = set()
    for index, event in enumerate(events):
        if event.event_id in seen:
            errors.append(
                FieldError(f"events[{index}].event_id", "unique", "event_id repeated in batch")
            )
        seen.add(event.event_id)
    return events, errors


@dataclass
class BatchResult:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


async def accept_reports(
    *, uow: UnitOfWork, system: str, api_client_id: uuid.UUID, events: list[Event]
) -> BatchResult:
    """Record each event once (a repeat is a duplicate) and stage the new ones, in the order
    given, with one statement."""
    result = BatchResult()
    accepted: list[Event] = []
    for event in events:
        first_time = await repository.record_backoffice_event(
            session=uow.session,
            event_id=event.event_id,
            system=system,
            api_client_id=api_client_id,
            event_type=event.ce_type,
        )
        if first_time:
            accepted.append(event)
            result.accepted.append(str(event.event_id))
        else:
            result.duplicates.append(str(event.event_id))
    await uow.stage_many(accepted)
    return result
