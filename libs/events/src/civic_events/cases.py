"""cases.lifecycle.v1: the life of a case; subject is the case reference."""

from typing import Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from civic_events.base import Event
from civic_events.fields import Code, Reference, Text
from civic_events.topics import CASES_LIFECYCLE


class _Told(Event):
    """What notify needs to tell people of a change to a case: who else, and since when."""

    triggered_at: AwareDatetime | None = Field(
        default=None,
        description="When the submission or back-office event behind this occurred (time to tell).",
    )
    other_resident_ids: tuple[UUID, ...] = Field(
        default=(),
        max_length=10,
        description="Others to tell of this change besides the resident, e.g. a planning agent.",
    )


class CaseOpened(_Told):
    """A case was opened, from a submission or a back-office event."""

    ce_type = "uk.gov.council.cases.CaseOpened.v1"
    topic = CASES_LIFECYCLE

    case_id: UUID
    case_type: Code = Field(description='e.g. "missed_bin", "bulky_waste".')
    status: Code = Field(description='The first status, usually "received".')
    resident_id: UUID | None = None
    sla_due_at: AwareDatetime | None = None
    opened_from: UUID | None = Field(default=None, description="The event that opened it.")


class CaseStatusChanged(_Told):
    """A case moved from one status to another."""

    ce_type = "uk.gov.council.cases.CaseStatusChanged.v1"
    topic = CASES_LIFECYCLE

    case_id: UUID
    case_type: Code
    resident_id: UUID | None = None
    old_status: Code
    new_status: Code
    reason: Text = Field(
        min_length=1,
        max_length=500,
        description="Why, e.g. the back-office event or officer action; no personal data.",
    )
    notify_resident: bool
    changed_by: Reference | None = Field(default=None, description='Officer id, or "system".')

    @model_validator(mode="after")
    def _changed(self) -> Self:
        if self.old_status == self.new_status:
            raise ValueError("old_status and new_status are the same")
        return self


class CaseClosed(_Told):
    """A case was closed; a cancelled, paid case asks for a refund."""

    ce_type = "uk.gov.council.cases.CaseClosed.v1"
    topic = CASES_LIFECYCLE

    case_id: UUID
    case_type: Code
    resident_id: UUID | None = None
    outcome: Code = Field(description='e.g. "resolved", "cancelled", "not_council_responsibility".')
    refund_requested: bool = False
    notify_resident: bool


class CaseSlaBreached(Event):
    """A case missed its service level, e.g. a return collection within 2 working days."""

    ce_type = "uk.gov.council.cases.CaseSlaBreached.v1"
    topic = CASES_LIFECYCLE

    case_id: UUID
    case_type: Code
    resident_id: UUID | None = None
    sla: Code = Field(description='e.g. "missed_bin_return_2_working_days".')
    due_at: AwareDatetime
    status: Code = Field(description="The case's status when the SLA was breached.")
