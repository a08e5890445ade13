"""A submitted form opens a case (and upserts the resident who sent it)."""

from __future__ import annotations

from collections.abc import Mapping

from civic_events.intake import FormSubmitted
from civic_events.planning import ApplicationReceived
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case
from cases.domain.machines import case_type_for_form
from cases.domain.proof import postcode_of
from cases.service_layer.backoffice import apply_held_updates
from cases.service_layer.lifecycle import open_case
from cases.service_layer.residents import upsert_from_contact
from cases.service_layer.work_orders import order_return_visit

# Case types for which the waste contractor is asked to come back.
RETURN_VISIT_CASE_TYPES = frozenset({"missed_bin"})


async def form_submitted(
    uow: UnitOfWork,
    *,
    event: FormSubmitted,
    work_orders: bool = False,
    sla_overrides: Mapping[str, float] | None = None,
) -> None:
    """Open the submission's case; a missed bin also asks the contractor for a return visit."""
    # Taken before looking: a contractor's update held meanwhile is then seen below.
    await repository.lock_reference(uow.session, reference=event.subject)
    existing = await repository.case_by_reference(uow.session, reference=event.subject)
    if existing is not None:
        # Intake issues one reference per submission: a second event with it is a replay.
        await _ignore_repeat(
            uow, existing, event, "a second submission with this reference was ignored"
        )
        return
    resident = None
    if event.contact is not None and (
        event.contact.email or event.contact.phone or event.contact.name
    ):
        resident = await upsert_from_contact(
            uow,
            contact=event.contact,
            preferred_channel=event.preferred_channel,
            language=event.language,
            consent_source=f"form {event.form_id} via {event.submitted_via}",
            occurred_at=event.occurred_at,
        )
    location = event.location
    address = location.address if location else None
    contact_address = event.contact.address if event.contact else None
    case_type = case_type_for_form(event.form_id)
    case = await open_case(
        uow,
        reference=event.subject,
        case_type=case_type,
        resident_id=resident.id if resident else None,
        opened_at=event.occurred_at,
        opened_from=event.event_id,
        fields={
            "form_id": event.form_id,
            "form_version": event.form_version,
            "uprn": (location.uprn if location else None)
            or (event.contact.uprn if event.contact else None),
            "address": address,
            "postcode": postcode_of(address) or postcode_of(contact_address),
            "description": event.description,
            "answers": dict(event.answers),
        },
        sla_overrides=sla_overrides,
    )
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=event.occurred_at,
        kind="submission",
        summary=f"Submitted form {event.form_id} (version {event.form_version}) via {event.submitted_via}",
        detail={
            "form_id": event.form_id,
            "form_version": event.form_version,
            "case_type": case_type,
        },
        event_id=event.event_id,
    )
    if work_orders and case_type in RETURN_VISIT_CASE_TYPES:
        await order_return_visit(uow, case=case, reported_at=event.occurred_at)
    await apply_held_updates(uow, case=case)


async def application_received(uow: UnitOfWork, *, event: ApplicationReceived) -> None:
    """A planning application: one case per application reference, applicant and agent kept."""
    existing = await repository.case_by_reference(uow.session, reference=event.subject)
    if existing is not None:
        await _ignore_repeat(
            uow,
            existing,
            event,
            "planning_back_office: ApplicationReceived for an application already open",
        )
        return
    consent = "planning application"
    applicant = None
    if event.applicant.email or event.applicant.phone or event.applicant.name:
        applicant = await upsert_from_contact(
            uow,
            contact=event.applicant,
            preferred_channel=None,
            language="en",
            consent_source=consent,
            occurred_at=event.occurred_at,
        )
    agent = None
    if event.agent is not None and (event.agent.email or event.agent.phone):
        agent = await upsert_from_contact(
            uow,
            contact=event.agent,
            preferred_channel=None,
            language="en",
            consent_source=consent,
            occurred_at=event.occurred_at,
        )
    case = await open_case(
        uow,
        reference=event.subject,
        case_type="planning_application",
        resident_id=applicant.id if applicant else None,
        opened_at=event.occurred_at,
        opened_from=event.event_id,
        fields={
            "agent_resident_id": agent.id if agent else None,
            "uprn": event.site.uprn,
            "address": event.site.address,
            "postcode": postcode_of(event.site.address),
            "description": event.proposal,
            "answers": {"application_type": event.application_type, "ward": event.ward},
            "last_update_at": event.occurred_at,
        },
    )
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=event.occurred_at,
        kind="submission",
        summary=f"Planning application received ({event.application_type})",
        detail={"application_type": event.application_type},
        event_id=event.event_id,
    )
    if agent is not None:
        await repository.add_timeline(
            uow.session,
            case=case,
            resident_id=agent.id,
            occurred_at=event.occurred_at,
            kind="submission",
            summary=f"Agent on planning application {event.subject}",
            event_id=event.event_id,
        )


async def _ignore_repeat(
    uow: UnitOfWork, case: Case, event: FormSubmitted | ApplicationReceived, summary: str
) -> None:
    """A second event opening a case that exists changes nothing; the timeline says so."""
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=event.occurred_at,
        kind="update_ignored",
        summary=summary,
        event_id=event.event_id,
        internal=True,
    )
