from datetime import UTC, datetime

import pytest
from notify.domain.preferences import (
    DEFAULT_QUIET_HOURS,
    Preferences,
    QuietHours,
    first_name,
    next_channel,
    not_before,
)

pytestmark = pytest.mark.unit


def test_the_channel_order_is_preferred_then_fallbacks_then_the_rest_reachable_only() -> None:
    prefs = Preferences(
        preferred_channel="push",
        email="a@example.com",
        phone="+447700900123",
        fallback_order=("sms",),
    )
    assert prefs.channel_order() == ["sms", "email"]  # no push subscription
    assert next_channel(prefs, ["sms"]) == "email"
    assert next_channel(prefs, ["sms", "email"]) is None


def test_opt_outs_and_erasure() -> None:
    prefs = Preferences(preferred_channel="email", email="a@example.com", disruption_alerts=False)
    assert prefs.wants("case_updates") and not prefs.wants("disruption_alerts")
    assert not Preferences(preferred_channel="email", erased=True).wants("case_updates")


@pytest.mark.parametrize(
    ("utc", "channel", "expected"),
    [
        # 28 November: London is on GMT.
        ("2026-11-28T20:59:00", "sms", "2026-11-28T20:59:00"),
        ("2026-11-28T21:00:00", "sms", "2026-11-29T08:00:00"),
        ("2026-11-29T07:59:00", "push", "2026-11-29T08:00:00"),
        ("2026-11-29T08:00:00", "sms", "2026-11-29T08:00:00"),
        ("2026-11-28T23:00:00", "email", "2026-11-28T23:00:00"),  # email is never held
        # 1 July: London is on BST, so 21:00 London is 20:00 UTC and 08:00 is 07:00 UTC.
        ("2026-07-01T20:30:00", "sms", "2026-07-02T07:00:00"),
        ("2026-07-01T19:59:00", "sms", "2026-07-01T19:59:00"),
    ],
)
def test_quiet_hours_hold_sms_and_push_until_eight_in_london(
    utc: str, channel: str, expected: str
) -> None:
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert not_before(channel, now) == datetime.fromisoformat(expected).replace(tzinfo=UTC)  # type: ignore[arg-type]


def test_urgent_messages_are_not_held() -> None:
    night = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert not_before("sms", night, urgent=True) == night


def test_quiet_hours_are_a_setting_and_the_empty_string_turns_them_off() -> None:
    assert QuietHours.parse("21:00-08:00") == DEFAULT_QUIET_HOURS
    assert QuietHours.parse("") is None
    assert QuietHours.parse("  ") is None
    night = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert not_before("sms", night, quiet_hours=None) == night


@pytest.mark.parametrize(
    ("window", "utc", "expected"),
    [
        # A window within one day: held until its end that day, not the next.
        ("12:30-14:00", "2026-11-28T12:29:00", "2026-11-28T12:29:00"),
        ("12:30-14:00", "2026-11-28T12:30:00", "2026-11-28T14:00:00"),
        ("12:30-14:00", "2026-11-28T14:00:00", "2026-11-28T14:00:00"),
        # Overnight, ending at 07:30 London (BST: 06:30 UTC).
        ("22:15-07:30", "2026-07-01T21:20:00", "2026-07-02T06:30:00"),
        ("22:15-07:30", "2026-07-02T06:00:00", "2026-07-02T06:30:00"),
        ("22:15-07:30", "2026-07-01T21:10:00", "2026-07-01T21:10:00"),
    ],
)
def test_other_quiet_hours(window: str, utc: str, expected: str) -> None:
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    held = not_before("push", now, quiet_hours=QuietHours.parse(window))
    assert held == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("text", ["21:00", "9pm-8am", "21:00-08:00-09:00", "08:00-08:00"])
def test_quiet_hours_that_make_no_sense_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text)


def test_first_name() -> None:
    assert first_name("Sam  Resident") == "Sam"
    assert first_name(None) == "there"
