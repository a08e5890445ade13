"""Return visits asked of the waste contractor: written with the case, sent later, never lost.

Opening a missed-bin case writes a `cases_work_orders` row with the case (`return_visit`). A
sender on every instance claims due rows one at a time (`FOR UPDATE SKIP LOCKED`, so two instances never
send the same row at once), calls the contractor, and records the answer with the job reference
on the case's timeline. A contractor that is down is retried with exponential backoff, without
limit; a request it refuses is kept, marked rejected, for an officer to see.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from civic_runtime.uow import UnitOfWork
from sqlmodel import col, select

from cases.adapters import opening, repository
from cases.adapters.tables import Case, WorkOrder
from cases.adapters.waste_contractor import (
    ContractorRejected,
    ContractorUnavailable,
    ReturnVisitRequest,
    WasteContractor,
)

logger = logging.getLogger(__name__)
DEFAULT_BIN_TYPE = "refuse"
Attempt = Literal["none_due", "sent", "rejected", "unavailable"]


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    max_s: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.initial_s * 2 ** max(attempts - 1, 0), self.max_s)
        return timedelta(seconds=seconds * random.uniform(0.5, 1.0))  # noqa: S311 - jitter


def return_visit(
    *, reference: str, uprn: str | None, answers: Mapping[str, Any], reported_at: datetime
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """What asks the contractor to come back for a missed bin, written with the case (see
    `lifecycle.open_case`): the work order, or, without a UPRN, a timeline entry saying so."""
    if not uprn:
        entry = opening.timeline_row(
            occurred_at=reported_at,
            kind="work_order",
            summary="No UPRN given: the return visit must be arranged by hand",
            internal=True,
        )
        return None, [entry]
    bin_type = answers.get("bin_type")
    now = datetime.now(UTC)
    order = {
        "id": uuid.uuid4(),
        "council_reference": reference,
        "uprn": uprn,
        "bin_type": bin_type if isinstance(bin_type, str) and bin_type else DEFAULT_BIN_TYPE,
        "reported_at": reported_at,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return order, []


async def send_next(
    uow: UnitOfWork, *, contractor: WasteContractor, backoff: Backoff, now: datetime
) -> Attempt:
    """Send the most overdue work order, if any is due."""
    query = (
        select(WorkOrder)
        .where(WorkOrder.state == "pending", col(WorkOrder.next_attempt_at) <= now)
        .order_by(col(WorkOrder.next_attempt_at))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    order = (await uow.session.execute(query)).scalar_one_or_none()
    if order is None:
        return "none_due"
    order.attempts += 1
    request = ReturnVisitRequest(
        council_reference=order.council_reference,
        uprn=order.uprn,
        bin_type=order.bin_type,
        reported_at=order.reported_at,
    )
    try:
        job = await contractor.request_return_visit(request)
    except ContractorUnavailable as exc:
        order.last_error = str(exc)[:500]
        order.next_attempt_at = datetime.now(UTC) + backoff.delay(order.attempts)
        logger.warning(
            "waste contractor unavailable (attempt %d): %s",
            order.attempts,
            exc,
            extra={"case_reference": order.council_reference},
        )
        return "unavailable"
    except ContractorRejected as exc:
        order.state = "rejected"
        order.last_error = str(exc)[:500]
        await _record(uow, order, f"The waste contractor refused the return visit: {exc}")
        logger.error(
            "waste contractor refused a work order: %s",
            exc,
            extra={"case_reference": order.council_reference},
        )
        return "rejected"
    order.state = "sent"
    order.sent_at = datetime.now(UTC)
    order.job_reference = job.job_reference[:100]
    order.last_error = None
    await _record(
        uow,
        order,
        f"Return visit requested from the waste contractor (job {order.job_reference})",
        internal=False,
    )
    return "sent"


async def _record(
    uow: UnitOfWork, order: WorkOrder, summary: str, *, internal: bool = True
) -> None:
    case = await uow.session.get(Case, order.case_id)
    await repository.add_timeline(
        uow.session,
        case=case,
        occurred_at=datetime.now(UTC),
        kind="work_order",
        summary=summary,
        detail={
            "job_reference": order.job_reference,
            "state": order.state,
            "attempts": order.attempts,
        },
        actor="waste_contractor",
        internal=internal,
    )


async def send_due(
    unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
    *,
    contractor: WasteContractor,
    backoff: Backoff,
    limit: int = 50,
) -> int:
    """Send up to `limit` due work orders, each in its own short transaction.

    Stops at the first failure to reach the contractor: the others would only wait for it too.
    """
    sent = 0
    for _ in range(limit):
        async with unit_of_work() as uow:
            attempt = await send_next(
                uow, contractor=contractor, backoff=backoff, now=datetime.now(UTC)
            )
        if attempt in ("none_due", "unavailable"):
            break
        sent += attempt == "sent"
    return sent
