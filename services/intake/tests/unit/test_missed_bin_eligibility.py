"""Missed bins: reportable until the end of the 2nd working day after the collection, the
council's bank holidays excluded, never when the bin was not presented."""

from __future__ import annotations

from datetime import date

import pytest
from civic_runtime.council import WorkingDays
from intake.domain.eligibility import Collection, missed_bin_eligibility
from intake_factories import DEMO_COUNCIL

pytestmark = pytest.mark.unit
CALENDAR = DEMO_COUNCIL.working_days


def collection(day: date, status: str = "completed") -> Collection:
    return Collection(uprn="1", bin_type="refuse", scheduled_date=day, status=status)


def test_the_demo_council_keeps_england_and_wales_bank_holidays() -> None:
    assert DEMO_COUNCIL.profile.bank_holidays == "england-and-wales"
    thursday = date(2026, 11, 26)
    assert CALENDAR.add(thursday, 2) == date(2026, 11, 30)  # Monday
    # Thursday 24 December 2026: Christmas (Fri) and Boxing Day substitute (Mon 28th) skipped.
    assert CALENDAR.add(date(2026, 12, 24), 2) == date(2026, 12, 30)
    # Easter: Good Friday 3 April and Easter Monday 6 April 2026.
    assert CALENDAR.add(date(2026, 4, 2), 2) == date(2026, 4, 8)


def test_reportable_on_the_last_working_day_and_not_after() -> None:
    missed = collection(date(2026, 12, 24))
    assert missed_bin_eligibility(missed, today=date(2026, 12, 30), calendar=CALENDAR).eligible
    late = missed_bin_eligibility(missed, today=date(2026, 12, 31), calendar=CALENDAR)
    assert not late.eligible and late.reason == "too_late"


def test_the_councils_own_bank_holidays_decide() -> None:
    """Easter Monday is a working day in Scotland: a Scottish council's deadline is earlier."""
    before_easter = collection(date(2026, 4, 2))
    scotland = WorkingDays("scotland")
    on_wednesday = date(2026, 4, 8)
    assert missed_bin_eligibility(before_easter, today=on_wednesday, calendar=CALENDAR).eligible
    refused = missed_bin_eligibility(before_easter, today=on_wednesday, calendar=scotland)
    assert (refused.eligible, refused.reason) == (False, "too_late")


def test_not_presented_bins_and_future_collections_are_refused() -> None:
    not_out = missed_bin_eligibility(
        collection(date(2026, 11, 26), "not_presented"), today=date(2026, 11, 26), calendar=CALENDAR
    )
    assert (not_out.eligible, not_out.reason) == (False, "not_presented")
    early = missed_bin_eligibility(
        collection(date(2026, 11, 27)), today=date(2026, 11, 26), calendar=CALENDAR
    )
    assert (early.eligible, early.reason) == (False, "too_early")
    assert (
        missed_bin_eligibility(None, today=date(2026, 11, 26), calendar=CALENDAR).reason
        == "no_collection"
    )
