"""The notify service's settings: environment variables prefixed `NOTIFY_`."""

from __future__ import annotations

from civic_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", frozen=True)

    service_name: str = "notify"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/notify"
    http_port: int = 8003
