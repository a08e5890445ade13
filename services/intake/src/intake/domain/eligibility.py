"""Whether a missed bin can still be reported, as WasteWorks decides it.

Reportable from the scheduled collection day until the end of the 2nd working day after it
(weekends and the council's bank holidays are not working days: its calendar is given), and never
when the crew recorded the bin as not presented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from civic_runtime.council import WorkingDays


@dataclass(frozen=True)
class Collection:
    """What the contractor's system says about the latest scheduled collection of a bin."""

    uprn: str
    bin_type: str
    scheduled_date: date
    status: str  # scheduled | completed | missed | not_presented
    round_id: str | None = None
    job_reference: str | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str  # a code: eligible | not_presented | too_early | too_late | no_collection
    message: str
    report_by: date | None = None


def missed_bin_eligibility(
    collection: Collection | None, *, today: date, calendar: WorkingDays, working_days: int = 2
) -> Eligibility:
    if collection is None:
        return Eligibility(
            False, "no_collection", "We have no scheduled collection of this bin at this property."
        )
    deadline = calendar.add(collection.scheduled_date, working_days)
    if collection.status == "not_presented":
        return Eligibility(
            False,
            "not_presented",
            "The crew recorded that this bin was not put out on "
            f"{collection.scheduled_date:%A %-d %B %Y}, so we cannot return for it.",
        )
    if today < collection.scheduled_date:
        return Eligibility(
            False,
            "too_early",
            f"This bin is due to be collected on {collection.scheduled_date:%A %-d %B %Y}.",
            deadline,
        )
    if today > deadline:
        return Eligibility(
            False,
            "too_late",
            "Missed bins must be reported within "
            f"{working_days} working days of the collection day; the deadline was "
            f"{deadline:%A %-d %B %Y}.",
            deadline,
        )
    return Eligibility(True, "eligible", "You can report this missed bin.", deadline)
