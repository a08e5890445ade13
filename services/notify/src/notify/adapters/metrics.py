"""notify's own Prometheus metrics, on the runtime's registry (served at /metrics).

Counted only once the transaction that recorded the outcome has committed: a rolled-back attempt
(then retried) must not count twice. The metrics travel in the session's `info` (set on the
session factory by bootstrap), so the state changes shared by the dispatcher, the consumers and
the receipts route can count without being handed the metrics object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

Outcome = Literal["sent", "delivered", "failed", "fallback", "suppressed"]

METRICS_KEY = "notify_metrics"
_PENDING_KEY = "notify_metrics_pending"

TIME_TO_TELL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.time_to_tell = Histogram(
            "civic_notify_time_to_tell_seconds",
            "From the event behind a message (its triggered_at, else its occurred_at) to the "
            "provider accepting the message.",
            ["channel"],
            buckets=TIME_TO_TELL_BUCKETS,
            registry=registry,
        )
        self.notifications = Counter(
            "civic_notify_notifications_total",
            "Notification outcomes by channel: sent (a provider took it), delivered (receipt), "
            "failed (no channel left, or gave up), fallback (moved to the next channel), "
            "suppressed (opted out or unreachable; channel none).",
            ["channel", "outcome"],
            registry=registry,
        )
        self.recipient_limited = Counter(
            "civic_notify_recipient_limited_total",
            "Emails and SMS not sent because their recipient had been sent the limit for the "
            "hour (NOTIFY_MAX_MESSAGES_PER_RECIPIENT_PER_HOUR): a flood, or SMS pumping.",
            ["channel"],
            registry=registry,
        )


@dataclass(frozen=True)
class _Count:
    channel: str
    outcome: Outcome
    time_to_tell_s: float | None
    recipient_limited: bool = False


def count_after_commit(
    session: AsyncSession,
    *,
    channel: str | None,
    outcome: Outcome,
    triggered_at: datetime | None = None,
    accepted_at: datetime | None = None,
    recipient_limited: bool = False,
) -> None:
    """Count an outcome (and, for `sent`, the time to tell; for a message over its recipient's
    limit, that too) when this session's transaction commits; forget it if it rolls back."""
    metrics = session.info.get(METRICS_KEY)
    if metrics is None:
        return
    seconds = None
    if outcome == "sent" and triggered_at is not None and accepted_at is not None:
        seconds = max(0.0, (accepted_at - triggered_at).total_seconds())
    pending: list[_Count] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        _listen(session, metrics, pending)
    pending.append(_Count(channel or "none", outcome, seconds, recipient_limited))


def _listen(session: AsyncSession, metrics: NotifyMetrics, pending: list[_Count]) -> None:
    def committed(_session: Any) -> None:
        for count in pending:
            metrics.notifications.labels(count.channel, count.outcome).inc()
            if count.time_to_tell_s is not None:
                metrics.time_to_tell.labels(count.channel).observe(count.time_to_tell_s)
            if count.recipient_limited:
                metrics.recipient_limited.labels(count.channel).inc()
        pending.clear()

    def rolled_back(_session: Any) -> None:
        pending.clear()

    sa_event.listen(session.sync_session, "after_commit", committed)
    sa_event.listen(session.sync_session, "after_rollback", rolled_back)
