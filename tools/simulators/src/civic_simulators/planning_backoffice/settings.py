"""The planning back office simulator's settings: environment variables prefixed `PLANNING_SIM_`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from civic_simulators.settings import from_env


@dataclass
class PlanningSimulatorSettings:
    host: str = "127.0.0.1"
    port: int = 8102
    # Intake's back-office webhook, where the back office reports each step.
    intake_url: str = "http://127.0.0.1:8001"
    intake_api_key: str | None = None
    intake_signing_secret: str | None = None
    # The wait between one step and the next: received → validated → consultation →
    # awaiting decision → decided.
    step_after_s: float = 5.0
    # For the demo: start the district file's applications, one every `auto_every_s` (0 = off).
    district_file: str | None = None
    auto_every_s: float = 0.0
    retry_base_s: float = 1.0  # webhook retries wait 1, 2, 4, ... seconds
    retry_attempts: int = 8
    timeout_s: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlanningSimulatorSettings:
        return from_env(cls, "PLANNING_SIM_", environ)
