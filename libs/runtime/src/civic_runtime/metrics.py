"""Prometheus metrics of the runtime, on a registry per service (several services may share a test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RuntimeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.consumed = Counter(
            "civic_consumer_events_total",
            "Events taken from Kafka, by outcome (applied, duplicate, ignored, dead_lettered).",
            ["topic", "event_type", "outcome"],
            registry=self.registry,
        )
        self.retries = Counter(
            "civic_consumer_retries_total",
            "Handler attempts that failed and were retried, by kind (error, outage).",
            ["topic", "kind"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "civic_consumer_handler_seconds",
            "Time to apply one event, including its database transaction.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "civic_outbox_published_total",
            "Events the outbox relay has published.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_delay = Histogram(
            "civic_outbox_publish_delay_seconds",
            "From the outbox row's transaction to Kafka's acknowledgement.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.outbox_dead_lettered = Counter(
            "civic_outbox_dead_lettered_total",
            "Outbox rows Kafka refused for good (too large, invalid topic), moved to the .dlq.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "civic_outbox_pending",
            "Unpublished events seen by the relay at its last poll.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "civic_outbox_oldest_age_seconds",
            "Age of the oldest unpublished event at the relay's last poll (0 when none waits).",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "civic_consumer_lag",
            "Records behind the end of the partitions assigned to this instance, per topic.",
            ["topic"],
            registry=self.registry,
        )
        self.outbox_leader = Gauge(
            "civic_outbox_relay_leader",
            "1 when this instance holds the relay's lock and publishes.",
            registry=self.registry,
        )
