"""Residents: matched by email or phone (never by name alone), announced on `residents.v1`."""

from __future__ import annotations

from datetime import UTC, datetime

from civic_events.contact import Contact, Coordinates
from civic_events.residents import ContactPreferencesChanged, ResidentUpserted
from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Resident
from cases.domain.proof import postcode_of

SOURCE = "cases"


def _channel(contact: Contact, preferred: str | None) -> str:
    if preferred == "email" and contact.email:
        return "email"
    if preferred == "sms" and contact.phone:
        return "sms"
    if preferred == "push":
        return "push"
    return "email" if contact.email else "sms"


async def upsert_from_contact(
    uow: UnitOfWork,
    *,
    contact: Contact,
    preferred_channel: str | None,
    language: str,
    consent_source: str,
    occurred_at: datetime,
) -> Resident:
    """The resident these contact details belong to, created or brought up to date.

    A match needs the same email address or, failing that, the same phone number. Details that
    would belong to another resident (a phone number already someone else's) are not copied.
    """
    session = uow.session
    email = contact.email.lower() if contact.email else None
    resident: Resident | None = None
    if email:
        resident = await repository.resident_by_email(session, email=email)
    if resident is None and contact.phone:
        resident = await repository.resident_by_phone(session, phone=contact.phone)
        if resident is not None and email and resident.email and resident.email != email:
            # Same phone, different email: not enough to say it is the same person.
            resident = None
    now = datetime.now(UTC)
    created = resident is None
    if resident is None:
        resident = Resident(
            email=email,
            created_at=now,
            updated_at=now,
            consent_at=occurred_at,
            consent_source=consent_source,
        )
        session.add(resident)
    before = _snapshot(resident)
    if email and resident.email is None:
        resident.email = email
    if contact.phone and resident.phone != contact.phone:
        holder = await repository.resident_by_phone(session, phone=contact.phone)
        if holder is None or holder.id == resident.id:
            resident.phone = contact.phone
    if contact.name:
        resident.name = contact.name
    if contact.address:
        resident.address = contact.address
        resident.postcode = postcode_of(contact.address)
    if contact.uprn:
        resident.uprn = contact.uprn
    resident.language = language
    channel = _channel(contact, preferred_channel)
    if created or preferred_channel:
        resident.preferred_channel = channel
    if created or _snapshot(resident) != before:
        resident.updated_at = now
        await session.flush()
        await uow.publish(resident_upserted(resident))
    return resident


def _snapshot(resident: Resident) -> tuple[object, ...]:
    return (
        resident.email,
        resident.phone,
        resident.name,
        resident.address,
        resident.uprn,
        resident.language,
        resident.preferred_channel,
    )


def home_of(resident: Resident) -> Coordinates | None:
    if resident.home_latitude is None or resident.home_longitude is None:
        return None
    return Coordinates(latitude=resident.home_latitude, longitude=resident.home_longitude)


def resident_upserted(resident: Resident) -> ResidentUpserted:
    """The whole current record, as notify's projection keeps it."""
    return ResidentUpserted(
        source=SOURCE,
        subject=str(resident.id),
        resident_id=resident.id,
        contact=Contact(
            name=resident.name,
            email=resident.email,
            phone=resident.phone,
            address=resident.address,
            uprn=resident.uprn,
        ),
        preferred_channel=resident.preferred_channel,
        language=resident.language,
        collection_round_ids=tuple(resident.collection_round_ids),
        home_coordinates=home_of(resident),
    )


def preferences_changed(resident: Resident) -> ContactPreferencesChanged:
    return ContactPreferencesChanged(
        source=SOURCE,
        subject=str(resident.id),
        resident_id=resident.id,
        preferred_channel=resident.preferred_channel,
        case_updates=resident.case_updates,
        disruption_alerts=resident.disruption_alerts,
        planning_alerts=resident.planning_alerts,
        planning_alert_radius_metres=resident.planning_alert_radius_metres,
    )


async def change_preferences(
    uow: UnitOfWork,
    *,
    resident: Resident,
    preferred_channel: str,
    case_updates: bool,
    disruption_alerts: bool,
    planning_alerts: bool,
    consent_source: str,
    planning_alert_radius_metres: int | None = None,
    home: Coordinates | None = None,
) -> None:
    """Set how and about what the resident hears from us; a new home is announced too."""
    now = datetime.now(UTC)
    resident.preferred_channel = preferred_channel
    resident.case_updates = case_updates
    resident.disruption_alerts = disruption_alerts
    resident.planning_alerts = planning_alerts
    resident.planning_alert_radius_metres = planning_alert_radius_metres
    resident.consent_at = now
    resident.consent_source = consent_source
    resident.updated_at = now
    await repository.add_timeline(
        uow.session,
        occurred_at=now,
        kind="preferences",
        summary=f"Contact preferences changed: {preferred_channel}",
        resident_id=resident.id,
        detail={
            "case_updates": case_updates,
            "disruption_alerts": disruption_alerts,
            "planning_alerts": planning_alerts,
            "planning_alert_radius_metres": planning_alert_radius_metres,
            "source": consent_source,
        },
    )
    if home is not None and home != home_of(resident):
        resident.home_latitude, resident.home_longitude = home.latitude, home.longitude
        await uow.publish(resident_upserted(resident))
    await uow.publish(preferences_changed(resident))
