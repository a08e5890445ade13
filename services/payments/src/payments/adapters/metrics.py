"""The payments service's own Prometheus metrics, on the runtime's registry (served at /metrics)."""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Counter

PaymentOutcome = Literal["succeeded", "failed", "refunded"]


class PaymentsMetrics:
    """Made before the runtime (the use cases hold it), registered on its registry once it exists."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.webhooks = Counter(
            "civic_payments_webhooks_total",
            "Gateway webhook calls received, by outcome (applied, duplicate, rejected_signature, ...).",
            ["outcome"],
            registry=None,
        )
        self.reconciled = Counter(
            "civic_payments_reconciled_total",
            "Payments checked by reconciliation, by result (settled, unfinished, gateway_error).",
            ["result"],
            registry=None,
        )
        self.outcomes = Counter(
            "civic_payments_outcomes_total",
            "Payments that succeeded or failed, and refunds the gateway confirmed (after commit).",
            ["outcome"],
            registry=None,
        )
        self.pruned = Counter(
            "civic_payments_pruned_rows_total",
            "Rows removed by the retention job, by table.",
            ["table"],
            registry=None,
        )
        if registry is not None:
            self.register(registry)

    def register(self, registry: CollectorRegistry) -> None:
        for collector in (self.webhooks, self.reconciled, self.outcomes, self.pruned):
            registry.register(collector)
