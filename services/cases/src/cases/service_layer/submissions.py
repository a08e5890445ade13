"""A submitted form opens a case (and upserts the resident who sent it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from civic_events.intake import FormSubmitted
from civic_events.planning import ApplicationReceived
from civic_runtime.uow import UnitOfWork

from cases.adapters import opening, repository
from cases.adapters.tables import Case
from cases.domain.contact_changes import ConfirmationLinks
from cases.domain.machines import case_type_for_form
from cases.domain.proof import postcode_of
from cases.domain.sla import SlaClock
from cases.service_layer import contact_changes
from cases.service_layer.backoffice import apply_held_updates
from cases.service_layer.lifecycle import open_case
from cases.service_layer.openings import Openings
from cases.service_layer.residents import match_resident, upsert_from_contact
from cases.service_layer.work_orders import return_visit

# Case types for which the waste contractor is asked to come back.
RETURN_VISIT_CASE_TYPES = frozenset({"missed_bin"})


async def form_submitted(
    uow: UnitOfWork,
    *,
    event: FormSubmitted,
    openings: Openings,
    sla: SlaClock,
    links: ConfirmationLinks,
    work_orders: bool = False,
) -> None:
    """Open the submission's case; a missed bin also asks the contractor for a return visit.

    What it needs to know (whether the case exists or updates wait for it, who the resident is)
    was read under the reference's lock for the whole transaction (`openings`); the case, its
    resident and the events announcing them are then written together. New details for an
    existing resident are not applied: the resident is sent a link to confirm them (`links`).
    """
    if openings.has_case(event.subject):
        existing = await repository.case_by_reference(uow.session, reference=event.subject)
        assert existing is not None  # the reference's lock keeps it from going away
        # Intake issues one reference per submission: a second event with it is a replay.
        await _ignore_repeat(
            uow, existing, event, "a second submission with this reference was ignored"
        )
        return
    case_type = case_type_for_form(event.form_id)
    resident_id, resident_write, match = None, None, None
    if event.contact is not None and (
        event.contact.email or event.contact.phone or event.contact.name
    ):
        match = await match_resident(
            uow,
            contact=event.contact,
            preferred_channel=event.preferred_channel,
            language=event.language,
            consent_source=f"form {event.form_id} via {event.submitted_via}",
            occurred_at=event.occurred_at,
            proven=False,
            known=openings,
        )
        resident_id, resident_write = match.resident.id, match.write
    location = event.location
    address = location.address if location else None
    contact_address = event.contact.address if event.contact else None
    uprn = (location.uprn if location else None) or (event.contact.uprn if event.contact else None)
    timeline = [
        opening.timeline_row(
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
    ]
    order: dict[str, Any] | None = None
    if work_orders and case_type in RETURN_VISIT_CASE_TYPES:
        order, entries = return_visit(
            reference=event.subject,
            uprn=uprn,
            answers=event.answers,
            reported_at=event.occurred_at,
        )
        timeline += entries
    await open_case(
        uow,
        reference=event.subject,
        case_type=case_type,
        resident_id=resident_id,
        opened_at=event.occurred_at,
        opened_from=event.event_id,
        fields={
            "form_id": event.form_id,
            "form_version": event.form_version,
            "uprn": uprn,
            "address": address,
            "postcode": postcode_of(address) or postcode_of(contact_address),
            "description": event.description,
            "answers": dict(event.answers),
        },
        timeline=timeline,
        work_order=order,
        resident_write=resident_write,
        sla=sla,
    )
    openings.opened(event.subject)
    if match is not None and match.to_confirm:
        # A form proves nothing about who sent it: the resident confirms its details first.
        await contact_changes.request_change(
            uow,
            resident_id=match.resident.id,
            proposed=match.proposed or {},
            send_to=match.send_to,
            reference=event.subject,
            links=links,
            now=datetime.now(UTC),
        )
    if openings.updates_held(event.subject):
        case = await repository.case_by_reference(uow.session, reference=event.subject)
        assert case is not None  # opened above, in this transaction
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
    timeline = [
        opening.timeline_row(
            occurred_at=event.occurred_at,
            kind="submission",
            summary=f"Planning application received ({event.application_type})",
            detail={"application_type": event.application_type},
            event_id=event.event_id,
        )
    ]
    if agent is not None:
        timeline.append(
            opening.timeline_row(
                resident_id=agent.id,
                occurred_at=event.occurred_at,
                kind="submission",
                summary=f"Agent on planning application {event.subject}",
                event_id=event.event_id,
            )
        )
    await open_case(
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
        timeline=timeline,
        sla=None,  # its clock is the determination deadline, set once the application is valid
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
