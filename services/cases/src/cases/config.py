"""The cases service's settings: environment variables prefixed `CASES_`."""

from __future__ import annotations

from typing import Literal

from civic_runtime.settings import ServiceSettings
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

DEVELOPMENT_STATUS_LINK_SECRET = "development-only-status-link-secret"  # noqa: S105


class OfficerCredential(BaseModel):
    """An officer's API token, stored only as its SHA-256 (tokens are long random strings)."""

    officer_id: str = Field(min_length=1, max_length=100)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Literal["officer", "team_lead"] = "officer"
    teams: tuple[str, ...] = ()


DEFAULT_TEAMS: dict[str, tuple[str, ...]] = {
    "waste": ("missed_bin", "bulky_waste", "new_bin"),
    "planning": ("planning_application",),
    "environment": ("report",),
    "information": ("foi_request",),
}


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore", frozen=True)

    service_name: str = "cases"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/cases"
    http_port: int = 8002

    # JSON list, e.g. [{"officer_id": "o1", "token_sha256": "…", "role": "officer", "teams": ["waste"]}]
    officers: tuple[OfficerCredential, ...] = ()
    # Team → the case types its officers see.
    teams: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_TEAMS))

    # Unset in production: signed status links are then neither issued nor accepted (the
    # postcode and email proofs still work); unset elsewhere: a development secret.
    status_link_secret: SecretStr | None = None
    status_link_ttl_days: int = Field(default=90, ge=1)
    status_lookups_per_minute: int = Field(default=20, ge=1)

    sla_checker_enabled: bool = True
    sla_check_interval_s: float = Field(default=60.0, gt=0)

    @property
    def link_secret(self) -> str | None:
        """The key that signs status links, or None when links are switched off."""
        if self.status_link_secret is not None:
            return self.status_link_secret.get_secret_value()
        return None if self.environment == "production" else DEVELOPMENT_STATUS_LINK_SECRET

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> CasesSettings:
        if self.environment == "production" and self.link_secret == DEVELOPMENT_STATUS_LINK_SECRET:
            raise ValueError("status_link_secret is the development one; set a real secret")
        return self
