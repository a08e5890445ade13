"""The settings base every service extends: one pydantic-settings class per service, env prefix per service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# The local stack's credentials: fine on a laptop, refused anywhere else.
DEVELOPMENT_DATABASE_PASSWORD = "civic"  # noqa: S105


class ServiceSettings(BaseSettings):
    """Common settings. A service subclasses this and sets `env_prefix` (e.g. `CASES_`)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

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
    graceful_shutdown_s: float = Field(default=15.0, gt=0)
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def group_id(self) -> str:
        """The consumer group: the service's name, under the topic prefix.

        Instances of one environment share a group; two environments sharing a broker (each
        with its own prefix) never join each other's group and rebalance it.
        """
        return self.consumer_group or f"{self.topic_prefix}{self.service_name}"

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> ServiceSettings:
        if self.environment == "production":
            if f":{DEVELOPMENT_DATABASE_PASSWORD}@" in self.database_url:
                raise ValueError(
                    "database_url uses the development password; set a real secret in production"
                )
            if self.http_host == "0.0.0.0" and self.log_level.upper() == "DEBUG":
                raise ValueError("DEBUG logging on a public interface is refused in production")
        return self
