"""A crafted API key or Intake-Signature on a back-office webhook is a 401, never a 500."""

from __future__ import annotations

import json

import pytest
from intake_factories import IntakeHarness, return_visit

pytestmark = pytest.mark.integration

# Sent as bytes: what arrives from the wire, UTF-8 read as Latin-1 by the server.
SIGNATURES = {
    "empty": b"",
    "non-ASCII digit timestamp": "t=²,v1=00".encode(),
    "timestamp past int's digit limit": b"t=" + b"9" * 5000 + b",v1=00",
    "non-ASCII signature": "t=1000,v1=é".encode(),
    "bad base64": b"t=1000,v1=%%%===",
    "wrong length": b"t=1000,v1=" + b"0" * 63,
}
KEYS = {
    "empty": b"Bearer ",
    "non-ASCII": "Bearer ik_é".encode(),
    "bad base64": b"Bearer ik_%%%===",
    "too long": b"Bearer ik_" + b"A" * 5000,
    "no scheme": b"ik_abc",
}


async def test_malformed_signatures_and_keys_are_refused_with_401(intake: IntakeHarness) -> None:
    waste = await intake.create_client("waste-contractor", ["waste"])
    raw = json.dumps(return_visit()).encode()
    path = "/v1/backoffice/waste/events"
    for name, signature in SIGNATURES.items():
        answer = await intake.client.post(
            path,
            content=raw,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {waste.api_key}",
                "Intake-Signature": signature,
            },
        )
        assert answer.status_code == 401, name
        assert answer.headers["content-type"] == "application/problem+json"
    for name, authorization in KEYS.items():
        answer = await intake.client.post(
            path,
            content=raw,
            headers={"Content-Type": "application/json", "Authorization": authorization},
        )
        assert answer.status_code == 401, name
