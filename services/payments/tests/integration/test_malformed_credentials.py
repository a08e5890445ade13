"""A crafted Pay-Signature is a 401 and a crafted return-page token a 404: never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from payments.domain.signatures import sign

pytestmark = pytest.mark.integration

SECRET = "sim-webhook-secret"
BODY = json.dumps({"webhook_message_id": uuid.uuid4().hex[:26], "event_type": "x"}).encode()
GOOD = sign(BODY, SECRET)

# Sent as bytes: what arrives from the wire, UTF-8 read as Latin-1 by the server.
SIGNATURES = {
    "empty": b"",
    "non-ASCII": "é".encode(),
    "non-ASCII digit": ("²" * 64).encode(),
    "bad base64": b"%%%===",
    "base64 of the digest": base64.b64encode(bytes.fromhex(GOOD)),
    "one hex digit short": GOOD[:-1].encode(),
    "one hex digit long": (GOOD + "0").encode(),
}
RETURN_TOKENS = ["%C3%A9", "%C2%B2", "%00", "A" * 5000, "%%%==="]


async def test_malformed_signatures_are_refused_with_401(flow: Any) -> None:
    service = await flow.start(subscribe=False)
    for name, signature in SIGNATURES.items():
        answer = await service.client.post(
            "/gateway/webhooks", content=BODY, headers={"Pay-Signature": signature}
        )
        assert answer.status_code == 401, name
        assert answer.headers["content-type"] == "application/problem+json"
    assert await service.rows("SELECT id FROM payments_webhook") == []


async def test_malformed_return_tokens_find_no_payment(flow: Any) -> None:
    service = await flow.start(subscribe=False)
    for token in RETURN_TOKENS:
        page = await service.client.get(f"/payments/return/{token}")
        assert page.status_code == 404, token
        retry = await service.client.post(f"/payments/return/{token}/retry")
        assert retry.status_code == 404, token
