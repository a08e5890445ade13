"""A stored push subscription is checked again as its message goes out: one that points
anywhere but a browser's push service is a permanent failure, and nothing is POSTed."""

from __future__ import annotations

from typing import Any

import pytest
from notify.adapters.providers import push
from notify.adapters.providers.base import OutgoingMessage, PermanentFailure
from notify.adapters.providers.push import WebPushProvider

pytestmark = pytest.mark.unit

KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u", "auth": "tBHI"}


def message(endpoint: Any) -> OutgoingMessage:
    return OutgoingMessage(
        reference="5f0c7e1e-8d1b-4d5e-9a43-0c9a3c1f0a11",
        channel="push",
        recipient={"endpoint": endpoint, "keys": KEYS},
        subject="Your bin",
        body="We will come back tomorrow.",
    )


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The endpoints the provider hands to pywebpush (which would POST to them)."""
    endpoints: list[str] = []

    def webpush(*, subscription_info: dict[str, Any], **_: Any) -> None:
        endpoints.append(subscription_info["endpoint"])

    monkeypatch.setattr(push, "webpush", webpush)
    return endpoints


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://169.254.169.254/latest/meta-data",
        "https://internal.council.example/admin",
        "https://fcm.googleapis.com.attacker.example/x",
        "http://127.0.0.1:8123/push/abc",  # the loopback simulator: not in production
        None,
        42,
    ],
)
async def test_a_stored_endpoint_off_the_push_services_is_a_permanent_failure(
    endpoint: Any, posted: list[str]
) -> None:
    provider = WebPushProvider(
        vapid_private_key="unused", vapid_subject="mailto:a@example.org", production=True
    )
    with pytest.raises(PermanentFailure, match="not a browser's push service"):
        await provider.send(message(endpoint))
    assert posted == []


async def test_a_push_service_endpoint_is_sent_to(posted: list[str]) -> None:
    provider = WebPushProvider(
        vapid_private_key="unused", vapid_subject="mailto:a@example.org", production=True
    )
    receipt = await provider.send(message("https://fcm.googleapis.com/fcm/send/abc"))
    assert receipt.status == "sent"
    assert posted == ["https://fcm.googleapis.com/fcm/send/abc"]


async def test_outside_production_the_loopback_simulator_is_sent_to(posted: list[str]) -> None:
    provider = WebPushProvider(
        vapid_private_key="unused", vapid_subject="mailto:a@example.org", production=False
    )
    await provider.send(message("http://127.0.0.1:8123/push/abc"))
    assert posted == ["http://127.0.0.1:8123/push/abc"]
