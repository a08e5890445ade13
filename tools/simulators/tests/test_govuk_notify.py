"""The GOV.UK Notify simulator, driven by the official client as our adapter drives the real API."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from civic_simulators.govuk_notify.app import (
    DEFAULT_EMAIL_TEMPLATE,
    DEFAULT_SMS_TEMPLATE,
    SimulatorConfig,
)
from civic_simulators.govuk_notify.server import free_port, running
from fastapi import FastAPI, Request
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

pytestmark = pytest.mark.integration


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)


async def test_the_official_client_sends_email_and_sms_and_finds_them_by_reference() -> None:
    async with running() as notify:
        client = NotificationsAPIClient(notify.api_key(), base_url=notify.base_url)
        email = await call(
            client.send_email_notification,
            email_address="resident@example.com",
            template_id=DEFAULT_EMAIL_TEMPLATE,
            personalisation={"subject": "Hello", "body": "Your bin is booked"},
            reference="ref-1",
        )
        assert email["content"] == {
            "body": "Your bin is booked",
            "subject": "Hello",
            "from_email": "council.notifications@simulator.notify",
        }
        sms = await call(
            client.send_sms_notification,
            phone_number="+447700900123",
            template_id=DEFAULT_SMS_TEMPLATE,
            personalisation={"body": "Text"},
            reference="ref-2",
        )
        assert sms["content"]["body"] == "Text"
        found = await call(client.get_all_notifications, reference="ref-1")
        assert [n["id"] for n in found["notifications"]] == [email["id"]]
        assert (await call(client.get_all_notifications, reference="nope"))["notifications"] == []
        await notify.simulator.settle()
        one = await call(client.get_notification_by_id, sms["id"])
        assert (one["type"], one["status"], one["reference"]) == ("sms", "delivered", "ref-2")


async def test_it_has_no_idempotency_on_send_like_the_real_one() -> None:
    async with running() as notify:
        client = NotificationsAPIClient(notify.api_key(), base_url=notify.base_url)
        for _ in range(2):
            await call(
                client.send_sms_notification,
                phone_number="07700900123",
                template_id=DEFAULT_SMS_TEMPLATE,
                personalisation={"body": "x"},
                reference="same",
            )
        found = await call(client.get_all_notifications, reference="same")
        assert len(found["notifications"]) == 2


async def test_a_wrong_secret_an_unknown_service_and_a_stale_token_are_refused() -> None:
    async with running() as notify:
        config = notify.simulator.config
        bad_keys = [
            f"k-{config.service_id}-{uuid.uuid4()}",  # wrong secret
            f"k-{uuid.uuid4()}-{config.secret}",  # unknown service
        ]
        for key in bad_keys:
            client = NotificationsAPIClient(key, base_url=notify.base_url)
            with pytest.raises(HTTPError) as refused:
                await call(client.get_all_notifications)
            assert refused.value.status_code == 403
        stale = jwt.encode(
            {"iss": config.service_id, "iat": int(time.time()) - 31},
            config.secret,
            algorithm="HS256",
        )
        async with httpx.AsyncClient(base_url=notify.base_url) as http:
            answer = await http.get(
                "/v2/notifications", headers={"Authorization": f"Bearer {stale}"}
            )
            assert answer.status_code == 403
            assert answer.json()["errors"][0]["error"] == "AuthError"
            assert (await http.get("/v2/notifications")).status_code == 401


async def test_invalid_recipients_and_missing_personalisation_are_400s() -> None:
    async with running() as notify:
        client = NotificationsAPIClient(notify.api_key(), base_url=notify.base_url)
        with pytest.raises(HTTPError) as invalid:
            await call(
                client.send_sms_notification,
                phone_number="12345",
                template_id=DEFAULT_SMS_TEMPLATE,
                personalisation={"body": "x"},
            )
        assert invalid.value.status_code == 400
        assert "Not a UK mobile number" in str(invalid.value.message)
        with pytest.raises(HTTPError) as missing:
            await call(
                client.send_email_notification,
                email_address="a@example.com",
                template_id=DEFAULT_EMAIL_TEMPLATE,
                personalisation={"body": "x"},
            )
        assert "Missing personalisation: subject" in str(missing.value.message)


async def test_delivery_receipts_reach_the_callback_url_with_the_bearer_token() -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures_left = [1]
    receiver = FastAPI()

    @receiver.post("/callback")
    async def callback(request: Request) -> dict[str, str]:
        if failures_left[0]:
            failures_left[0] -= 1
            raise RuntimeError("first delivery fails: Notify must retry")
        received.append((request.headers.get("authorization"), await request.json()))
        return {}

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=port, log_level="critical")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no started event
        await asyncio.sleep(0.01)
    config = SimulatorConfig(
        callback_url=f"http://127.0.0.1:{port}/callback",
        callback_token="s3cret",
        callback_retry_interval_s=0.01,
    )
    try:
        async with running(config) as notify:
            client = NotificationsAPIClient(notify.api_key(), base_url=notify.base_url)
            sent = await call(
                client.send_email_notification,
                email_address="perm-fail@simulator.notify",
                template_id=DEFAULT_EMAIL_TEMPLATE,
                personalisation={"subject": "s", "body": "b"},
                reference="r-9",
            )
            await notify.simulator.settle()
    finally:
        server.should_exit = True
        await task
    assert len(received) == 1
    token, payload = received[0]
    assert token == "Bearer s3cret"
    assert (payload["id"], payload["reference"], payload["status"]) == (
        sent["id"],
        "r-9",
        "permanent-failure",
    )
    assert payload["notification_type"] == "email"
