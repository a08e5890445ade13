"""The payments service's settings: environment variables prefixed `PAYMENTS_`."""

from __future__ import annotations

from civic_runtime.officers import OfficerSettings
from civic_runtime.settings import Secret, ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

# The simulator's credentials and development secrets: used when a secret is unset outside
# production; refused in production, where each must come from the cluster's secret store.
DEVELOPMENT_SECRETS: dict[str, str] = {
    "pay_api_key": "sim-api-key",
    "pay_webhook_signing_secret": "sim-webhook-secret",
    "return_token_secret": "dev-return-token-secret",
}


class MissingSecret(RuntimeError):
    """A production instance started without one of its secrets."""


class PaymentsSettings(ServiceSettings, OfficerSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore", frozen=True)
    secret_settings = {name: Secret(value) for name, value in DEVELOPMENT_SECRETS.items()}

    service_name: str = "payments"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/payments"
    http_port: int = 8004

    # GOV.UK Pay (or its simulator on 8103).
    pay_api_url: str = "http://127.0.0.1:8103"
    pay_api_key: SecretStr | None = None
    pay_webhook_signing_secret: SecretStr | None = None
    pay_timeout_s: float = Field(default=10.0, gt=0)
    # Pay expires an unfinished payment after 90 minutes.
    payment_expiry_s: int = Field(default=90 * 60, gt=0)

    # Where residents' browsers reach this service: the gateway returns them to
    # `<public_base_url>/payments/return/<token>`.
    public_base_url: str = "http://127.0.0.1:8004"
    return_token_secret: SecretStr | None = None

    # Officers' tokens (`officers`, `officer_jwt_*`): civic_runtime.officers; a JWT's `aud`
    # must name payments.
    officer_jwt_audience: str = "civic-payments"

    # Reconciliation: unfinished payments (and submitted refunds) older than this are settled
    # from the gateway's own answer, checked again at most every `reconcile_interval_s`.
    reconcile_enabled: bool = True
    reconcile_after_s: float = Field(default=15 * 60, ge=0)
    reconcile_interval_s: float = Field(default=60.0, gt=0)
    reconcile_batch_size: int = Field(default=50, ge=1)

    # Retention: webhook log rows, and this database's processed-event (inbox) records, older
    # than this many days are deleted every `retention_interval_s`, `retention_batch_size` rows
    # per transaction. Payments and refunds are the council's financial records and are kept.
    webhook_log_retention_days: int = Field(default=90, ge=1)
    inbox_retention_days: int = Field(default=90, ge=1)
    retention_enabled: bool = True
    retention_interval_s: float = Field(default=3600.0, gt=0)
    retention_batch_size: int = Field(default=5000, ge=1)

    # A case moving to this status refunds what remains of its successful payments.
    refund_on_case_status: str | None = "cancelled"

    def secret(self, name: str) -> str:
        """The secret `name`; its development value when unset outside production."""
        value: SecretStr | None = getattr(self, name)
        if value is not None:
            return value.get_secret_value()
        if self.environment == "production":
            raise MissingSecret(f"{self.model_config.get('env_prefix')}{name.upper()} is not set")
        return DEVELOPMENT_SECRETS[name]
