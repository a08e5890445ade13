"""The payments service's own Prometheus metrics, on the runtime's registry (served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class PaymentsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.webhooks = Counter(
            "civic_payments_webhooks_total",
            "Gateway webhook calls received, by outcome (applied, duplicate, rejected_signature, ...).",
            ["outcome"],
            registry=registry,
        )
        self.reconciled = Counter(
            "civic_payments_reconciled_total",
            "Payments checked by reconciliation, by result (settled, unfinished, gateway_error).",
            ["result"],
            registry=registry,
        )
