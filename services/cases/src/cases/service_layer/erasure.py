"""Erasure (UK GDPR right to erasure): forget the person, keep anonymised case history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from civic_events.residents import ERASED_REFERENCES_PER_EVENT, ResidentErased
from civic_runtime.erasure import erase_outbox_copies
from civic_runtime.uow import UnitOfWork

from cases.adapters.tables import Case, Resident, TimelineEntry
from cases.service_layer.contact_changes import forget_changes

SOURCE = "cases"
ERASED = "[erased]"


async def erase_resident(
    uow: UnitOfWork,
    *,
    resident: Resident,
    reason: Literal["resident_request", "retention_period_ended"],
) -> None:
    now = datetime.now(UTC)
    session = uow.session
    theirs = sa.or_(Case.resident_id == resident.id, Case.agent_resident_id == resident.id)
    references = list(
        await session.scalars(sa.select(Case.reference).where(theirs).order_by(Case.reference))
    )
    resident.name = resident.email = resident.phone = None
    resident.address = resident.uprn = resident.postcode = None
    resident.consent_source = None
    resident.home_latitude = resident.home_longitude = None
    resident.collection_round_ids = []
    resident.planning_alert_radius_metres = None
    resident.case_updates = resident.disruption_alerts = resident.planning_alerts = False
    resident.erased_at = resident.updated_at = now
    # Case type, statuses, dates and outcomes stay for statistics; what they said and where goes.
    await session.execute(
        sa.update(Case)
        .where(theirs)
        .values(
            address=None, postcode=None, uprn=None, description=None, answers={}, anonymised_at=now
        )
    )
    # Officers' notes may quote the resident: their words go too, the fact of a note stays.
    await session.execute(
        sa.update(TimelineEntry)
        .where(TimelineEntry.resident_id == resident.id, TimelineEntry.kind == "note")
        .values(summary=ERASED, detail={})
    )
    await session.execute(
        sa.update(TimelineEntry)
        .where(
            TimelineEntry.kind == "note",
            TimelineEntry.case_id.in_(sa.select(Case.id).where(Case.resident_id == resident.id)),
        )
        .values(summary=ERASED, detail={})
    )
    await forget_changes(uow, resident_id=resident.id)
    # Our outbox's copies of their residents.v1 events (keyed by the resident id) go too.
    await erase_outbox_copies(session, keys=[str(resident.id)])
    # The references tell intake and payments, who know cases only by reference, what to forget.
    chunks = [
        tuple(references[start : start + ERASED_REFERENCES_PER_EVENT])
        for start in range(0, len(references), ERASED_REFERENCES_PER_EVENT)
    ] or [()]
    await uow.stage_many(
        [
            ResidentErased(
                source=SOURCE,
                subject=str(resident.id),
                resident_id=resident.id,
                reason=reason,
                references=chunk,
            )
            for chunk in chunks
        ]
    )
