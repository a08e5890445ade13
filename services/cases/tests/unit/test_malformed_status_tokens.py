"""A crafted status-link token is refused, never an exception (a 500)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cases.domain.proof import sign_status_token, status_token_valid

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GOOD = sign_status_token(secret="s", reference="WST-1", expires_at=NOW + timedelta(days=1))
EXPIRES, SIGNATURE = GOOD.split(".")

MALFORMED = {
    "empty": "",
    "dot only": ".",
    "non-ASCII digit expiry": f"²{EXPIRES}.{SIGNATURE}",
    "full-width expiry": f"\uff11\uff12.{SIGNATURE}",
    "expiry past int's digit limit": f"{'9' * 5000}.{SIGNATURE}",
    "non-ASCII signature": f"{EXPIRES}.é",
    "base64 signature": f"{EXPIRES}.{base64.b64encode(bytes.fromhex(SIGNATURE)).decode()}",
    "bad base64": f"{EXPIRES}.%%%===",
    "one hex digit short": GOOD[:-1],
    "one hex digit long": f"{GOOD}0",
    "trailing newline": f"{GOOD}\n",
}


def test_the_good_token_is_valid() -> None:
    assert status_token_valid(secret="s", reference="WST-1", token=GOOD, now=NOW)


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_token_is_not_valid(token: str) -> None:
    assert not status_token_valid(secret="s", reference="WST-1", token=token, now=NOW)
