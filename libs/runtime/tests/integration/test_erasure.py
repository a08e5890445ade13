"""An erased resident's events leave the outbox: published copies are scrubbed, unpublished ones
withdrawn; the erasure itself and events without contact details go out as they are."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from civic_events.contact import Contact
from civic_events.envelope import decode
from civic_events.intake import FormSubmitted
from civic_events.payments import PaymentSucceeded
from civic_events.residents import ResidentErased, ResidentUpserted
from civic_runtime.consumers import EventHandlers
from civic_runtime.erasure import (
    ERASED_PAYLOAD,
    PERSONAL_EVENT_TYPES,
    ErasedCopies,
    erase_outbox_copies,
)
from civic_runtime.tables import OutboxMessage

pytestmark = pytest.mark.integration

outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
REFERENCE = "WST-2026-000777"


def upserted(resident_id: uuid.UUID, email: str) -> ResidentUpserted:
    return ResidentUpserted(
        source="cases",
        subject=str(resident_id),
        resident_id=resident_id,
        contact=Contact(name="A Resident", email=email, phone="+447700900777"),
        preferred_channel="email",
    )


def submitted(email: str) -> FormSubmitted:
    return FormSubmitted(
        source="intake",
        subject=REFERENCE,
        form_id="missed-bin",
        form_version=1,
        submitted_via="web",
        contact=Contact(email=email, address="1 Erased Road, AB1 2CD"),
    )


async def rows(harness: Any) -> dict[uuid.UUID, Any]:
    async with harness.runtime.engine.connect() as connection:
        return {row.event_id: row for row in await connection.execute(sa.select(outbox))}


async def test_an_erasure_scrubs_published_copies_and_withdraws_unpublished_ones(
    kit: Any, read_records: Any, eventually: Any
) -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    first = upserted(erased, "first@example.org")
    neighbour = upserted(other, "neighbour@example.org")
    form = submitted("first@example.org")
    async with kit.running(kit.settings(), EventHandlers()) as harness:
        async with harness.runtime.unit_of_work() as uow:
            await uow.stage_many([first, neighbour, form])
        await read_records(kit.prefix + "residents.v1", 2)
        await read_records(kit.prefix + "intake.submission.v1", 1)

        async def published() -> bool:
            return all(row.published_at is not None for row in (await rows(harness)).values())

        await eventually(published)

    later = upserted(erased, "later@example.org")
    paid = PaymentSucceeded(
        source="payments",
        subject=REFERENCE,
        payment_request_id=uuid.uuid4(),
        payment_id="pay-777",
        amount=3500,
    )
    erasure = ResidentErased(
        source="cases", subject=str(erased), resident_id=erased, reason="resident_request"
    )
    # The relay is off: `later` and `paid` wait in the outbox when the erasure commits.
    async with kit.running(kit.settings(outbox_enabled=False), EventHandlers()) as harness:
        async with harness.runtime.unit_of_work() as uow:
            await uow.stage_many([later, paid])
        async with harness.runtime.unit_of_work() as uow:
            copies = await erase_outbox_copies(uow.session, keys=[str(erased), REFERENCE])
            await uow.stage(erasure)
        assert copies == ErasedCopies(scrubbed=2, withdrawn=1)
        stored = await rows(harness)
        for gone in (first, form, later):
            assert stored[gone.event_id].payload == ERASED_PAYLOAD
            assert stored[gone.event_id].published_at is not None
        assert b"neighbour@example.org" in stored[neighbour.event_id].payload
        assert stored[paid.event_id].payload != ERASED_PAYLOAD
        assert stored[paid.event_id].published_at is None
        assert stored[erasure.event_id].published_at is None
        async with harness.runtime.unit_of_work() as uow:
            again = await erase_outbox_copies(uow.session, keys=[str(erased), REFERENCE])
        assert again == ErasedCopies(scrubbed=0, withdrawn=0)

    async with kit.running(kit.settings(), EventHandlers()):
        (payment,) = await read_records(kit.prefix + "payments.v1", 1)
        assert decode(payment.headers, payment.value) == paid
        records = await read_records(kit.prefix + "residents.v1", 3)
        told = [decode(r.headers, r.value) for r in records]
        assert erasure in told and later not in told
        # The withdrawn event is never published.
        with pytest.raises(AssertionError):
            await read_records(kit.prefix + "residents.v1", 4, timeout=2.0)


def test_the_erased_types_are_the_events_that_may_carry_contact_details() -> None:
    assert sorted(ce_type.split(".")[-2] for ce_type in PERSONAL_EVENT_TYPES) == [
        "ApplicationReceived",
        "ContactChangeRequested",
        "ContactPreferencesChanged",
        "FormSubmitted",
        "ResidentUpserted",
    ]
