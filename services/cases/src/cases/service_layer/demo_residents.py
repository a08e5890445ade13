"""The demo district's residents loaded as resident records, announced like any other resident.

Each demo resident has a stable id (`uuid5` of its key), so loading the same file again finds
the same records and, where nothing changed, announces nothing. Residents already erased stay
erased. An email or phone number already held by another resident is not copied (as for
submissions), so the demo never makes two records share a contact.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from civic_runtime.uow import UnitOfWork
from sqlmodel import col, select

from cases.adapters.district_file import DemoResident, Household
from cases.adapters.tables import Resident
from cases.domain.proof import normalise_postcode
from cases.service_layer.residents import preferences_changed, resident_upserted


def demo_resident_id(resident_key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"civic-events:demo-resident:{resident_key}")


@dataclass
class DemoLoadCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    erased: int = 0

    def add(self, other: DemoLoadCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.erased += other.erased


def _contact(resident: Resident) -> tuple[object, ...]:
    return (
        resident.name,
        resident.email,
        resident.phone,
        resident.address,
        resident.uprn,
        resident.postcode,
        resident.preferred_channel,
        resident.home_latitude,
        resident.home_longitude,
        tuple(resident.collection_round_ids),
    )


def _preferences(resident: Resident) -> tuple[object, ...]:
    return (
        resident.preferred_channel,
        resident.case_updates,
        resident.disruption_alerts,
        resident.planning_alerts,
        resident.planning_alert_radius_metres,
    )


def _channel(demo: DemoResident, email: str | None, phone: str | None) -> str:
    if demo.preferred_channel == "email" and not email and phone:
        return "sms"
    if demo.preferred_channel == "sms" and not phone and email:
        return "email"
    return demo.preferred_channel


async def load_demo_residents(
    uow: UnitOfWork,
    *,
    residents: Sequence[DemoResident],
    households: Mapping[str, Household],
    consent_source: str,
) -> DemoLoadCounts:
    """Upsert one batch of demo residents in the caller's transaction."""
    session = uow.session
    ids = {demo_resident_id(demo.resident_key): demo for demo in residents}
    existing = {
        resident.id: resident
        for resident in (
            await session.execute(
                select(Resident).where(col(Resident.id).in_(list(ids))).with_for_update()
            )
        ).scalars()
    }
    emails = [demo.email.lower() for demo in residents if demo.email]
    phones = [demo.phone for demo in residents if demo.phone]
    email_holders: dict[str, uuid.UUID] = {
        email: holder
        for holder, email in await session.execute(
            select(Resident.id, Resident.email).where(col(Resident.email).in_(emails))
        )
        if email is not None
    }
    phone_holders: dict[str, uuid.UUID] = {}
    for holder, phone in await session.execute(
        select(Resident.id, Resident.phone).where(col(Resident.phone).in_(phones))
    ):
        if phone is not None:
            phone_holders.setdefault(phone, holder)

    counts = DemoLoadCounts()
    announce: list[tuple[Resident, bool, bool]] = []
    now = datetime.now(UTC)
    for resident_id, demo in ids.items():
        resident = existing.get(resident_id)
        if resident is not None and resident.erased_at is not None:
            counts.erased += 1
            continue
        created = resident is None
        if resident is None:
            resident = Resident(
                id=resident_id,
                created_at=now,
                updated_at=now,
                consent_at=now,
                consent_source=consent_source,
            )
            session.add(resident)
        contact_before, preferences_before = _contact(resident), _preferences(resident)

        email = demo.email.lower() if demo.email else None
        if email and email_holders.setdefault(email, resident_id) != resident_id:
            email = None
        phone = demo.phone
        if phone and phone_holders.setdefault(phone, resident_id) != resident_id:
            phone = None
        household = households.get(demo.uprn)
        resident.name = demo.name
        resident.email = email
        resident.phone = phone
        resident.uprn = demo.uprn
        resident.address = household.address if household else None
        resident.postcode = normalise_postcode(household.postcode) if household else None
        resident.home_latitude = household.latitude if household else None
        resident.home_longitude = household.longitude if household else None
        resident.collection_round_ids = [household.round_id] if household else []
        resident.preferred_channel = _channel(demo, email, phone)
        resident.case_updates = demo.case_updates
        resident.disruption_alerts = demo.disruption_alerts
        resident.planning_alerts = demo.planning_alerts
        resident.planning_alert_radius_metres = (
            demo.planning_alert_radius_metres if demo.planning_alerts else None
        )

        contact_changed = created or _contact(resident) != contact_before
        preferences_changed_ = created or _preferences(resident) != preferences_before
        if not (contact_changed or preferences_changed_):
            counts.unchanged += 1
            continue
        resident.updated_at = now
        if preferences_changed_:
            resident.consent_at, resident.consent_source = now, consent_source
        if created:
            counts.created += 1
        else:
            counts.updated += 1
        announce.append((resident, contact_changed, preferences_changed_))
    await session.flush()
    for resident, contact_changed, preferences_changed_ in announce:
        if contact_changed:
            await uow.publish(resident_upserted(resident))
        if preferences_changed_:
            await uow.publish(preferences_changed(resident))
    return counts
