"""What intake's routes need beyond the runtime: the council, the catalogue and the waste
contractor client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from civic_runtime.council import Council
from fastapi import Depends, Request

from intake.adapters.group_commit import GroupCommit
from intake.adapters.metrics import IntakeMetrics
from intake.adapters.waste_contractor import WasteContractor
from intake.config import IntakeSettings
from intake.domain.catalogue import Catalogue
from intake.domain.forms import FormDefinition


class Overloaded(Exception):
    """More submissions in flight in this process than it can answer quickly."""


@dataclass
class IntakeState:
    settings: IntakeSettings
    waste_contractor: WasteContractor
    council: Council
    # Form family → the prefix its references are shown with (the council's choice).
    reference_prefixes: dict[str, str]
    catalogue: Catalogue = field(default_factory=Catalogue)
    metrics: IntakeMetrics = field(default_factory=IntakeMetrics)
    # Writes the receipts of web and Open311 submissions without an idempotency key; it runs
    # while the app runs (one of its background jobs).
    writer: GroupCommit | None = None
    in_flight: int = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Shed load early: a quick 503 the client retries beats a queue that answers in 20 s."""
        if self.in_flight >= self.settings.max_in_flight_submissions:
            raise Overloaded
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def reference_prefix(self, form: FormDefinition) -> str:
        return self.reference_prefixes[form.family]


async def get_state(request: Request) -> IntakeState:
    state: IntakeState = request.app.state.intake
    return state


IntakeStateDep = Annotated[IntakeState, Depends(get_state)]
