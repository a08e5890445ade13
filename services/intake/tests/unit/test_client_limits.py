"""Whom a submission is counted against, and the hour it is counted in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from intake.domain.client_limits import address_client, api_client, hour_of

pytestmark = pytest.mark.unit


def test_an_ipv4_address_is_its_own_client() -> None:
    assert address_client("form", "203.0.113.7") == "form:203.0.113.7"
    assert address_client("form", "::ffff:203.0.113.7") == "form:203.0.113.7"


def test_an_ipv6_address_is_counted_by_its_64() -> None:
    assert address_client("open311", "2001:db8:1:2:aaaa::1") == "open311:2001:db8:1:2::/64"
    assert address_client("open311", "2001:db8:1:2:ffff::9") == "open311:2001:db8:1:2::/64"
    assert address_client("open311", "2001:db8:1:3::1") == "open311:2001:db8:1:3::/64"


def test_what_is_no_address_is_kept_within_the_key_column() -> None:
    assert address_client("form", "unknown") == "form:unknown"
    assert len(address_client("form", "x" * 500)) == 100


def test_an_api_client_is_counted_by_its_id() -> None:
    client_id = uuid.UUID("8f0b4c9e-3f57-4d43-9d3a-0b3c1f4f0a55")
    assert api_client("backoffice", client_id) == f"backoffice:{client_id}"


def test_a_refusal_waits_for_the_end_of_the_clock_hour() -> None:
    window = hour_of(datetime(2026, 12, 8, 14, 59, 30, 500_000, tzinfo=UTC))
    assert window.start == datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert window.seconds_left == 30
    assert hour_of(datetime(2026, 12, 8, 14, 0, tzinfo=UTC)).seconds_left == 3600
