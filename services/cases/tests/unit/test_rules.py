"""SLA clocks, prices, wording and the status API's proofs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cases.domain.prices import charge_for
from cases.domain.proof import (
    normalise_postcode,
    postcode_of,
    sign_status_token,
    status_token_valid,
)
from cases.domain.sla import SlaClock, due_at, end_of_day, resumed_due, sla_due
from cases.domain.wording import describe
from civic_runtime.council import DEMO_COUNCIL_FILE, WorkingDays, load_council

pytestmark = pytest.mark.unit
# The demo council's calendar (England and Wales), as cases loads it by default.
CALENDAR = load_council(DEMO_COUNCIL_FILE).working_days


def test_the_demo_councils_working_days_skip_weekends_and_bank_holidays() -> None:
    assert not CALENDAR.is_working_day(date(2026, 12, 25))  # Christmas
    assert not CALENDAR.is_working_day(date(2026, 12, 28))  # Boxing Day, observed
    assert not CALENDAR.is_working_day(date(2026, 11, 28))  # a Saturday
    assert CALENDAR.add(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Friday → Tuesday
    assert CALENDAR.add(date(2026, 12, 24), 2) == date(2026, 12, 30)
    assert CALENDAR.add(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Easter


def test_a_missed_bin_is_due_at_the_end_of_the_second_working_day_in_london() -> None:
    # Reported on Friday 27 November at 23:30 London (UTC in winter): due end of Tuesday.
    assert due_at(datetime(2026, 11, 27, 23, 30, tzinfo=UTC), 2, calendar=CALENDAR) == datetime(
        2026, 12, 2, 0, 0, tzinfo=UTC
    )
    # In summer London is UTC+1: 23:30 UTC on a Friday is already Saturday in London.
    assert due_at(datetime(2026, 7, 3, 23, 30, tzinfo=UTC), 2, calendar=CALENDAR) == datetime(
        2026, 7, 7, 23, 0, tzinfo=UTC
    )


def test_the_deadline_follows_the_councils_bank_holidays() -> None:
    # Thursday 2 April 2026: Good Friday everywhere, Easter Monday not a bank holiday in Scotland.
    opened = datetime(2026, 4, 2, 9, tzinfo=UTC)
    assert due_at(opened, 2, calendar=CALENDAR) == end_of_day(date(2026, 4, 8))
    assert due_at(opened, 2, calendar=WorkingDays("scotland")) == end_of_day(date(2026, 4, 7))


def test_only_missed_bins_and_foi_requests_have_an_sla() -> None:
    opened = datetime(2026, 11, 23, 9, tzinfo=UTC)
    missed = sla_due("missed_bin", opened, calendar=CALENDAR)
    foi = sla_due("foi_request", opened, calendar=CALENDAR)
    assert missed is not None and missed[0] == "missed_bin_return_2_working_days"
    assert foi is not None and foi[1] == datetime(2026, 12, 22, 0, 0, tzinfo=UTC)
    assert sla_due("report", opened, calendar=CALENDAR) is None


def test_an_override_makes_the_clock_seconds_after_opening_under_the_same_name() -> None:
    opened = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # a Friday night: days would be Tuesday
    clock = SlaClock(calendar=CALENDAR, overrides={"missed_bin": 12.0})
    assert clock.due("missed_bin", opened) == (
        "missed_bin_return_2_working_days",
        opened + timedelta(seconds=12),
    )
    # Only the case types named are shortened; one without an SLA still has none.
    foi = clock.due("foi_request", opened)
    assert foi is not None and foi[1] == due_at(opened, 20, calendar=CALENDAR)
    assert SlaClock(calendar=CALENDAR, overrides={"report": 5.0}).due("report", opened) is None


def test_a_pause_pushes_the_deadline_back_by_its_length() -> None:
    due = datetime(2026, 12, 22, tzinfo=UTC)
    paused = datetime(2026, 12, 1, tzinfo=UTC)
    assert resumed_due(due, paused, paused + timedelta(days=3)) == due + timedelta(days=3)


def test_prices_are_integer_pence() -> None:
    one = charge_for("bulky_waste", {"item_count": 1})
    five = charge_for("bulky_waste", {"items": ["sofa", "bed", "fridge", "table", "chair"]})
    garden = charge_for("new_bin", {"bin_type": "garden"})
    assert one is not None and one.amount == 3_500
    assert five is not None and five.amount == 5_500
    assert garden is not None and garden.amount == 4_000
    assert charge_for("missed_bin", {}) is None


def test_postcodes_are_found_and_normalised() -> None:
    assert postcode_of("1 High Street, Exampleton EX1 2AB") == "EX12AB"
    assert postcode_of("no postcode here") is None
    assert normalise_postcode(" ex1 2ab ") == "EX12AB"


def test_status_tokens_are_bound_to_the_reference_and_expire() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    token = sign_status_token(secret="s", reference="WST-1", expires_at=now + timedelta(days=1))
    assert status_token_valid(secret="s", reference="WST-1", token=token, now=now)
    assert not status_token_valid(secret="s", reference="WST-2", token=token, now=now)
    assert not status_token_valid(secret="other", reference="WST-1", token=token, now=now)
    assert not status_token_valid(
        secret="s", reference="WST-1", token=token, now=now + timedelta(days=2)
    )
    assert not status_token_valid(secret="s", reference="WST-1", token="garbage", now=now)


def test_statuses_read_as_plain_english() -> None:
    assert describe("return_visit_scheduled").startswith("A return visit")
    assert describe("some_new_status") == "Some new status."


def test_a_london_day_ends_at_midnight_london_time() -> None:
    assert end_of_day(date(2026, 7, 7)) == datetime(2026, 7, 7, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 12, 1)) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
