"""Service levels in working days (the council's calendar, given), Europe/London days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from civic_runtime.council import WorkingDays

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ServiceLevel:
    name: str
    working_days: int


SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "missed_bin": ServiceLevel("missed_bin_return_2_working_days", 2),
    "foi_request": ServiceLevel("foi_response_20_working_days", 20),
}


def due_at(opened_at: datetime, working_days: int, *, calendar: WorkingDays) -> datetime:
    """The end (London midnight) of the `working_days`-th working day after the day it opened."""
    opened_day = opened_at.astimezone(LONDON).date()
    return end_of_day(calendar.add(opened_day, working_days))


def sla_due(
    case_type: str,
    opened_at: datetime,
    *,
    calendar: WorkingDays,
    overrides: Mapping[str, float] | None = None,
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
    return level.name, due_at(opened_at, level.working_days, calendar=calendar)


@dataclass(frozen=True)
class SlaClock:
    """What sets cases' deadlines: the council's working days, and the demos' overrides."""

    calendar: WorkingDays
    overrides: Mapping[str, float] = field(default_factory=dict)

    def due(self, case_type: str, opened_at: datetime) -> tuple[str, datetime] | None:
        return sla_due(case_type, opened_at, calendar=self.calendar, overrides=self.overrides)


def resumed_due(due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """The deadline after a pause: pushed back by the time the clock stood still."""
    return due + max(resumed_at - paused_at, timedelta(0))


PLANNING_DETERMINATION = "planning_determination"


def end_of_day(day: date) -> datetime:
    """The end (London midnight) of a London day, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
