"""intake's business metrics, on the runtime's registry (served at /metrics).

Counted by the entrypoints once the transaction holding the submission or the back-office
events has committed: a request that fails (or is replayed from its idempotency key) counts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.submissions = Counter(
            "civic_intake_submissions_total",
            "Submissions durably accepted, by form and the resident's channel of choice "
            "(email, sms, push, none).",
            ["form_id", "channel"],
            registry=registry,
        )
        self.backoffice_events = Counter(
            "civic_intake_backoffice_events_total",
            "Back-office events durably accepted (duplicates excluded), by system and event type.",
            ["system", "event_type"],
            registry=registry,
        )

        self.group_commits = Histogram(
            "civic_intake_group_commit_submissions",
            "Submissions written per group-commit transaction.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=registry,
        )

    def group_committed(self, submissions: int) -> None:
        self.group_commits.observe(submissions)

    def submission_accepted(self, *, form_id: str, channel: str) -> None:
        self.submissions.labels(form_id, channel).inc()

    def backoffice_events_accepted(self, *, system: str, event_types: Iterable[str]) -> None:
        for event_type in event_types:
            self.backoffice_events.labels(system, event_type).inc()
