"""Test data for payments' tests (which import it): what the cases service emits about a booking
(services/cases, lifecycle), built from the PaymentRequested that asked for its payment, and
payment rows as the database holds them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from civic_events.cases import CaseClosed, CaseStatusChanged
from civic_events.payments import PaymentRequested
from payments.adapters.tables import Payment


def _case(request: PaymentRequested) -> dict[str, Any]:
    return {
        "source": "cases",
        "subject": request.subject,
        # One case per reference, as in cases: the status change and the closing agree.
        "case_id": uuid.uuid5(uuid.NAMESPACE_URL, request.subject),
        "case_type": request.service_code,
        "resident_id": request.resident_id,
    }


def status_changed(
    request: PaymentRequested, old: str, new: str, **fields: Any
) -> CaseStatusChanged:
    values: dict[str, Any] = {
        "old_status": old,
        "new_status": new,
        "reason": "the resident cancelled the booking" if new == "cancelled" else f"follows {old}",
        "notify_resident": True,
        "changed_by": "officer-17",
    }
    return CaseStatusChanged(**_case(request), **(values | fields))


def closed(
    request: PaymentRequested,
    outcome: str = "cancelled",
    *,
    refund_requested: bool,
    notify_resident: bool = False,
) -> CaseClosed:
    return CaseClosed(
        **_case(request),
        outcome=outcome,
        refund_requested=refund_requested,
        notify_resident=notify_resident,
    )


def payment_row(status: str, code: str | None = None, **overrides: Any) -> Payment:
    """A payment row in `status` (with failure `code`), not stored anywhere."""
    now = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    values: dict[str, Any] = {
        "payment_request_id": uuid.uuid4(),
        "answers_request_id": uuid.uuid4(),
        "case_reference": "WST-2026-000001",
        "service_code": "bulky_waste",
        "amount": 3500,
        "description": "Bulky waste collection",
        "reference": "WST-2026-000001",
        "language": "en",
        "return_token": "t0k3n",
        "gateway_payment_id": "p1",
        "status": status,
        "finished": status in ("success", "failed", "cancelled", "error"),
        "failure_code": code,
        "created_at": now,
        "updated_at": now,
        "expires_at": now,
        "finished_at": now,
        "next_check_at": now,
    }
    return Payment(**(values | overrides))
