"""What the cases service's use cases need besides a unit of work, built once by `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from civic_runtime.council import Council

from cases.adapters.metrics import CasesMetrics
from cases.config import CasesSettings
from cases.domain.contact_changes import ConfirmationLinks
from cases.domain.sla import SlaClock


@dataclass(frozen=True)
class CasesContext:
    settings: CasesSettings
    council: Council
    metrics: CasesMetrics = field(default_factory=CasesMetrics)

    @property
    def sla_clock(self) -> SlaClock:
        return SlaClock(calendar=self.council.working_days, overrides=self.settings.sla_overrides_s)

    @property
    def work_orders_enabled(self) -> bool:
        return self.settings.work_orders_enabled

    @property
    def confirmation_links(self) -> ConfirmationLinks:
        return ConfirmationLinks(
            url_template=self.settings.contact_confirm_url,
            lifetime=timedelta(hours=self.settings.contact_confirm_hours),
        )
