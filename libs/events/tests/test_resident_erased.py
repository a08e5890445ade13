"""ResidentErased names the resident's cases, so services that know submissions only by their
reference can forget them too; an erasure sent before the field existed still decodes."""

import json

import pytest
from civic_events.envelope import decode, encode
from civic_events.residents import ERASED_REFERENCES_PER_EVENT, ResidentErased
from event_factories import resident_erased
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_an_erasure_carries_the_references_of_the_residents_cases() -> None:
    event = resident_erased(references=("WST-2026-000001", "PLN/26/00012/FUL"))
    record = encode(event)
    decoded = decode(record.headers, record.value)
    assert isinstance(decoded, ResidentErased)
    assert decoded.references == ("WST-2026-000001", "PLN/26/00012/FUL")


def test_an_erasure_from_an_older_producer_names_no_references() -> None:
    record = encode(resident_erased())
    body = json.loads(record.value)
    body.pop("references", None)
    decoded = decode(record.headers, json.dumps(body).encode())
    assert isinstance(decoded, ResidentErased)
    assert decoded.references == ()


def test_a_producer_names_at_most_so_many_references_in_one_erasure() -> None:
    many = tuple(f"WST-2026-{n:06d}" for n in range(ERASED_REFERENCES_PER_EVENT + 1))
    resident_erased(references=many[:-1])
    with pytest.raises(ValidationError):
        resident_erased(references=many)
    # A consumer still reads what a producer sent, whatever its length.
    record = encode(resident_erased())
    body = {**json.loads(record.value), "references": list(many)}
    decoded = decode(record.headers, json.dumps(body).encode())
    assert isinstance(decoded, ResidentErased) and len(decoded.references) == len(many)
