"""Queries on the payments database, each on the caller's session (its unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from civic_runtime.tables import InboxEntry
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from payments.adapters.tables import (
    LIVE_PAYMENT_WHERE,
    ClosedCase,
    Payment,
    Refund,
    WebhookDelivery,
)

_webhooks = WebhookDelivery.__table__
_inbox = InboxEntry.__table__
_closed_cases = ClosedCase.__table__


async def lock_purpose(session: AsyncSession, *, case_reference: str, service_code: str) -> None:
    """Serialise requests for one case and purpose until the transaction ends (any instance)."""
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"payments:{case_reference}:{service_code}"},
    )


async def lock_case(session: AsyncSession, *, case_reference: str) -> None:
    """Serialise a retry with the case's closure until the transaction ends (any instance).

    Taken before `lock_purpose` by whoever takes both, so the two never wait on each other in
    opposite orders.
    """
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"payments-case:{case_reference}"},
    )


async def lock_refund_key(session: AsyncSession, *, trigger_key: str) -> None:
    """Serialise the requests of one idempotency key until the transaction ends (any instance).

    Taken before the payment's row lock, so a retry waits for the first request's answer.
    """
    await session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"payments-refund:{trigger_key}"},
    )


async def payment_by_request(session: AsyncSession, request_id: uuid.UUID) -> Payment | None:
    result = await session.execute(
        select(Payment)
        .where(
            sa.or_(
                Payment.payment_request_id == request_id, Payment.answers_request_id == request_id
            )
        )
        # A retry answers the request its failed payment answered: the latest one speaks for it.
        .order_by(col(Payment.seq).desc())
        .limit(1)
        .with_for_update()
    )
    return result.scalars().first()


async def live_payment(
    session: AsyncSession, *, case_reference: str, service_code: str
) -> Payment | None:
    result = await session.execute(
        select(Payment)
        .where(Payment.case_reference == case_reference, Payment.service_code == service_code)
        .where(sa.text(LIVE_PAYMENT_WHERE))
        .with_for_update()
    )
    return result.scalars().first()


async def payments_for_purpose(
    session: AsyncSession, *, case_reference: str, service_code: str
) -> Sequence[Payment]:
    """Every payment made for one case and purpose, the latest first."""
    result = await session.execute(
        select(Payment)
        .where(Payment.case_reference == case_reference, Payment.service_code == service_code)
        .order_by(col(Payment.seq).desc())
    )
    return result.scalars().all()


async def payment_by_token(session: AsyncSession, return_token: str) -> Payment | None:
    """Read without a lock (a retry locks its case and purpose before any payment row)."""
    result = await session.execute(select(Payment).where(Payment.return_token == return_token))
    return result.scalars().first()


async def case_closed(session: AsyncSession, case_reference: str) -> bool:
    result = await session.execute(
        select(ClosedCase.case_reference).where(ClosedCase.case_reference == case_reference)
    )
    return result.first() is not None


async def record_case_closed(
    session: AsyncSession, *, case_reference: str, outcome: str, closed_at: datetime
) -> None:
    await session.execute(
        pg_insert(_closed_cases)
        .values(case_reference=case_reference, outcome=outcome, closed_at=closed_at)
        .on_conflict_do_nothing(index_elements=["case_reference"])
    )


async def payment_for_update(
    session: AsyncSession,
    *,
    id: uuid.UUID | None = None,
    gateway_payment_id: str | None = None,
    return_token: str | None = None,
    skip_locked: bool = False,
) -> Payment | None:
    query = select(Payment)
    if id is not None:
        query = query.where(Payment.id == id)
    if gateway_payment_id is not None:
        query = query.where(Payment.gateway_payment_id == gateway_payment_id)
    if return_token is not None:
        query = query.where(Payment.return_token == return_token)
    result = await session.execute(query.with_for_update(skip_locked=skip_locked))
    return result.scalars().first()


async def successful_payments_of_case(
    session: AsyncSession, case_reference: str
) -> Sequence[Payment]:
    result = await session.execute(
        select(Payment)
        .where(Payment.case_reference == case_reference, Payment.status == "success")
        .order_by(col(Payment.created_at))
        .with_for_update()
    )
    return result.scalars().all()


async def unfinished_payments_of_case(
    session: AsyncSession, case_reference: str
) -> Sequence[Payment]:
    result = await session.execute(
        select(Payment)
        .where(Payment.case_reference == case_reference, col(Payment.finished).is_(False))
        .with_for_update()
    )
    return result.scalars().all()


async def refunds_of(session: AsyncSession, payment_id: uuid.UUID) -> Sequence[Refund]:
    result = await session.execute(
        select(Refund).where(Refund.payment_id == payment_id).order_by(col(Refund.created_at))
    )
    return result.scalars().all()


async def refund_by_trigger(session: AsyncSession, trigger_key: str) -> Refund | None:
    result = await session.execute(select(Refund).where(Refund.trigger_key == trigger_key))
    return result.scalars().first()


async def due_payment_ids(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    result = await session.execute(
        select(Payment.id)
        .where(col(Payment.finished).is_(False), col(Payment.next_check_at) <= now)
        .order_by(col(Payment.next_check_at))
        .limit(limit)
    )
    return list(result.scalars().all())


async def due_refund_payment_ids(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[uuid.UUID]:
    result = await session.execute(
        select(Refund.payment_id)
        .where(Refund.status == "submitted", col(Refund.next_check_at) <= now)
        .distinct()
        .limit(limit)
    )
    return list(result.scalars().all())


async def delete_webhook_log_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` webhook log rows received before `before`; rows another instance is
    deleting are skipped, not waited for."""
    doomed = (
        select(WebhookDelivery.id)
        .where(col(WebhookDelivery.received_at) < before)
        .order_by(col(WebhookDelivery.received_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(sa.delete(_webhooks).where(_webhooks.c.id.in_(doomed)))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_inbox_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` processed-event records (the runtime's inbox) older than `before`."""
    doomed = (
        sa.select(_inbox.c.handler, _inbox.c.event_id)
        .where(_inbox.c.processed_at < before)
        .order_by(_inbox.c.processed_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        sa.delete(_inbox).where(sa.tuple_(_inbox.c.handler, _inbox.c.event_id).in_(doomed))
    )
    return int(getattr(result, "rowcount", 0) or 0)
