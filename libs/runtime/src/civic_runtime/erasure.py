"""Erasure of the copies of a person's events that a service's outbox still keeps.

The outbox keeps a published event's payload until its retention ends; for the events the
contract lets carry contact details (`PERSONAL_EVENT_TYPES`), that copy holds the person's
email, phone and address. When a resident is erased, each service calls `erase_outbox_copies`
in the transaction that forgets the rest, with the keys of the resident's events: the resident
id (residents.v1) and the references of their cases (FormSubmitted, ApplicationReceived).

A row's payload becomes `ERASED_PAYLOAD`; its type, key, headers and times stay, as the record
that an event went out. A row not yet published is withdrawn rather than published scrubbed (a
scrubbed payload is no event any consumer could read): it is marked published, so the relay
never sends it. What it would have told is no longer wanted: a residents.v1 event is followed
on its key by the ResidentErased that makes every consumer forget the resident, and a
submission whose reference cases names was consumed already. A relay that read the row just
before sends what it read, whole, and its consumers erase it when the ResidentErased arrives.
Events of other types are left as they are, published or not: they carry ids and money facts,
never contact details, and their consumers need them (a payment's outcome, a case's change).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from civic_events.intake import FormSubmitted
from civic_events.planning import ApplicationReceived
from civic_events.registry import EVENT_TYPES
from civic_events.residents import ResidentErased
from civic_events.topics import RESIDENTS
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from civic_runtime.tables import OutboxMessage

_outbox = OutboxMessage.__table__

PERSONAL_EVENT_TYPES: frozenset[str] = frozenset(
    model.ce_type
    for model in EVENT_TYPES.values()
    if model in (FormSubmitted, ApplicationReceived)
    or (model.topic == RESIDENTS and model is not ResidentErased)
)
"""The event types that may carry contact details (DESIGN.md, "Personal data"). ResidentErased
is not one: it is the erasure, and must reach every consumer."""

ERASED_PAYLOAD = b"{}"


@dataclass(frozen=True)
class ErasedCopies:
    scrubbed: int  # published rows whose payload is gone
    withdrawn: int  # unpublished rows, scrubbed and never to be published


_targets = (
    sa.select(_outbox.c.id, _outbox.c.published_at.is_(None).label("unpublished"))
    .where(
        _outbox.c.key == sa.any_(sa.bindparam("erased_keys", type_=ARRAY(sa.Text))),
        _outbox.c.event_type == sa.any_(sa.bindparam("erased_types", type_=ARRAY(sa.Text))),
        _outbox.c.payload != ERASED_PAYLOAD,
    )
    .with_for_update()
    .cte("erased_rows")
)
_ERASE = (
    sa.update(_outbox)
    .where(_outbox.c.id == _targets.c.id)
    .values(
        payload=ERASED_PAYLOAD,
        published_at=sa.func.coalesce(_outbox.c.published_at, sa.func.now()),
    )
    .returning(_targets.c.unpublished)
)


async def erase_outbox_copies(
    db: AsyncSession | AsyncConnection,
    *,
    keys: Collection[str],
    event_types: Collection[str] = PERSONAL_EVENT_TYPES,
) -> ErasedCopies:
    """Scrub, in the caller's transaction, the outbox rows of `keys` whose type is one of
    `event_types`; withdraw those not yet published. Run again, it finds nothing left to do."""
    if not keys or not event_types:
        return ErasedCopies(scrubbed=0, withdrawn=0)
    result = await db.execute(
        _ERASE, {"erased_keys": sorted(set(keys)), "erased_types": sorted(set(event_types))}
    )
    unpublished = [row.unpublished for row in result]
    withdrawn = sum(1 for flag in unpublished if flag)
    return ErasedCopies(scrubbed=len(unpublished) - withdrawn, withdrawn=withdrawn)
