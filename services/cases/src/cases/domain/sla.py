"""Service levels in working days: England-and-Wales bank holidays, Europe/London days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ServiceLevel:
    name: str
    working_days: int


SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "missed_bin": ServiceLevel("missed_bin_return_2_working_days", 2),
    "foi_request": ServiceLevel("foi_response_20_working_days", 20),
}


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England's list is the one England and Wales share for bank holidays.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def load_calendar(today: date) -> None:
    """Load this year's and next year's bank holidays now: `holidays` imports and builds its
    country on first use (about a second), which would otherwise stall the first case opened."""
    for year in (today.year, today.year + 1):
        _bank_holidays(year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def due_at(opened_at: datetime, working_days: int) -> datetime:
    """The end (London midnight) of the `working_days`-th working day after the day it opened."""
    opened_day = opened_at.astimezone(LONDON).date()
    last_day = add_working_days(opened_day, working_days)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=LONDON)
    return end.astimezone(UTC)


def sla_due(
    case_type: str, opened_at: datetime, *, overrides: Mapping[str, float] | None = None
) -> tuple[str, datetime] | None:
    """The case type's service level and its deadline, if it has one.

    `overrides` (case type → seconds, for demos and tests only) shortens a clock to that many
    seconds after opening; the service level keeps its name, so what watches breaches is the same.
    """
    level = SERVICE_LEVELS.get(case_type)
    if level is None:
        return None
    if overrides and case_type in overrides:
        return level.name, opened_at + timedelta(seconds=overrides[case_type])
    return level.name, due_at(opened_at, level.working_days)


def resumed_due(due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The deadline after a pause: pushed back by the time the clock stood still."""
    return due + max(resumed_at - paused_at, timedelta(0))


PLANNING_DETERMINATION = "planning_determination"


def end_of_day(day: date) -> datetime:
    """The end (London midnight) of a London day, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
