"""The Stripe-style request signature."""

from __future__ import annotations

import pytest
from intake.domain.signatures import hash_api_key, new_api_key, sign, signature_header, verify

pytestmark = pytest.mark.unit
SECRET = "whsec_test"
BODY = b'{"type":"CollectionCompleted"}'


def test_a_good_signature_inside_the_window_passes() -> None:
    header = signature_header(SECRET, 1_000, BODY)
    assert verify(header, secret=SECRET, body=BODY, now=1_299, tolerance_s=300) is None


@pytest.mark.parametrize(
    ("header", "now", "why"),
    [
        (None, 1_000, "missing signature"),
        ("v1=abc", 1_000, "malformed signature"),
        (f"t=1000,v1={sign(SECRET, 1_000, BODY)}", 1_301, "timestamp outside the tolerance window"),
        (f"t=1000,v1={sign('other', 1_000, BODY)}", 1_000, "signature does not match"),
        (f"t=1000,v1={sign(SECRET, 1_000, BODY + b' ')}", 1_000, "signature does not match"),
    ],
)
def test_bad_signatures_say_why(header: str | None, now: int, why: str) -> None:
    assert verify(header, secret=SECRET, body=BODY, now=now, tolerance_s=300) == why


def test_any_of_several_v1_values_may_match_during_rotation() -> None:
    header = f"t=1000,v1={sign('old', 1_000, BODY)},v1={sign(SECRET, 1_000, BODY)}"
    assert verify(header, secret=SECRET, body=BODY, now=1_000, tolerance_s=300) is None


def test_keys_are_random_and_stored_as_a_hash() -> None:
    key = new_api_key()
    assert key != new_api_key() and len(key) > 40
    assert hash_api_key(key) == hash_api_key(key) and key not in hash_api_key(key)
