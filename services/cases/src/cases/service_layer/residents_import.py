"""Residents imported in bulk from a council's list (each with the household it lives in),
announced like any other resident.

Each imported resident has a stable id (`uuid5` of its key in the list), so importing the same
list again finds the same records and, where nothing changed, announces nothing. Residents
already erased stay erased. An email or phone number already held by another resident is not
copied (as for submissions), so an import never makes two records share a contact.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from civic_runtime.uow import UnitOfWork
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from cases.adapters.tables import Resident
from cases.domain.proof import normalise_postcode
from cases.service_layer.residents import preferences_changed, resident_upserted


class _Imported(BaseModel):
    # Lists carry more than cases keeps; what it does not keep is ignored, not refused.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Household(_Imported):
    uprn: str = Field(pattern=r"^[0-9]{1,12}$")
    address: str = Field(max_length=500)
    postcode: str = Field(max_length=10)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    round_id: str = Field(min_length=1, max_length=50)


class ImportedResident(_Imported):
    resident_key: str = Field(min_length=1, max_length=100)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    uprn: str
    preferred_channel: Literal["email", "sms", "push"]
    case_updates: bool = True
    disruption_alerts: bool = False
    planning_alerts: bool = False
    planning_alert_radius_metres: int | None = Field(default=None, ge=50, le=5000)


def imported_resident_id(resident_key: str) -> uuid.UUID:
    # Part of every imported resident's id: changing it would import each one again, as new.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"civic-events:demo-resident:{resident_key}")


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    erased: int = 0

    def add(self, other: ImportCounts) -> None:
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


def _channel(listed: ImportedResident, email: str | None, phone: str | None) -> str:
    if listed.preferred_channel == "email" and not email and phone:
        return "sms"
    if listed.preferred_channel == "sms" and not phone and email:
        return "email"
    return listed.preferred_channel


async def import_residents(
    uow: UnitOfWork,
    *,
    residents: Sequence[ImportedResident],
    households: Mapping[str, Household],
    consent_source: str,
) -> ImportCounts:
    """Upsert one batch of imported residents in the caller's transaction."""
    session = uow.session
    ids = {imported_resident_id(listed.resident_key): listed for listed in residents}
    existing = {
        resident.id: resident
        for resident in (
            await session.execute(
                select(Resident).where(col(Resident.id).in_(list(ids))).with_for_update()
            )
        ).scalars()
    }
    emails = [listed.email.lower() for listed in residents if listed.email]
    phones = [listed.phone for listed in residents if listed.phone]
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

    counts = ImportCounts()
    announce: list[tuple[Resident, bool, bool]] = []
    now = datetime.now(UTC)
    for resident_id, listed in ids.items():
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

        email = listed.email.lower() if listed.email else None
        if email and email_holders.setdefault(email, resident_id) != resident_id:
            email = None
        phone = listed.phone
        if phone and phone_holders.setdefault(phone, resident_id) != resident_id:
            phone = None
        household = households.get(listed.uprn)
        resident.name = listed.name
        resident.email = email
        resident.phone = phone
        # The council's own records: their details count as confirmed.
        if email and resident.email_confirmed_at is None:
            resident.email_confirmed_at = now
        if phone and resident.phone_confirmed_at is None:
            resident.phone_confirmed_at = now
        resident.uprn = listed.uprn
        resident.address = household.address if household else None
        resident.postcode = normalise_postcode(household.postcode) if household else None
        resident.home_latitude = household.latitude if household else None
        resident.home_longitude = household.longitude if household else None
        resident.collection_round_ids = [household.round_id] if household else []
        resident.preferred_channel = _channel(listed, email, phone)
        resident.case_updates = listed.case_updates
        resident.disruption_alerts = listed.disruption_alerts
        resident.planning_alerts = listed.planning_alerts
        resident.planning_alert_radius_metres = (
            listed.planning_alert_radius_metres if listed.planning_alerts else None
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
            await uow.stage(resident_upserted(resident))
        if preferences_changed_:
            await uow.stage(preferences_changed(resident))
    return counts
