"""A resident's change through notify's API is not undone by an older `residents.v1` event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from civic_events.contact import Coordinates
from civic_events.residents import ContactPreferencesChanged
from notify.service_layer.preferences import record_preferences, record_resident

pytestmark = pytest.mark.integration


def choices(resident_id: Any, *, at: datetime, channel: str, radius: int | None) -> Any:
    return ContactPreferencesChanged(
        source="cases",
        subject=str(resident_id),
        occurred_at=at,
        resident_id=resident_id,
        preferred_channel=channel,  # type: ignore[arg-type]
        case_updates=True,
        disruption_alerts=True,
        planning_alerts=True,
        planning_alert_radius_metres=radius,
    )


async def test_older_events_keep_the_residents_own_choices_newer_ones_win(
    notify_kit: Any, http: Any
) -> None:
    resident = notify_kit.resident(channel="email")
    async with (
        notify_kit.service(consumer_enabled=False) as notify,
        http(notify.base_url, notify_kit.as_officer) as api,
    ):
        await notify.holds_case(resident.resident_id)  # a case of the officer's team

        async def apply(*events: Any) -> dict[str, Any]:
            async with notify.app.state.runtime.unit_of_work() as uow:
                for event in events:
                    if isinstance(event, ContactPreferencesChanged):
                        await record_preferences(session=uow.session, event=event)
                    else:
                        await record_resident(session=uow.session, event=event)
            answer: dict[str, Any] = (await api.get(path)).json()
            return answer

        path = f"/residents/{resident.resident_id}/preferences"
        await apply(resident)
        changed = await api.patch(
            path, json={"preferred_channel": "sms", "planning_alert_radius_metres": 1000}
        )
        assert changed.status_code == 200, changed.text
        too_small = await api.patch(path, json={"planning_alert_radius_metres": 10})
        assert too_small.status_code == 422
        assert too_small.headers["content-type"].startswith("application/problem+json")

        # Sent by cases before the resident's change (e.g. still in flight): contact details
        # are taken, the choices made since are kept.
        earlier = datetime.now(UTC) - timedelta(minutes=5)
        moved_home = resident.model_copy(
            update={
                "occurred_at": earlier,
                "home_coordinates": Coordinates(latitude=51.24, longitude=-0.57),
            }
        )
        stale = choices(resident.resident_id, at=earlier, channel="email", radius=None)
        after_stale = await apply(moved_home, stale)
        assert after_stale["preferred_channel"] == "sms"
        assert after_stale["planning_alert_radius_metres"] == 1000
        # The choices are kept as a whole, as the resident last saw them.
        assert after_stale["planning_alerts"] is False
        assert after_stale["has_home_location"] is True

        # A later choice made with cases (an officer, at the resident's request) wins.
        later = choices(
            resident.resident_id,
            at=datetime.now(UTC) + timedelta(seconds=1),
            channel="email",
            radius=None,
        )
        after_later = await apply(later)
        assert after_later["preferred_channel"] == "email"
        assert after_later["planning_alerts"] is True
        assert after_later["planning_alert_radius_metres"] == 500  # the default again
