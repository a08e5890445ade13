"""What the HTTP API shows of cases, residents and timelines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from cases.adapters.tables import Case, TimelineEntry
from cases.domain.machines import machine_for
from cases.service_layer.officers import CaseRecord, FoundCases, ResidentRecord


class TimelineView(BaseModel):
    occurred_at: datetime
    kind: str
    summary: str
    case_reference: str | None = None
    actor: str | None = None
    internal: bool
    detail: dict[str, Any]


class CaseView(BaseModel):
    id: uuid.UUID
    reference: str
    case_type: str
    status: str
    resident_id: uuid.UUID | None
    agent_resident_id: uuid.UUID | None
    form_id: str | None
    form_version: int | None
    uprn: str | None
    address: str | None
    postcode: str | None
    description: str | None
    answers: dict[str, Any]
    assigned_to: str | None
    outcome: str | None
    amount_pence: int | None
    paid: bool
    sla_name: str | None
    sla_due_at: datetime | None
    sla_paused: bool
    sla_breached_at: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    allowed_statuses: list[str]


class CaseDetail(CaseView):
    timeline: list[TimelineView]


class CasePage(BaseModel):
    items: list[CaseView]
    page: int
    page_size: int
    total: int


class ResidentView(BaseModel):
    id: uuid.UUID
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    uprn: str | None
    preferred_channel: str
    language: str
    case_updates: bool
    disruption_alerts: bool
    planning_alerts: bool
    planning_alert_radius_metres: int | None
    home_latitude: float | None
    home_longitude: float | None
    collection_round_ids: list[str]
    consent_at: datetime | None
    consent_source: str | None
    # When the resident showed the address is theirs (a link sent there came back), or the
    # council's records did; only confirmed details are used to contact them.
    email_confirmed_at: datetime | None
    phone_confirmed_at: datetime | None
    erased: bool
    cases: list[CaseView]
    timeline: list[TimelineView]


def case_view(case: Case) -> CaseView:
    return CaseView(
        **case.model_dump(
            exclude={
                "sla_paused_at",
                "last_update_at",
                "updated_at",
                "anonymised_at",
                "opened_from",
                "payment_request_id",
            }
        ),
        sla_paused=case.sla_paused_at is not None,
        allowed_statuses=machine_for(case.case_type).moves_from(case.status),
    )


def case_page(found: FoundCases, *, page: int, page_size: int) -> CasePage:
    items = [case_view(case) for case in found.cases]
    return CasePage(items=items, page=page, page_size=page_size, total=found.total)


def case_detail(record: CaseRecord) -> CaseDetail:
    references = {record.case.id: record.case.reference}
    return CaseDetail(
        **case_view(record.case).model_dump(),
        timeline=[timeline_view(entry, references) for entry in record.timeline],
    )


def timeline_view(entry: TimelineEntry, references: dict[uuid.UUID, str]) -> TimelineView:
    return TimelineView(
        occurred_at=entry.occurred_at,
        kind=entry.kind,
        summary=entry.summary,
        case_reference=references.get(entry.case_id) if entry.case_id else None,
        actor=entry.actor,
        internal=entry.internal,
        detail=entry.detail,
    )


def resident_view(record: ResidentRecord) -> ResidentView:
    resident = record.resident
    references = {case.id: case.reference for case in record.cases}
    return ResidentView(
        **resident.model_dump(exclude={"erased_at", "created_at", "updated_at", "postcode"}),
        erased=resident.erased_at is not None,
        cases=[case_view(case) for case in record.cases],
        timeline=[timeline_view(entry, references) for entry in record.timeline],
    )
