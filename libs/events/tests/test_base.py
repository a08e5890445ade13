from datetime import UTC, datetime, timedelta, timezone

import pytest
from civic_events.base import COMMON_FIELDS, Event
from event_factories import case_status_changed
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_common_fields_are_the_base_model_fields() -> None:
    assert set(Event.model_fields) == COMMON_FIELDS


def test_events_are_immutable() -> None:
    event = case_status_changed()
    with pytest.raises(ValidationError):
        event.new_status = "closed"  # type: ignore[misc]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        case_status_changed(occurred_at=datetime(2026, 3, 2, 9, 15))


def test_occurred_at_is_stored_in_utc() -> None:
    london_summer = timezone(timedelta(hours=1))
    event = case_status_changed(occurred_at=datetime(2026, 6, 1, 10, 0, tzinfo=london_summer))
    assert event.occurred_at == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    event = case_status_changed(added_in_a_later_release="anything")
    assert not hasattr(event, "added_in_a_later_release")


def test_key_is_the_subject() -> None:
    event = case_status_changed(subject="WST-2026-000001")
    assert event.key == "WST-2026-000001"


def test_each_event_gets_its_own_id() -> None:
    assert case_status_changed().event_id != case_status_changed().event_id
