"""Contact details given without proof: held, and used only when the resident confirms them.

`request_change` holds what a form proposed for an existing resident, or the address a new
resident gave, and announces ContactChangeRequested: notify sends the one-time link to the
details on record, or, for a resident with none confirmed, to the address just given (the first
acknowledgement of their submission). `confirm_change` applies the change and confirms the
address when the link's token comes back, once, before it expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from civic_events.contact import Contact
from civic_events.residents import ContactChangeRequested, ContactDetail
from civic_runtime.uow import UnitOfWork
from civic_runtime.writes import Insert

from cases.adapters import opening, repository
from cases.adapters.tables import ContactChange, Resident, TimelineEntry
from cases.domain.contact_changes import ConfirmationLinks, token_sha256
from cases.service_layer.residents import SOURCE, SendTo, resident_upserted

_change = ContactChange.__table__
_timeline = TimelineEntry.__table__
# The details a resident may be asked to confirm, in the order the message names them.
CONFIRMABLE: tuple[ContactDetail, ...] = (
    "name",
    "email",
    "phone",
    "address",
    "uprn",
    "language",
    "preferred_channel",
)


class ChangeNotFound(Exception):
    """No change waits for this token: unknown, already confirmed, expired, or its resident
    erased (one answer for all, so the answer tells a guesser nothing)."""


async def request_change(
    uow: UnitOfWork,
    *,
    resident_id: uuid.UUID,
    proposed: Mapping[str, Any],
    send_to: SendTo | None,
    reference: str | None,
    links: ConfirmationLinks,
    now: datetime,
) -> None:
    """Hold `proposed` (the resident's details as a submission would set them) and ask the
    resident to confirm them, at the details on record or (`send_to`) the address just given."""
    link = links.new(now=now)
    changes = tuple(detail for detail in CONFIRMABLE if detail in proposed) or (
        (send_to.detail,) if send_to is not None else ()
    )
    announced = ContactChangeRequested(
        source=SOURCE,
        subject=str(resident_id),
        resident_id=resident_id,
        changes=changes,
        confirm_url=link.url,
        expires_at=link.expires_at,
        reference=reference,
        send_to=_contact(send_to) if send_to is not None else None,
    )
    row = Insert(
        _change,
        {
            "id": uuid.uuid4(),
            "resident_id": resident_id,
            "proposed": dict(proposed),
            "token_sha256": link.token_sha256,
            "reference": reference,
            "sent_to_detail": send_to.detail if send_to is not None else None,
            "sent_to": send_to.address if send_to is not None else None,
            "requested_at": now,
            "expires_at": link.expires_at,
            "confirmed_at": None,
        },
    )
    if not proposed:
        # A new resident's address to confirm: the submission's own timeline entry tells it.
        await uow.write([row], [announced])
        return
    entry = opening.timeline_row(
        resident_id=resident_id,
        occurred_at=now,
        kind="contact_change_requested",
        summary=f"New contact details given ({', '.join(_words(changes))}): waiting for the "
        "resident to confirm them",
        detail={"changes": list(changes), "reference": reference},
    )
    await uow.write([row, Insert(_timeline, entry)], [announced])


def _contact(send_to: SendTo) -> Contact:
    if send_to.detail == "email":
        return Contact(name=send_to.name, email=send_to.address)
    return Contact(name=send_to.name, phone=send_to.address)


async def pending_change(uow: UnitOfWork, *, token: str, now: datetime) -> ContactChange:
    """The change waiting for `token`, locked; or ChangeNotFound."""
    change = (
        await uow.session.execute(
            sa.select(ContactChange)
            .where(ContactChange.token_sha256 == token_sha256(token))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if change is None or change.confirmed_at is not None or change.expires_at <= now:
        raise ChangeNotFound
    return change


async def confirm_change(uow: UnitOfWork, *, token: str, now: datetime) -> Resident:
    """Apply the change `token` confirms, except details that have become another resident's
    meanwhile (an email address or phone number is one resident's); announce the record."""
    change = await pending_change(uow, token=token, now=now)
    session = uow.session
    resident = await session.get(Resident, change.resident_id, with_for_update=True)
    if resident is None or resident.erased_at is not None:
        raise ChangeNotFound
    applied = []
    for detail, value in change.proposed.items():
        if (
            detail in ("email", "phone")
            and value
            and await _held_by_another(uow, resident=resident, detail=detail, value=value)
        ):
            continue
        setattr(resident, detail, value)
        applied.append(detail)
    if change.sent_to_detail is not None:
        # The link went to this address, and came back: it is the resident's.
        if getattr(resident, change.sent_to_detail) == change.sent_to:
            setattr(resident, f"{change.sent_to_detail}_confirmed_at", now)
            applied.append(change.sent_to_detail)
    else:
        # The link went to details on record: their holder vouches for the new ones.
        for detail in ("email", "phone"):
            if detail in applied and getattr(resident, detail):
                setattr(resident, f"{detail}_confirmed_at", now)
    resident.updated_at = now
    change.confirmed_at = now
    confirmed = [detail for detail in CONFIRMABLE if detail in applied]
    await repository.add_timeline(
        session,
        occurred_at=now,
        kind="contact_change_confirmed",
        summary=f"Contact details confirmed ({', '.join(_words(confirmed)) or 'none'}) by the "
        "resident",
        resident_id=resident.id,
        detail={"changes": confirmed, "reference": change.reference},
    )
    await uow.stage(resident_upserted(resident))
    return resident


async def _held_by_another(uow: UnitOfWork, *, resident: Resident, detail: str, value: str) -> bool:
    column = cast(Any, getattr(Resident, detail))
    holder = await uow.session.scalar(
        sa.select(Resident.id).where(column == value, Resident.id != resident.id).limit(1)
    )
    return holder is not None


def _words(details: tuple[str, ...] | list[str]) -> list[str]:
    return [detail.replace("_", " ") for detail in details]


async def forget_changes(uow: UnitOfWork, *, resident_id: uuid.UUID) -> None:
    """An erased resident's held changes go with them."""
    await uow.session.execute(sa.delete(_change).where(_change.c.resident_id == resident_id))
