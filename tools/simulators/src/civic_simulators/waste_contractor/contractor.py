"""The contractor at work: missed-collection work orders, the crews' return visits, disruptions.

A work order is booked for a return visit after `return_visit_after_s` and the bin collected after
a further `collected_after_s`; each step is reported to intake's back-office webhook as the
contractor's system would (ReturnVisitScheduled, then CollectionCompleted, or BinNotPresented for
UPRNs ending in `not_presented_suffix`; UPRNs ending in `no_show_suffix` are never collected).
Reports name the council's case reference as their subject and the property, never the resident.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from civic_simulators.background import BackgroundTasks
from civic_simulators.intake_reports import IntakeReporter, Report
from civic_simulators.waste_contractor.settings import WasteSimulatorSettings

LONDON = ZoneInfo("Europe/London")


class Rounds(Protocol):
    def round_for(self, uprn: str) -> tuple[str, int] | None: ...
    def bin_types(self, round_id: str) -> tuple[str, ...] | None: ...


class UnknownProperty(Exception):
    pass


class UnknownRound(Exception):
    pass


def london_today() -> date:
    return datetime.now(LONDON).date()


def last_collection_day(day: date, weekday: int) -> date:
    """The round's collection day on or before `day`."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def add_working_days(day: date, days: int) -> date:
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


@dataclass
class WorkOrder:
    job_reference: str
    council_reference: str
    uprn: str
    bin_type: str
    round_id: str
    reported_at: datetime
    missed_collection_date: date
    status: str = "open"  # open | return_visit_scheduled | completed | not_presented
    return_visit_date: date | None = None
    history: list[dict[str, str]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "job_reference": self.job_reference,
            "council_reference": self.council_reference,
            "status": self.status,
            "uprn": self.uprn,
            "bin_type": self.bin_type,
            "round_id": self.round_id,
            "reported_at": self.reported_at.isoformat(),
            "missed_collection_date": self.missed_collection_date.isoformat(),
            "return_visit_date": (
                self.return_visit_date.isoformat() if self.return_visit_date else None
            ),
            "history": self.history,
        }


def _event(kind: str, subject: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat(),
        "subject": subject,
        **fields,
    }


class Contractor:
    def __init__(
        self, *, settings: WasteSimulatorSettings, rounds: Rounds, reporter: IntakeReporter
    ) -> None:
        self.settings = settings
        self.rounds = rounds
        self.reporter = reporter
        self.work_orders: dict[str, WorkOrder] = {}
        self._disruptions = 0
        self._background = BackgroundTasks()

    def open(
        self, *, council_reference: str, uprn: str, bin_type: str, reported_at: datetime
    ) -> tuple[WorkOrder, bool]:
        """The work order for a council reference, and whether it was created by this call."""
        existing = self.work_orders.get(council_reference)
        if existing is not None:
            return existing, False
        found = self.rounds.round_for(uprn)
        if found is None:
            raise UnknownProperty(uprn)
        round_id, weekday = found
        reported_on = reported_at.astimezone(LONDON).date()
        order = WorkOrder(
            job_reference=f"MC-{len(self.work_orders) + 1:06d}",
            council_reference=council_reference,
            uprn=uprn,
            bin_type=bin_type,
            round_id=round_id,
            reported_at=reported_at.astimezone(UTC),
            missed_collection_date=last_collection_day(reported_on, weekday),
        )
        self.work_orders[council_reference] = order
        self._background.spawn(self._play(order))
        return order, True

    async def _play(self, order: WorkOrder) -> None:
        await asyncio.sleep(self.settings.return_visit_after_s)
        visit = add_working_days(london_today(), self.settings.return_visit_working_days)
        order.status, order.return_visit_date = "return_visit_scheduled", visit
        self._report(
            order,
            "ReturnVisitScheduled",
            missed_collection_date=order.missed_collection_date.isoformat(),
            scheduled_for=visit.isoformat(),
        )
        if order.uprn.endswith(self.settings.no_show_suffix):
            return  # the crew never comes: the council's SLA clock runs out
        await asyncio.sleep(self.settings.collected_after_s)
        now = datetime.now(UTC).isoformat()
        if order.uprn.endswith(self.settings.not_presented_suffix):
            order.status = "not_presented"
            self._report(
                order, "BinNotPresented", collection_date=visit.isoformat(), recorded_at=now
            )
        else:
            order.status = "completed"
            self._report(
                order,
                "CollectionCompleted",
                collection_date=visit.isoformat(),
                completed_at=now,
                return_visit=True,
            )

    def _report(self, order: WorkOrder, kind: str, **fields: Any) -> None:
        event = _event(
            kind,
            order.council_reference,
            job_reference=order.job_reference,
            uprn=order.uprn,
            round_id=order.round_id,
            bin_type=order.bin_type,
            **fields,
        )
        order.history.append({"type": kind, "event_id": event["event_id"]})
        self.reporter.send(event)

    def disruption(
        self,
        *,
        round_id: str,
        cause: str,
        status: str,
        affected_date: date | None,
        bin_types: list[str] | None,
        expected_recovery_date: date | None,
        public_message: str | None,
        disruption_id: str | None,
    ) -> Report:
        collected = self.rounds.bin_types(round_id)
        if collected is None:
            raise UnknownRound(round_id)
        if disruption_id is None:
            self._disruptions += 1
            disruption_id = f"DIS-{self._disruptions:05d}"
        affected = affected_date or london_today()
        message = public_message or (
            f"Collections on round {round_id} are disrupted on {affected:%A %d %B} "
            f"({cause.replace('_', ' ')}). Please leave your bins out; we will collect them "
            "as soon as we can."
        )
        event = _event(
            "ServiceDisruption",
            round_id,
            disruption_id=disruption_id,
            round_id=round_id,
            status=status,
            cause=cause,
            affected_date=affected.isoformat(),
            bin_types=list(bin_types or collected),
            public_message=message,
        )
        if expected_recovery_date is not None:
            event["expected_recovery_date"] = expected_recovery_date.isoformat()
        return self.reporter.send(event)

    async def settle(self) -> None:
        """Wait for the crews and the reports under way (for tests)."""
        await self._background.settle()
        await self.reporter.settle()

    async def close(self) -> None:
        await self._background.cancel()
        await self.reporter.close()
