"""A resident's push subscription is refused unless it points at a browser's push service."""

from __future__ import annotations

from typing import Any

import pytest
from notify.service_layer.preferences import record_resident

pytestmark = pytest.mark.integration
KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u", "auth": "tBHI"}


async def test_a_push_subscription_to_any_other_host_is_refused(notify_kit: Any, http: Any) -> None:
    resident = notify_kit.resident(channel="email")
    async with (
        notify_kit.service(consumer_enabled=False) as notify,
        http(notify.base_url, notify_kit.as_officer) as api,
    ):
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        await notify.holds_case(resident.resident_id)  # a case of the officer's team
        path = f"/residents/{resident.resident_id}/preferences"
        for endpoint in (
            "https://internal.council.example/admin",
            "https://169.254.169.254/latest/meta-data",
            "https://fcm.googleapis.com.attacker.example/x",
        ):
            refused = await api.patch(
                path, json={"push_subscription": {"endpoint": endpoint, "keys": KEYS}}
            )
            assert refused.status_code == 422, endpoint
            assert "push service" in refused.json()["detail"]
        accepted = await api.patch(
            path,
            json={
                "push_subscription": {
                    "endpoint": "https://fcm.googleapis.com/fcm/send/a",
                    "keys": KEYS,
                }
            },
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["has_push_subscription"]
