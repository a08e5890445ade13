"""Working days: Monday to Friday, less the bank holidays of the council's division.

The divisions are GOV.UK's (`england-and-wales`, `scotland`, `northern-ireland`); the dates come
from the `holidays` package, so no network is needed to know them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal, get_args

import holidays

Division = Literal["england-and-wales", "scotland", "northern-ireland"]
DIVISIONS: tuple[str, ...] = get_args(Division)

# England and Wales share one list of bank holidays; taking both subdivisions keeps it right
# should the package ever give Wales a day of its own.
_SUBDIVISIONS: dict[str, tuple[str, ...]] = {
    "england-and-wales": ("ENG", "WLS"),
    "scotland": ("SCT",),
    "northern-ireland": ("NIR",),
}


class WorkingDays:
    """A division's working-day calendar; each year's holidays are worked out once, when first
    needed (or up front with `warm`, so a request never waits for it)."""

    def __init__(self, division: Division) -> None:
        if division not in _SUBDIVISIONS:
            raise ValueError(f"unknown bank-holiday division {division!r}")
        self.division = division
        self._years: dict[int, frozenset[date]] = {}

    def warm(self, years: Iterable[int]) -> None:
        for year in years:
            self.bank_holidays(year)

    def bank_holidays(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            found: set[date] = set()
            for subdivision in _SUBDIVISIONS[self.division]:
                found.update(holidays.country_holidays("GB", subdiv=subdivision, years=year))
            days = self._years[year] = frozenset(found)
        return days

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays(day.year)

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself does not count)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day
