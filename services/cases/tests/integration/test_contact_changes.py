"""A form proves nothing about who sent it: a stranger who knows a resident's email address (or
phone number) cannot change the resident's details; the resident confirms new details by the
one-time link sent to the details on record."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from cases_factories import contact, form_submitted
from civic_events.residents import ContactChangeRequested, ResidentUpserted

pytestmark = pytest.mark.integration

CONFIRM = "/v1/contact-changes/confirm"


def _token(request: ContactChangeRequested) -> str:
    return request.confirm_url.rsplit("/", 1)[1]


async def _resident(app: Any, resident_id: Any) -> Any:
    async with app.state.runtime.engine.connect() as connection:
        return (
            await connection.execute(
                sa.text(
                    "SELECT name, email, phone, address, preferred_channel "
                    "FROM cases_resident WHERE id = :id"
                ),
                {"id": resident_id},
            )
        ).one()


async def _requests(kit: Any, count: int, resident_id: Any) -> list[ContactChangeRequested]:
    return [
        e
        for e in await kit.events("residents.v1", count)
        if isinstance(e, ContactChangeRequested) and e.resident_id == resident_id
    ]


async def test_a_new_residents_details_are_used_only_once_the_link_sent_to_them_comes_back(
    kit: Any,
) -> None:
    resident = contact(name="Alex Resident", phone="+447700900200")
    async with kit.running() as (app, client):
        row = await kit.open_case(app, form_submitted(contact=resident))
        # Not announced (notify contacts residents by what residents.v1 says): only the link,
        # to the address just given, as the first acknowledgement of the submission.
        (request,) = await kit.events("residents.v1", 1)
        assert isinstance(request, ContactChangeRequested)
        assert request.send_to is not None
        assert (request.send_to.email, request.send_to.phone) == (resident.email.lower(), None)
        assert request.changes == ("email",)
        assert request.reference is not None
        confirmed = await client.post(CONFIRM, json={"token": _token(request)})
        assert confirmed.status_code == 200, confirmed.text
        (_, announced) = await kit.events("residents.v1", 2)
        assert isinstance(announced, ResidentUpserted)
        assert announced.resident_id == row.resident_id
        # The email address came back; the phone number was never shown to be theirs.
        assert (announced.contact.email, announced.contact.phone) == (resident.email.lower(), None)


async def test_a_stranger_with_a_residents_email_changes_nothing_until_the_resident_confirms(
    kit: Any,
) -> None:
    resident = contact(name="Alex Resident", phone="+447700900201")
    stranger = contact(
        name="Mallory",
        email=resident.email,
        phone="+447700900666",
        address="9 Other Road, Exampleton EX9 9ZZ",
    )
    async with kit.running() as (app, client):
        own = await kit.open_case(app, form_submitted(contact=resident))
        assert await kit.confirm_contacts(app, client, own.resident_id) == 1
        theirs = await kit.open_case(app, form_submitted(contact=stranger, preferred_channel="sms"))
        assert theirs.resident_id == own.resident_id
        before = await _resident(app, own.resident_id)
        assert (before.name, before.phone, before.address, before.preferred_channel) == (
            "Alex Resident",
            "+447700900201",
            resident.address,
            "email",
        )
        events = await kit.events("residents.v1", 3)
        assert [type(e) for e in events] == [
            ContactChangeRequested,  # the resident's own first link
            ResidentUpserted,  # which they confirmed
            ContactChangeRequested,  # the stranger's
        ]
        request = events[-1]
        assert isinstance(request, ContactChangeRequested)
        assert request.resident_id == own.resident_id
        assert request.send_to is None  # to the details on record
        assert set(request.changes) == {"name", "phone", "address", "preferred_channel"}
        # What would change is named, never its values.
        assert "Mallory" not in request.model_dump_json()
        assert "+447700900666" not in request.model_dump_json()

        # Only the holder of the link (sent to the details on record) can apply it, once.
        confirmed = await client.post(CONFIRM, json={"token": _token(request)})
        assert confirmed.status_code == 200, confirmed.text
        after = await _resident(app, own.resident_id)
        assert (after.name, after.phone, after.preferred_channel) == (
            "Mallory",
            "+447700900666",
            "sms",
        )
        upserted = await kit.events("residents.v1", 4)
        assert isinstance(upserted[-1], ResidentUpserted)
        # Vouched for by the holder of the details on record.
        assert upserted[-1].contact.phone == "+447700900666"
        again = await client.post(CONFIRM, json={"token": _token(request)})
        assert again.status_code == 404
        assert again.headers["content-type"] == "application/problem+json"


async def test_a_stranger_cannot_take_over_a_resident_who_has_not_confirmed_yet(
    kit: Any,
) -> None:
    resident = contact(name="Alex Resident")
    stranger = contact(name="Mallory", email=resident.email, phone="+447700900667")
    async with kit.running() as (app, _client):
        own = await kit.open_case(app, form_submitted(contact=resident))
        await kit.open_case(app, form_submitted(contact=stranger, preferred_channel="sms"))
        first, second = await _requests(kit, 2, own.resident_id)
        # Both links go to the email address on record, never to the number the stranger gave.
        for request in (first, second):
            assert request.send_to is not None
            assert (request.send_to.email, request.send_to.phone) == (resident.email.lower(), None)
        assert set(second.changes) == {"name", "phone", "preferred_channel"}
        assert (await _resident(app, own.resident_id)).phone is None


async def test_a_link_that_expired_or_was_never_sent_is_refused(kit: Any) -> None:
    resident = contact(phone="+447700900202")
    async with kit.running() as (app, client):
        row = await kit.open_case(app, form_submitted(contact=resident))
        await kit.open_case(app, form_submitted(contact=contact(email=resident.email, name="X")))
        *_, request = await _requests(kit, 2, row.resident_id)
        async with app.state.runtime.engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE cases_contact_change SET expires_at = now() - interval '1 second'")
            )
        for token in (_token(request), "A" * 43, "x"):
            refused = await client.post(CONFIRM, json={"token": token})
            assert refused.status_code == 404, (token, refused.text)
        # Malformed: not a token we could have made, or not in the body.
        for body in ({"token": "has spaces"}, {"token": ""}, {"token": "é" * 10}, {}):
            refused = await client.post(CONFIRM, json=body)
            assert refused.status_code == 422, (body, refused.text)
        refused = await client.post(f"{CONFIRM}?token={_token(request)}")
        assert refused.status_code == 422
        assert (await _resident(app, row.resident_id)).name == resident.name


async def test_a_phone_number_taken_meanwhile_is_not_copied(kit: Any) -> None:
    resident = contact(phone=None)
    async with kit.running() as (app, client):
        row = await kit.open_case(app, form_submitted(contact=resident))
        await kit.open_case(
            app, form_submitted(contact=contact(email=resident.email, phone="+447700900203"))
        )
        # Meanwhile someone else gives that number as theirs.
        await kit.open_case(app, form_submitted(contact=contact(phone="+447700900203")))
        *_, request = await _requests(kit, 3, row.resident_id)
        assert request.changes == ("phone",)
        confirmed = await client.post(CONFIRM, json={"token": _token(request)})
        assert confirmed.status_code == 200
        assert (await _resident(app, row.resident_id)).phone is None


async def test_erasure_forgets_the_changes_waiting_for_confirmation(kit: Any) -> None:
    resident = contact()
    async with kit.running() as (app, client):
        row = await kit.open_case(app, form_submitted(contact=resident))
        await kit.open_case(app, form_submitted(contact=contact(email=resident.email, name="Y")))
        *_, request = await _requests(kit, 2, row.resident_id)
        async with app.state.runtime.session_factory() as session, session.begin():
            from cases.adapters.tables import Resident
            from cases.service_layer.erasure import erase_resident
            from civic_runtime.uow import UnitOfWork

            found = await session.get(Resident, row.resident_id)
            assert found is not None
            await erase_resident(UnitOfWork(session), resident=found, reason="resident_request")
        async with app.state.runtime.engine.connect() as connection:
            left = await connection.scalar(sa.text("SELECT count(*) FROM cases_contact_change"))
        assert left == 0
        refused = await client.post(CONFIRM, json={"token": _token(request)})
        assert refused.status_code == 404
