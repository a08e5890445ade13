"""What the cases service's use cases need besides a unit of work, built once by `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.adapters.metrics import CasesMetrics
from cases.config import CasesSettings


@dataclass(frozen=True)
class CasesContext:
    settings: CasesSettings
    metrics: CasesMetrics = field(default_factory=CasesMetrics)

    @property
    def work_orders_enabled(self) -> bool:
        return self.settings.work_orders_enabled
