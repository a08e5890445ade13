"""The settings base every service extends: one pydantic-settings class per service, env prefix per service."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from civic_runtime.officers import DEVELOPMENT_OFFICER_TOKEN_SHA256, OfficerSettings

Environment = Literal["development", "test", "production"]

# The local stack's credentials: fine on a laptop, refused in production.
DEVELOPMENT_DATABASE_PASSWORD = "civic"  # noqa: S105


class UnsafeSettings(ValueError):
    """Settings production refuses to start with; the message names each setting."""


@dataclass(frozen=True)
class Secret:
    """How production treats a setting that holds a secret: refused when empty (an empty HMAC
    key signs for anyone) or at its development value, and when unset unless `optional` (a
    secret that only switches a feature on)."""

    development: str | None = None
    optional: bool = False


class ServiceSettings(BaseSettings):
    """Common settings. A service subclasses this and sets `env_prefix` (e.g. `CASES_`)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    # The service's secret settings by name; `refuse_in_production` checks each.
    secret_settings: ClassVar[Mapping[str, Secret]] = {}

    service_name: str
    environment: Environment = "development"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/postgres"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout_s: float = Field(default=10.0, gt=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # Test each pooled connection before use (three round trips with asyncpg), so a connection
    # dropped by a database restart is replaced before it fails a request.
    db_pool_pre_ping: bool = True
    migrate_on_start: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prefixed to every topic name, so that environments (or tests) can share one cluster.
    topic_prefix: str = ""
    consumer_group: str | None = None
    consume_from: Literal["earliest", "latest"] = "earliest"
    consumer_enabled: bool = True
    # Offsets are committed after the records' transactions, in a batch at most this often.
    commit_interval_ms: int = Field(default=100, ge=0)
    # Records applied per database transaction. 1: one transaction per record. N > 1: up to N
    # records in one transaction, falling back to one at a time if anything in it fails (so the
    # handlers must be safe to run one after another on a shared session).
    consumer_batch_size: int = Field(default=1, ge=1, le=1000)

    # Retries of a handler that fails: bounded, with exponential backoff, then the `.dlq`.
    retry_max_attempts: int = Field(default=5, ge=1)
    retry_initial_backoff_ms: int = Field(default=100, ge=0)
    retry_max_backoff_ms: int = Field(default=5_000, ge=0)
    # An outage (database or Kafka down) is retried without limit: dead-lettering would lose nothing
    # useful and would empty the topic into its `.dlq`.
    outage_max_backoff_ms: int = Field(default=10_000, ge=1)

    outbox_enabled: bool = True
    outbox_poll_interval_ms: int = Field(default=25, ge=1)
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_retention_hours: int = Field(default=7 * 24, ge=1)

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Request bodies larger than this are refused with 413 (civic_runtime.body_limit); a route may
    # hold its own bodies to less.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    graceful_shutdown_s: float = Field(default=15.0, gt=0)
    # The proxies (addresses or CIDR blocks, e.g. ["10.0.0.0/8"]) whose X-Forwarded-For is
    # believed for the client's address (civic_runtime.clients); none: the peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an address or CIDR block") from None
        return proxies

    @property
    def group_id(self) -> str:
        """The consumer group: the service's name, under the topic prefix.

        Instances of one environment share a group; two environments sharing a broker (each
        with its own prefix) never join each other's group and rebalance it.
        """
        return self.consumer_group or f"{self.topic_prefix}{self.service_name}"

    def env_name(self, setting: str) -> str:
        """The environment variable that sets `setting`, e.g. CASES_STATUS_LINK_SECRET."""
        return f"{self.model_config.get('env_prefix') or ''}{setting}".upper()

    def production_refusals(self) -> list[str]:
        """Why production would refuse these settings: one line per setting, naming it."""
        refusals: list[str] = []
        if f":{DEVELOPMENT_DATABASE_PASSWORD}@" in self.database_url:
            refusals.append(f"{self.env_name('database_url')} uses the development password")
        if self.http_host == "0.0.0.0" and self.log_level.upper() == "DEBUG":
            refusals.append(f"{self.env_name('log_level')} is DEBUG on a public interface")
        for name, secret in self.secret_settings.items():
            value = getattr(self, name)
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if text is None:
                if not secret.optional:
                    refusals.append(f"{self.env_name(name)} is not set")
            elif not text.strip():
                refusals.append(f"{self.env_name(name)} is empty")
            elif text == secret.development:
                refusals.append(f"{self.env_name(name)} is the development value")
        if isinstance(self, OfficerSettings):
            refusals.extend(
                f"{self.env_name('officers')} gives {credential.officer_id} the development"
                " officer token"
                for credential in self.officers
                if credential.token_sha256 == DEVELOPMENT_OFFICER_TOKEN_SHA256
            )
        return refusals

    def refuse_in_production(self) -> None:
        """Raise UnsafeSettings when production runs with an unsafe setting. Checked as the
        service starts, not when the settings are read, so that a deployment's configuration can
        be validated without the secrets its cluster injects."""
        if self.environment == "production" and (refusals := self.production_refusals()):
            raise UnsafeSettings(f"refused in production: {'; '.join(refusals)}")
