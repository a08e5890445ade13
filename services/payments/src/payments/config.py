"""The payments service's settings: environment variables prefixed `PAYMENTS_`."""

from __future__ import annotations

from civic_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class PaymentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)

    service_name: str = "payments"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/payments"
    http_port: int = 8004
