"""Working days by GOV.UK's bank-holiday divisions."""

from __future__ import annotations

from datetime import date

import pytest
from civic_runtime.council import DIVISIONS, WorkingDays

pytestmark = pytest.mark.unit


def test_england_and_wales() -> None:
    days = WorkingDays("england-and-wales")
    assert not days.is_working_day(date(2026, 12, 25))  # Christmas
    assert not days.is_working_day(date(2026, 12, 28))  # Boxing Day, observed
    assert not days.is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not days.is_working_day(date(2026, 11, 28))  # a Saturday
    assert days.add(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Friday → Tuesday
    assert days.add(date(2026, 12, 24), 2) == date(2026, 12, 30)


def test_scotland_and_northern_ireland_keep_their_own_days() -> None:
    scotland, northern_ireland = WorkingDays("scotland"), WorkingDays("northern-ireland")
    assert not scotland.is_working_day(date(2026, 1, 2))
    assert scotland.is_working_day(date(2026, 4, 6))  # no Easter Monday in Scotland
    assert not northern_ireland.is_working_day(date(2026, 3, 17))  # St Patrick's Day
    assert WorkingDays("england-and-wales").is_working_day(date(2026, 3, 17))


def test_every_division_is_known_and_no_other() -> None:
    assert DIVISIONS == ("england-and-wales", "scotland", "northern-ireland")
    with pytest.raises(ValueError, match="unknown bank-holiday division"):
        WorkingDays("wales")  # type: ignore[arg-type]
