from datetime import UTC, datetime

import pytest
from notify.domain import retry
from notify.domain.fallback import fall_back
from notify.domain.preferences import DEFAULT_QUIET_HOURS, Preferences

pytestmark = pytest.mark.unit


def test_the_backoff_doubles_and_an_unknown_outcome_is_looked_up_within_a_lease() -> None:
    assert [retry.backoff_s(n, base_s=30.0) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert retry.lookup_after_s(1, base_s=30.0, lease_s=60.0) == 30.0
    assert retry.lookup_after_s(4, base_s=30.0, lease_s=60.0) == 60.0
    assert not retry.gives_up(5, max_attempts=6) and retry.gives_up(6, max_attempts=6)


def test_failover_goes_round_the_channels_providers() -> None:
    chain = ["govuk-notify", "smtp"]
    assert retry.failover(chain, "govuk-notify") == "smtp"
    assert retry.failover(chain, "smtp") == "govuk-notify"
    assert retry.failover(chain, "push") is None


def test_a_fallback_takes_the_next_channel_and_waits_out_the_quiet_hours() -> None:
    prefs = Preferences(preferred_channel="email", email="a@example.com", phone="+447700900123")
    night = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    fallback = fall_back(
        prefs,
        tried_channels=[],
        channel="email",
        urgent=False,
        now=night,
        quiet_hours=DEFAULT_QUIET_HOURS,
    )
    assert fallback.tried_channels == ["email"] and fallback.channel == "sms"
    assert fallback.not_before == datetime(2026, 1, 16, 8, 0, tzinfo=UTC)
    assert (
        fall_back(
            prefs,
            tried_channels=["email"],
            channel="sms",
            urgent=False,
            now=night,
            quiet_hours=None,
        ).channel
        is None
    )
    erased = Preferences(preferred_channel="email", email="a@example.com", erased=True)
    assert fall_back(
        erased, tried_channels=[], channel="sms", urgent=False, now=night, quiet_hours=None
    ) == fall_back(
        None, tried_channels=[], channel="sms", urgent=False, now=night, quiet_hours=None
    )
