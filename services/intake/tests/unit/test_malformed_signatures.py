"""A crafted Intake-Signature header is refused with a reason, never an exception (a 500)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from intake.domain.signatures import sign, verify

pytestmark = pytest.mark.unit
SECRET = "whsec_test"
BODY = b'{"type":"CollectionCompleted"}'
GOOD = sign(SECRET, 1_000, BODY)
DIGEST = hmac.new(SECRET.encode(), b"1000." + BODY, hashlib.sha256).digest()

MALFORMED = {
    "empty": "",
    "empty parts": "t=,v1=",
    "no separator": "garbage",
    "non-ASCII digit timestamp": f"t=²,v1={GOOD}",
    "full-width timestamp": f"t=\uff11\uff10\uff10\uff10,v1={GOOD}",
    "timestamp past int's digit limit": f"t={'9' * 5000},v1={GOOD}",
    "non-ASCII signature": "t=1000,v1=é",
    "non-ASCII among good signatures": f"t=1000,v1=é,v1={'0' * 64}",
    "base64 signature": f"t=1000,v1={base64.b64encode(DIGEST).decode()}",
    "bad base64": "t=1000,v1=%%%===",
    "one hex digit short": f"t=1000,v1={GOOD[:-1]}",
    "one hex digit long": f"t=1000,v1={GOOD}0",
    "upper-case hex": f"t=1000,v1={GOOD.upper()}",
}


@pytest.mark.parametrize("header", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_signature_is_refused_with_a_reason(header: str) -> None:
    refused = verify(header, secret=SECRET, body=BODY, now=1_000, tolerance_s=300)
    assert refused in ("missing signature", "malformed signature", "signature does not match")
