"""Missed bins: reportable until the end of the 2nd working day after the collection, bank
holidays of England and Wales excluded, never when the bin was not presented."""

from __future__ import annotations

from datetime import date

import pytest
from intake.domain.eligibility import Collection, add_working_days, missed_bin_eligibility

pytestmark = pytest.mark.unit


def collection(day: date, status: str = "completed") -> Collection:
    return Collection(uprn="1", bin_type="refuse", scheduled_date=day, status=status)


def test_two_working_days_skip_the_weekend() -> None:
    thursday = date(2026, 11, 26)
    assert add_working_days(thursday, 2) == date(2026, 11, 30)  # Monday


def test_bank_holidays_are_not_working_days() -> None:
    # Thursday 24 December 2026: Christmas (Fri) and Boxing Day substitute (Mon 28th) skipped.
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
    # Easter: Good Friday 3 April and Easter Monday 6 April 2026.
    assert add_working_days(date(2026, 4, 2), 2) == date(2026, 4, 8)


def test_reportable_on_the_last_working_day_and_not_after() -> None:
    missed = collection(date(2026, 12, 24))
    assert missed_bin_eligibility(missed, today=date(2026, 12, 30)).eligible
    late = missed_bin_eligibility(missed, today=date(2026, 12, 31))
    assert not late.eligible and late.reason == "too_late"


def test_not_presented_bins_and_future_collections_are_refused() -> None:
    not_out = missed_bin_eligibility(
        collection(date(2026, 11, 26), "not_presented"), today=date(2026, 11, 26)
    )
    assert (not_out.eligible, not_out.reason) == (False, "not_presented")
    early = missed_bin_eligibility(collection(date(2026, 11, 27)), today=date(2026, 11, 26))
    assert (early.eligible, early.reason) == (False, "too_early")
    assert missed_bin_eligibility(None, today=date(2026, 11, 26)).reason == "no_collection"
