"""The cases service's business metrics, counted from the events a unit of work published.

They are counted only once the unit of work's transaction has committed: an attempt that rolls
back (and is retried) counts nothing, so each case opened or moved is counted once.
"""

from __future__ import annotations

from civic_events.base import Event
from civic_events.cases import CaseOpened, CaseSlaBreached, CaseStatusChanged
from civic_runtime.uow import UnitOfWork
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import event as orm_event

# The units of work of a session waiting for its commit to be counted (in `Session.info`).
_WAITING = "cases.metrics.waiting"


class CasesMetrics:
    def __init__(self) -> None:
        # Created unregistered: the runtime's registry exists only once the app is built.
        self.opened = Counter(
            "civic_cases_opened_total",
            "Cases opened, by case type.",
            ["case_type"],
            registry=None,
        )
        self.status_changes = Counter(
            "civic_cases_status_changes_total",
            "Status changes applied, by case type and the status entered.",
            ["case_type", "new_status"],
            registry=None,
        )
        self.sla_breaches = Counter(
            "civic_cases_sla_breaches_total",
            "Service levels breached, by case type and SLA.",
            ["case_type", "sla"],
            registry=None,
        )

    def register(self, registry: CollectorRegistry) -> None:
        for collector in (self.opened, self.status_changes, self.sla_breaches):
            registry.register(collector)

    def count(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, CaseOpened):
                self.opened.labels(event.case_type).inc()
            elif isinstance(event, CaseStatusChanged):
                self.status_changes.labels(event.case_type, event.new_status).inc()
            elif isinstance(event, CaseSlaBreached):
                self.sla_breaches.labels(event.case_type, event.sla).inc()

    def count_when_committed(self, uow: UnitOfWork) -> None:
        """Count what `uow` publishes, after (and only if) its transaction commits.

        One listener per session, however many units of work share it (a batch runs hundreds
        on one session): registering an SQLAlchemy listener costs more than the case it counts.
        """
        info = uow.session.info
        waiting: list[UnitOfWork] | None = info.get(_WAITING)
        if waiting is None:
            waiting = info[_WAITING] = []

            def committed(_session: object) -> None:
                for committed_uow in info.pop(_WAITING, []):
                    self.count(committed_uow.published)

            def rolled_back(_session: object) -> None:
                info.pop(_WAITING, None)  # nothing of these was committed

            orm_event.listen(uow.session.sync_session, "after_commit", committed, once=True)
            orm_event.listen(uow.session.sync_session, "after_rollback", rolled_back, once=True)
        waiting.append(uow)
