"""The HTTP API against a real database: templates, preferences, callbacks' bearer token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from notify.domain.purposes import MessageRequest
from notify.service_layer.notifications import request_notification
from notify.service_layer.preferences import record_resident

pytestmark = pytest.mark.integration


async def test_templates_are_versioned_refused_when_unsendable_and_previewed(
    notify_kit: Any, http: Any
) -> None:
    async with (
        notify_kit.service(consumer_enabled=False) as notify,
        http(notify.base_url, notify_kit.as_editor) as api,
    ):
        shipped = (await api.get("/templates")).json()
        assert {"case_opened", "payment_link", "service_disruption"} <= {t["name"] for t in shipped}

        saved = await api.put(
            "/templates/case_opened.missed_bin/sms",
            json={"body": "Got it: ((reference)). Track it: ((status_page_url))"},
        )
        assert saved.status_code == 201, saved.text
        assert saved.json()["version"] == 2
        assert saved.json()["sms"]["encoding"] == "GSM-7"

        refused = await api.put(
            "/templates/case_opened.missed_bin/sms", json={"body": "Pay ((amount)) now"}
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert "amount" in refused.json()["errors"][0]
        too_long = await api.put("/templates/case_opened/sms", json={"body": "ŵ" * 919})
        assert too_long.status_code == 422
        assert "918" in too_long.text

        preview = await api.post("/templates/case_opened.missed_bin/sms/preview", json={})
        assert preview.status_code == 200
        body = preview.json()
        assert body["version"] == 2
        assert body["body"].startswith("Got it: WST-2026-004211. Track it: http")
        # GSM-7: one fragment up to 160 characters, then 153 a fragment.
        characters = len(body["body"])
        assert body["sms"] == {
            "encoding": "GSM-7",
            "characters": characters,
            "fragments": 1 if characters <= 160 else -(-characters // 153),
        }
        older = await api.post(
            "/templates/case_opened.missed_bin/sms/preview",
            json={"version": 1, "personalisation": {"reference": "WST-2026-999999"}},
        )
        assert "WST-2026-999999" in older.json()["body"]
        assert older.json()["version"] == 1


async def test_residents_change_their_preferences_and_erasure_forgets_them(
    notify_kit: Any, http: Any
) -> None:
    resident = notify_kit.resident(channel="email")
    async with (
        notify_kit.service(consumer_enabled=False) as notify,
        http(notify.base_url, notify_kit.as_officer) as api,
    ):
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        await notify.holds_case(resident.resident_id)  # a case of the officer's team
        path = f"/residents/{resident.resident_id}/preferences"
        before = (await api.get(path)).json()
        assert before["channel_order"] == ["email", "sms"]
        assert "resident@example.com" not in str(before)  # contact details are not echoed
        changed = await api.patch(
            path,
            json={
                "preferred_channel": "sms",
                "fallback_order": ["email"],
                "disruption_alerts": False,
            },
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["channel_order"], changed.json()["disruption_alerts"]) == (
            ["sms", "email"],
            False,
        )
        bad_push = await api.patch(path, json={"push_subscription": {"endpoint": "http://x"}})
        assert bad_push.status_code == 422
        assert (await api.get(f"/residents/{uuid.uuid4()}/preferences")).status_code == 404


async def test_notify_callbacks_need_the_bearer_token(notify_kit: Any, http: Any) -> None:
    async with notify_kit.service(consumer_enabled=False) as notify, http(notify.base_url) as api:
        receipt = {"id": str(uuid.uuid4()), "reference": str(uuid.uuid4()), "status": "delivered"}
        for header in ({}, {"Authorization": "Bearer wrong"}):
            answer = await api.post("/callbacks/govuk-notify", json=receipt, headers=header)
            assert answer.status_code == 401
        answer = await api.post(
            "/callbacks/govuk-notify",
            json=receipt,
            headers={"Authorization": f"Bearer {notify.settings.govuk_notify_callback_token}"},
        )
        assert answer.status_code == 200
        assert answer.json() == {"status": "unchanged"}


async def test_an_sms_asked_for_at_night_waits_for_the_morning_and_email_does_not(
    notify_kit: Any,
) -> None:
    night = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 22:30 in London (GMT)
    by_sms = notify_kit.resident(channel="sms")
    by_email = notify_kit.resident(channel="email")
    # Quiet hours other than the default ones: the setting, not a constant, decides.
    async with notify_kit.service(
        consumer_enabled=False, dispatcher_enabled=False, quiet_hours="22:15-07:30"
    ) as notify:
        async with notify.app.state.runtime.unit_of_work() as uow:
            for resident in (by_sms, by_email):
                await record_resident(session=uow.session, event=resident)
                await request_notification(
                    session=uow.session,
                    now=night,
                    request=MessageRequest(
                        caused_by=uuid.uuid4(),
                        resident_id=resident.resident_id,
                        purpose="case_opened",
                        subject="WST-2026-000001",
                        template_name="case_opened",
                        category="case_updates",
                        personalisation={"reference": "WST-2026-000001"},
                    ),
                )
        rows = {row["channel"]: row for row in await notify.notifications()}
    assert rows["sms"]["not_before"] == datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
    assert rows["email"]["not_before"] == night


async def test_a_case_event_that_overtakes_the_residents_record_waits_for_it(
    notify_kit: Any,
) -> None:
    resident = notify_kit.resident(channel="sms")
    async with notify_kit.service(consumer_enabled=False, dispatcher_enabled=False) as notify:
        async with notify.app.state.runtime.unit_of_work() as uow:
            await request_notification(
                session=uow.session,
                request=MessageRequest(
                    caused_by=uuid.uuid4(),
                    resident_id=resident.resident_id,
                    purpose="case_opened",
                    subject="WST-2026-000002",
                    template_name="case_opened",
                    category="case_updates",
                    personalisation={"reference": "WST-2026-000002"},
                ),
            )
        [waiting] = await notify.notifications()
        assert (waiting["status"], waiting["channel"]) == ("awaiting_resident", None)
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        [routed] = await notify.notifications()
    assert (routed["status"], routed["channel"]) == ("pending", "sms")
