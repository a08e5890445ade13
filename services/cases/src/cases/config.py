"""The cases service's settings: environment variables prefixed `CASES_`."""

from __future__ import annotations

from civic_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore", frozen=True)

    service_name: str = "cases"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/cases"
    http_port: int = 8002
