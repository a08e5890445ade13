"""What a transaction's openings answer for resident matching, and how it follows what is written."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from cases.adapters.opening import ResidentRecord
from cases.service_layer.openings import Openings

pytestmark = pytest.mark.unit


def _resident(email: str | None, phone: str | None, name: str = "A") -> ResidentRecord:
    return ResidentRecord(
        id=uuid.uuid4(),
        name=name,
        email=email,
        phone=phone,
        address=None,
        postcode=None,
        uprn=None,
        preferred_channel="email",
        language="en",
    )


def _batch(*residents: ResidentRecord) -> Openings:
    return Openings(
        locked={"WST-2026-000001"},
        with_case=set(),
        with_held_updates=set(),
        emails={"a@example.org", "b@example.org"},
        phones={"+447700900001"},
        residents=list(residents),
    )


def test_candidates_hold_email_and_phone_matches_oldest_first() -> None:
    older, newer = _resident(None, "+447700900001"), _resident("a@example.org", None)
    batch = _batch(older, newer, _resident("b@example.org", None))
    assert batch.candidates(email="a@example.org", phone="+447700900001") == [older, newer]
    assert batch.candidates(email="b@example.org", phone=None) == [batch.residents[2]]
    assert batch.candidates(email=None, phone=None) == []


def test_contacts_not_read_for_the_batch_are_not_answered() -> None:
    batch = _batch()
    assert batch.candidates(email="c@example.org", phone=None) is None
    assert batch.candidates(email="a@example.org", phone="+447700900999") is None


def test_what_is_written_is_found_by_the_next_event() -> None:
    known = _resident("a@example.org", None)
    batch = _batch(known)
    changed = dataclasses.replace(known, phone="+447700900001", name="B")
    created = _resident("b@example.org", None)
    batch.written(changed)
    batch.written(created)
    assert batch.residents == [changed, created]
    assert batch.candidates(email=None, phone="+447700900001") == [changed]
