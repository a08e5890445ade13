"""The waste contractor simulator's settings: environment variables prefixed `WASTE_SIM_`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from civic_simulators.settings import from_env


@dataclass
class WasteSimulatorSettings:
    host: str = "127.0.0.1"
    port: int = 8101
    api_key: str = "sim-key"
    # The demo district file: rounds and weekdays come from it, and unknown UPRNs are 404.
    # Unset: every UPRN not starting with 0 exists, its round a hash of the UPRN.
    district_file: str | None = None
    # Intake's back-office webhook, where the contractor reports what its crews did.
    intake_url: str = "http://127.0.0.1:8001"
    intake_api_key: str | None = None
    intake_signing_secret: str | None = None
    # After a work order: the return visit is booked after this long, the bin collected after
    # a further `collected_after_s`.
    return_visit_after_s: float = 5.0
    collected_after_s: float = 10.0
    # Working days from the report to the return visit; 0 (same day) suits compressed time.
    return_visit_working_days: int = 0
    not_presented_suffix: str = "13"  # these UPRNs' bins are not put out for the return visit
    no_show_suffix: str = "99"  # these UPRNs never get their collection (SLA breach tests)
    retry_base_s: float = 1.0  # webhook retries wait 1, 2, 4, ... seconds
    retry_attempts: int = 8
    timeout_s: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WasteSimulatorSettings:
        return from_env(cls, "WASTE_SIM_", environ)
