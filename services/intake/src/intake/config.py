"""The intake service's settings: environment variables prefixed `INTAKE_`."""

from __future__ import annotations

from civic_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/intake"
    http_port: int = 8001
