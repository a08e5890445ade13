"""A crafted callback token on GOV.UK Notify's delivery receipts is a 401, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration

# Sent as bytes: what arrives from the wire, UTF-8 read as Latin-1 by the server.
AUTHORIZATIONS = {
    "empty": b"",
    "bearer with nothing": b"Bearer",
    "non-ASCII": "Bearer é".encode(),
    "non-ASCII digits": "Bearer ²²²".encode(),
    "bad base64": b"Bearer %%%===",
    "wrong length": b"Bearer development-callback-toke",
    "too long": b"Bearer " + b"A" * 5000,
    "another scheme": b"Basic ZGV2ZWxvcG1lbnQ=",
}


async def test_malformed_callback_tokens_are_refused_with_401(notify_kit: Any, http: Any) -> None:
    receipt = {"id": str(uuid.uuid4()), "reference": str(uuid.uuid4()), "status": "delivered"}
    async with notify_kit.service(consumer_enabled=False) as notify, http(notify.base_url) as api:
        for name, authorization in AUTHORIZATIONS.items():
            answer = await api.post(
                "/callbacks/govuk-notify", json=receipt, headers={"Authorization": authorization}
            )
            assert answer.status_code == 401, name
            assert answer.headers["content-type"] == "application/problem+json"


async def test_the_callback_token_is_checked_before_the_body_is_read(
    notify_kit: Any, http: Any
) -> None:
    """A stranger learns nothing of what the route takes: 401 whatever the body."""
    bodies: list[dict[str, Any]] = [
        {"content": b"{not json"},
        {"json": {"status": ["not", "a", "receipt"]}},
        {"json": []},
        {"content": b""},
    ]
    token = {"Authorization": f"Bearer {notify_kit.settings().govuk_notify_callback_token}"}
    async with notify_kit.service(consumer_enabled=False) as notify, http(notify.base_url) as api:
        for body in bodies:
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                answer = await api.post("/callbacks/govuk-notify", headers=headers, **body)
                assert answer.status_code == 401, (body, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
            # With the token, a body that is no receipt is named as such.
            answer = await api.post("/callbacks/govuk-notify", headers=token, **body)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        missing_status = {"id": "x", "reference": "y"}
        answer = await api.post("/callbacks/govuk-notify", headers=token, json=missing_status)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["status"]
