"""The cases service's settings: environment variables prefixed `CASES_`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from civic_runtime.council import DEMO_COUNCIL_FILE
from civic_runtime.officers import OfficerSettings
from civic_runtime.settings import Secret, ServiceSettings
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cases.domain.sla import SERVICE_LEVELS

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
DEVELOPMENT_STATUS_LINK_SECRET = "development-only-status-link-secret"  # noqa: S105
# The waste contractor simulator's key: fine on a laptop, refused in production.
DEVELOPMENT_WASTE_CONTRACTOR_API_KEY = "sim-key"


class MissingSecret(RuntimeError):
    """A production instance started without one of its secrets."""


class CasesSettings(ServiceSettings, OfficerSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore", frozen=True)
    secret_settings = {
        "status_link_secret": Secret(DEVELOPMENT_STATUS_LINK_SECRET, optional=True),
        # Required while work orders are on: see production_refusals.
        "waste_contractor_api_key": Secret(DEVELOPMENT_WASTE_CONTRACTOR_API_KEY, optional=True),
    }

    service_name: str = "cases"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/cases"
    http_port: int = 8002

    # Cases applies up to this many events in one transaction (libs/runtime's batch mode): a
    # backlog of submissions opens cases several times faster; the handlers are batch-safe. 500
    # opened 1.4 to 1.9 times as many cases a second as 100 did (bench/cases_opened.py); a
    # batch fills only under a backlog, and one that fails is applied in halves.
    consumer_batch_size: int = Field(default=500, ge=1, le=1000)

    # The council's profile (council.toml): its bank holidays set the working-day SLAs.
    council_file: Path = DEMO_COUNCIL_FILE

    # Unset in production: signed status links are then neither issued nor accepted (the
    # postcode and email proofs still work); unset elsewhere: a development secret.
    status_link_secret: SecretStr | None = None
    status_link_ttl_days: int = Field(default=90, ge=1)
    status_lookups_per_minute: int = Field(default=20, ge=1)
    # Failed proofs for one reference, from any number of clients: a postcode is quick to guess.
    status_failures_per_reference_per_hour: int = Field(default=10, ge=1)

    sla_checker_enabled: bool = True
    sla_check_interval_s: float = Field(default=60.0, gt=0)
    # Demos and tests only (refused in production): case type → seconds after opening at which
    # its SLA falls due, instead of working days, e.g. {"missed_bin": 12}.
    sla_overrides_s: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)

    # Contact details a form gives for an existing resident wait for the resident to confirm
    # them by a one-time link, sent to the details on record: the page it opens (`{token}` is
    # replaced; the page POSTs the token to /v1/contact-changes/confirm), and how long it works.
    contact_confirm_url: str = "http://127.0.0.1:8005/contact-details/confirm/{token}"
    contact_confirm_hours: int = Field(default=72, ge=1, le=24 * 14)

    # A contractor's update for a case not open yet is held this long for its submission
    # (they travel on different topics); 0: such updates are ignored.
    early_update_hold_s: float = Field(default=3600.0, ge=0)

    # Officers' tokens (`officers`, `officer_jwt_*`): civic_runtime.officers; a JWT's `aud`
    # must name cases.
    officer_jwt_audience: str = "civic-cases"

    # The waste contractor's work-order API (its simulator on 8101); empty: no work orders.
    waste_contractor_url: str = "http://127.0.0.1:8101"
    # Unset: the simulator's key outside production; in production the service refuses to start.
    waste_contractor_api_key: SecretStr | None = None
    waste_contractor_timeout_s: float = Field(default=5.0, gt=0)
    work_order_poll_interval_s: float = Field(default=1.0, gt=0)
    work_order_retry_initial_s: float = Field(default=1.0, gt=0)
    work_order_retry_max_s: float = Field(default=300.0, gt=0)

    @property
    def link_secret(self) -> str | None:
        """The key that signs status links, or None when links are switched off."""
        if self.status_link_secret is not None:
            return self.status_link_secret.get_secret_value()
        return None if self.environment == "production" else DEVELOPMENT_STATUS_LINK_SECRET

    @model_validator(mode="after")
    def _check_consistency(self) -> CasesSettings:
        if self.sla_overrides_s and self.environment == "production":
            raise ValueError(
                "sla_overrides_s (CASES_SLA_OVERRIDES_S) shortens SLA clocks for demos and tests;"
                " it is refused in production"
            )
        if "{token}" not in self.contact_confirm_url:
            raise ValueError(
                "contact_confirm_url (CASES_CONTACT_CONFIRM_URL) must hold {token}, where the "
                "one-time token goes"
            )
        unknown = sorted(set(self.sla_overrides_s) - set(SERVICE_LEVELS))
        if unknown:
            raise ValueError(
                f"sla_overrides_s (CASES_SLA_OVERRIDES_S) names case types without a working-day"
                f" SLA: {', '.join(unknown)} (known: {', '.join(sorted(SERVICE_LEVELS))})"
            )
        return self

    def production_refusals(self) -> list[str]:
        refusals = super().production_refusals()
        if self.work_orders_enabled and self.waste_contractor_api_key is None:
            refusals.append(f"{self.env_name('waste_contractor_api_key')} is not set")
        return refusals

    @property
    def contractor_api_key(self) -> str:
        """The work-order API's key; the simulator's outside production when unset."""
        if self.waste_contractor_api_key is not None:
            return self.waste_contractor_api_key.get_secret_value()
        if self.environment == "production":
            raise MissingSecret("CASES_WASTE_CONTRACTOR_API_KEY is not set")
        return DEVELOPMENT_WASTE_CONTRACTOR_API_KEY

    @property
    def work_orders_enabled(self) -> bool:
        return bool(self.waste_contractor_url)
