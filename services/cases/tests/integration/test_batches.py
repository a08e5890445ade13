"""Events applied many to a transaction (the runtime's batch mode) as they are one by one.

The records are handed to the service's processor directly: as one batch, as the Kafka
subscriber does with `consumer_batch_size` > 1 (every case below then opens and moves in the same
transaction as the others, so what one event writes must be seen by the next, and the batch is
prepared: see `service_layer/openings.py`), or one record per transaction, as with
`consumer_batch_size` 1 and in a failed batch's fallback. Both must leave the same state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cases.adapters import repository
from cases_factories import (
    T0,
    collection_completed,
    contact,
    form_submitted,
    new_reference,
    return_visit_scheduled,
)
from civic_events.base import Event
from civic_events.envelope import encode
from civic_runtime.consumers import ConsumedRecord

pytestmark = pytest.mark.integration


def _records(prefix: str, events: list[Event]) -> list[ConsumedRecord]:
    records = [encode(event) for event in events]
    return [
        ConsumedRecord(
            topic=prefix + record.topic,
            partition=0,
            offset=offset,
            key=record.key,
            value=record.value,
            headers=record.headers,
        )
        for offset, record in enumerate(records)
    ]


@pytest.mark.parametrize("mode", ["one_batch", "one_by_one"])
async def test_a_batch_matches_residents_opens_moves_and_holds_as_one_by_one(
    kit: Any, mode: str
) -> None:
    first = contact(phone="+447700900111")
    opened = form_submitted(contact=first)
    same_email = form_submitted(contact=contact(name="A. Resident", email=first.email.upper()))
    same_phone = form_submitted(contact=contact(name="Someone", email=None, phone=first.phone))
    replayed = opened  # the same event again: its inbox row is already claimed
    same_reference = form_submitted(opened.subject, contact=contact())
    bulky = form_submitted(form_id="bulky-waste", answers={"item_count": 2})
    collected = collection_completed(opened.subject)
    early_reference = new_reference()
    early = return_visit_scheduled(early_reference, at=T0 + timedelta(hours=2))
    late_submission = form_submitted(early_reference)
    events = [
        opened,
        same_email,
        same_phone,
        replayed,
        same_reference,
        bulky,
        collected,
        early,
        late_submission,
    ]
    async with kit.running(consumer_enabled=False) as (app, _client):
        processor = app.state.runtime.processor
        records = _records(kit.prefix, events)
        if mode == "one_batch":
            outcomes = await processor.process_batch(records)
        else:
            outcomes = [await processor.process(record) for record in records]
        assert outcomes == ["applied"] * 3 + ["duplicate"] + ["applied"] * 5

        async with app.state.runtime.engine.connect() as connection:
            # In one batch, one transaction: every inbox row has its start time.
            transactions = await connection.scalar(
                sa.text("SELECT count(DISTINCT processed_at) FROM inbox")
            )
            assert transactions == (1 if mode == "one_batch" else 8)
            residents = {
                row.reference: row.resident_id
                for row in await connection.execute(
                    sa.text("SELECT reference, resident_id FROM cases_case")
                )
            }
            (first_resident,) = {
                residents[opened.subject],
                residents[same_email.subject],
                residents[same_phone.subject],
            }
            assert residents[bulky.subject] != first_resident
            resident = (
                await connection.execute(
                    sa.text("SELECT name, email, phone FROM cases_resident WHERE id = :id"),
                    {"id": first_resident},
                )
            ).one()
            # A form proves nothing: the later submissions' names wait for the resident to
            # confirm them, each by its own link.
            assert (resident.name, resident.email, resident.phone) == (
                first.name,
                first.email.lower(),
                first.phone,
            )
            proposed = await connection.scalars(
                sa.text(
                    "SELECT proposed ->> 'name' FROM cases_contact_change "
                    "WHERE resident_id = :id AND proposed ? 'name' ORDER BY requested_at"
                ),
                {"id": first_resident},
            )
            assert sorted(proposed) == ["A. Resident", "Someone"]
            held = await connection.scalar(sa.text("SELECT count(*) FROM cases_held_updates"))
            assert held == 0

        assert (await kit.case_row(app, opened.subject)).status == "closed"
        assert (await kit.case_row(app, bulky.subject)).status == "awaiting_payment"
        assert (await kit.case_row(app, early_reference)).status == "return_visit_scheduled"
        assert [entry.kind for entry in await kit.timeline(app, opened.subject)] == [
            "submission",
            "update_ignored",  # the second submission with its reference
            "status_changed",
            "status_changed",
        ]
        # The submission first, then what followed from it.
        assert [entry.kind for entry in await kit.timeline(app, bulky.subject)] == [
            "submission",
            "status_changed",
            "payment",
        ]
        assert await kit.outbox_types(app, bulky.subject) == [
            "CaseOpened",
            "CaseStatusChanged",
            "PaymentRequested",
        ]
        assert await kit.outbox_types(app, opened.subject) == [
            "CaseOpened",
            "CaseStatusChanged",
            "CaseStatusChanged",
            "CaseClosed",
        ]
        # A new resident: each submission's link goes to the address on record (nothing of
        # theirs confirmed yet), the first acknowledgement of each.
        assert await kit.outbox_types(app, str(first_resident)) == ["ContactChangeRequested"] * 3


async def test_a_batch_of_new_cases_costs_a_few_statements_whatever_its_size(kit: Any) -> None:
    """The benchmark's path: a backlog of submissions, each from a new resident."""
    events: list[Event] = [form_submitted() for _ in range(20)]
    async with kit.running(consumer_enabled=False) as (app, _client):
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        engine = app.state.runtime.engine.sync_engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            outcomes = await app.state.runtime.processor.process_batch(_records(kit.prefix, events))
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert outcomes == ["applied"] * 20
        # Reading: the inbox rows, the references' locks, the cases and held updates, the
        # residents (these two planned for their values, between two SETs); writing, at the
        # end: the residents, the cases, the links to confirm them, the timeline, the outbox.
        assert len(statements) == 11, statements
        assert statements[2:6:3] == [
            "SET LOCAL plan_cache_mode = force_custom_plan",
            "SET LOCAL plan_cache_mode TO DEFAULT",
        ]
        async with app.state.runtime.engine.connect() as connection:
            counts = [
                await connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                for table in (
                    "cases_resident",
                    "cases_case",
                    "cases_timeline",
                    "cases_contact_change",
                    "outbox",
                )
            ]
        assert counts == [20, 20, 20, 20, 40]
        for submitted in events:
            assert await kit.outbox_types(app, submitted.subject) == ["CaseOpened"]
        assert [entry.kind for entry in await kit.timeline(app, events[-1].subject)] == [
            "submission"
        ]


async def test_a_batch_holds_its_references_locks_until_it_ends(kit: Any) -> None:
    """What keeps a contractor's update from being held, unseen, while a batch opens its case."""
    references = [new_reference(), new_reference()]
    async with kit.running(consumer_enabled=False) as (app, _client):
        engine = app.state.runtime.engine

        async def free(reference: str) -> bool:
            async with engine.connect() as other:
                return bool(
                    await other.scalar(
                        sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": f"cases-reference:{reference}"},
                    )
                )

        async with app.state.runtime.session_factory() as session, session.begin():
            await repository.lock_references(session, references=references)
            assert [await free(reference) for reference in references] == [False, False]
        assert [await free(reference) for reference in references] == [True, True]
