"""Residents: matched by email or phone (never by name alone), announced on `residents.v1`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from civic_events.contact import Contact, Coordinates
from civic_events.residents import ContactPreferencesChanged, ResidentUpserted
from civic_runtime.uow import UnitOfWork

from cases.adapters import opening, repository
from cases.adapters.opening import RESIDENT_DETAILS, ResidentRecord, ResidentWrite
from cases.adapters.tables import Resident
from cases.domain.proof import postcode_of
from cases.service_layer.openings import Openings

SOURCE = "cases"


def _channel(contact: Contact, preferred: str | None) -> str:
    if preferred == "email" and contact.email:
        return "email"
    if preferred == "sms" and contact.phone:
        return "sms"
    if preferred == "push":
        return "push"
    return "email" if contact.email else "sms"


class ResidentFields(Protocol):
    """What ResidentUpserted is made of: a `Resident`, or the row of one."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def uprn(self) -> str | None: ...
    @property
    def preferred_channel(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def collection_round_ids(self) -> Sequence[str]: ...
    @property
    def home_latitude(self) -> float | None: ...
    @property
    def home_longitude(self) -> float | None: ...
    @property
    def email_confirmed_at(self) -> datetime | None: ...
    @property
    def phone_confirmed_at(self) -> datetime | None: ...


async def upsert_from_contact(
    uow: UnitOfWork,
    *,
    contact: Contact,
    preferred_channel: str | None,
    language: str,
    consent_source: str,
    occurred_at: datetime,
) -> ResidentRecord:
    """The resident these contact details from the council's own back office belong to,
    created or brought up to date: the resident and its ResidentUpserted (if anything changed)
    written in one statement."""
    match = await match_resident(
        uow,
        contact=contact,
        preferred_channel=preferred_channel,
        language=language,
        consent_source=consent_source,
        occurred_at=occurred_at,
        proven=True,
    )
    if match.write is not None:
        await opening.write_resident(uow, match.write)
    return match.resident


@dataclass(frozen=True)
class SendTo:
    """Where a confirmation link goes for a resident with no confirmed details: the email
    address or phone number just given (`detail` names which)."""

    detail: Literal["email", "phone"]
    address: str
    name: str | None


@dataclass(frozen=True)
class ResidentMatch:
    """`resident`: the matched or new resident, as it will be once `write` is written: a new
    resident's row, or a proven change's (each with its ResidentUpserted, once a detail of theirs
    is confirmed); None when nothing changes. `proposed`: the details an unproven submission
    would change, held for the resident to confirm; `send_to`: for a resident with none of their
    details confirmed, where the link goes (`contact_changes.request_change` takes both)."""

    resident: ResidentRecord
    write: ResidentWrite | None = None
    proposed: dict[str, Any] | None = None
    send_to: SendTo | None = None

    @property
    def to_confirm(self) -> bool:
        return bool(self.proposed) or self.send_to is not None


async def match_resident(
    uow: UnitOfWork,
    *,
    contact: Contact,
    preferred_channel: str | None,
    language: str,
    consent_source: str,
    occurred_at: datetime,
    proven: bool,
    known: Openings | None = None,
) -> ResidentMatch:
    """The resident these contact details belong to, and what to write: see `ResidentMatch`.

    A match needs the same email address or, failing that, the same phone number. Details that
    would belong to another resident (a phone number already someone else's) are not copied.
    `proven`: the details come from a source that vouches for them (the council's own back
    office): they are applied, and confirmed, at once. Otherwise (a form anyone can fill in) an
    existing resident's details are never changed, only proposed, and a new resident's are kept
    unconfirmed, so not used to contact them, until a link sent to them comes back. The
    candidates are those `known` read for the transaction, or else one query finds them.
    """
    email = contact.email.lower() if contact.email else None
    candidates = known.candidates(email=email, phone=contact.phone) if known else None
    if candidates is None:
        candidates = await opening.residents_by_contact(
            uow.session,
            emails=[email] if email else [],
            phones=[contact.phone] if contact.phone else [],
        )
    # Oldest first: the holder of a phone number is the first resident who gave it.
    phone_holder = next((r for r in candidates if contact.phone and r.phone == contact.phone), None)
    found = next((r for r in candidates if email and r.email == email), None)
    # Same phone, different email: not enough to say it is the same person.
    if (
        found is None
        and phone_holder is not None
        and not (email and phone_holder.email and phone_holder.email != email)
    ):
        found = phone_holder
    details: dict[str, Any] = (
        {name: getattr(found, name) for name in RESIDENT_DETAILS}
        if found is not None
        else dict.fromkeys(RESIDENT_DETAILS) | {"language": "en", "preferred_channel": "email"}
    )
    before = dict(details)
    resident_id = found.id if found is not None else uuid.uuid4()
    if email and details["email"] is None:
        details["email"] = email
    if (
        contact.phone
        and details["phone"] != contact.phone
        and (phone_holder is None or phone_holder.id == resident_id)
    ):
        details["phone"] = contact.phone
    if contact.name:
        details["name"] = contact.name
    if contact.address:
        details["address"] = contact.address
        details["postcode"] = postcode_of(contact.address)
    if contact.uprn:
        details["uprn"] = contact.uprn
    details["language"] = language
    if found is None or preferred_channel:
        details["preferred_channel"] = _channel(contact, preferred_channel)
    changed = found is None or _snapshot(details) != _snapshot(before)
    if found is not None and not proven:
        proposed = {
            name: details[name] for name in RESIDENT_DETAILS if details[name] != before[name]
        }
        # Nothing of theirs confirmed yet: the link goes to an address already on their record
        # that this submission gave too, never to one it proposes (that would hand the record
        # to whoever typed their email address and a number of their own).
        send_to = None if found.confirmed else _send_to(_given(before, email, contact), contact)
        return ResidentMatch(found, proposed=proposed or None, send_to=send_to)
    if not changed:
        assert found is not None
        return ResidentMatch(found)
    now = datetime.now(UTC)
    confirmed = _confirmed(details, before, now) if proven else {}
    record = ResidentRecord(
        id=resident_id,
        **details,
        collection_round_ids=tuple(found.collection_round_ids) if found is not None else (),
        home_latitude=found.home_latitude if found is not None else None,
        home_longitude=found.home_longitude if found is not None else None,
        email_confirmed_at=confirmed.get(
            "email_confirmed_at", found.email_confirmed_at if found else None
        ),
        phone_confirmed_at=confirmed.get(
            "phone_confirmed_at", found.phone_confirmed_at if found else None
        ),
    )
    announced = [resident_upserted(record)] if record.confirmed else []
    write: ResidentWrite
    if found is None:
        write = opening.resident_added(
            events=announced,
            resident={
                "id": resident_id,
                **details,
                **confirmed,
                "case_updates": True,
                "disruption_alerts": False,
                "planning_alerts": False,
                "collection_round_ids": [],
                "consent_at": occurred_at,
                "consent_source": consent_source,
                "created_at": now,
                "updated_at": now,
            },
        )
    else:
        write = opening.resident_changed(
            uow.session,
            resident_id=resident_id,
            details=details,
            updated_at=now,
            events=announced,
            confirmed=confirmed,
        )
    if known is not None:
        known.written(record)
    return ResidentMatch(record, write, send_to=None if proven else _send_to(details, contact))


def _confirmed(
    details: dict[str, Any], before: dict[str, Any], now: datetime
) -> dict[str, datetime]:
    """From a proven source: its new email address and phone number are confirmed now."""
    return {
        f"{detail}_confirmed_at": now
        for detail in ("email", "phone")
        if details[detail] and details[detail] != before[detail]
    }


def _given(on_record: dict[str, Any], email: str | None, contact: Contact) -> dict[str, Any]:
    """Of the record's email address and phone number, those the submission gave too."""
    return {
        "email": on_record["email"] if email and on_record["email"] == email else None,
        "phone": on_record["phone"]
        if contact.phone and on_record["phone"] == contact.phone
        else None,
        "preferred_channel": on_record["preferred_channel"],
    }


def _send_to(details: dict[str, Any], contact: Contact) -> SendTo | None:
    """The address a confirmation link goes to: by the channel of choice, email first."""
    email, phone = details["email"], details["phone"]
    if email and (details["preferred_channel"] != "sms" or not phone):
        return SendTo("email", email, contact.name)
    if phone:
        return SendTo("phone", phone, contact.name)
    return None  # a name alone: nowhere to reach them


def _snapshot(details: dict[str, Any]) -> tuple[object, ...]:
    # The postcode follows the address: a change of it alone is no change.
    return tuple(details[name] for name in RESIDENT_DETAILS if name != "postcode")


def home_of(resident: ResidentFields) -> Coordinates | None:
    if resident.home_latitude is None or resident.home_longitude is None:
        return None
    return Coordinates(latitude=resident.home_latitude, longitude=resident.home_longitude)


def resident_upserted(resident: ResidentFields) -> ResidentUpserted:
    """The whole current record, as notify's projection keeps it: of the email address and phone
    number, only those confirmed (notify contacts the resident by what it is told here)."""
    return ResidentUpserted(
        source=SOURCE,
        subject=str(resident.id),
        resident_id=resident.id,
        contact=Contact(
            name=resident.name,
            email=resident.email if resident.email_confirmed_at is not None else None,
            phone=resident.phone if resident.phone_confirmed_at is not None else None,
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
        await uow.stage(resident_upserted(resident))
    await uow.stage(preferences_changed(resident))
