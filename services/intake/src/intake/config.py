"""The intake service's settings: environment variables prefixed `INTAKE_`."""

from __future__ import annotations

from pathlib import Path

from civic_runtime.council import DEMO_COUNCIL_FILE
from civic_runtime.settings import Secret, ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
# The waste contractor simulator's key: fine on a laptop, refused in production.
DEVELOPMENT_WASTE_CONTRACTOR_API_KEY = "sim-key"


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
    secret_settings = {"waste_contractor_api_key": Secret(DEVELOPMENT_WASTE_CONTRACTOR_API_KEY)}

    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/intake"
    http_port: int = 8001

    forms_dir: Path = FORMS_DIR
    # The council's profile (council.toml, with its boundary beside it): read once at start.
    council_file: Path = DEMO_COUNCIL_FILE
    # The public base of status URLs in 202 answers; empty means relative URLs.
    public_base_url: str = ""
    # Every body (the runtime's limit): a back office's webhook batch of up to
    # `max_webhook_batch` events; submissions are held to `max_submission_bytes`.
    max_request_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_submission_bytes: int = Field(default=64 * 1024, ge=1024)
    max_webhook_batch: int = Field(default=500, ge=1)
    idempotency_retention_hours: int = Field(default=48, ge=24)
    # Expired idempotency keys are deleted every `idempotency_purge_interval_s`, in short
    # transactions of at most `idempotency_purge_batch_size` rows.
    idempotency_purge_enabled: bool = True
    idempotency_purge_interval_s: float = Field(default=600.0, gt=0)
    idempotency_purge_batch_size: int = Field(default=1000, ge=1)
    signature_tolerance_s: int = Field(default=300, ge=1)
    retry_after_s: int = Field(default=5, ge=1)
    # Submissions one process works on at once; beyond this it answers 503 + Retry-After at once.
    max_in_flight_submissions: int = Field(default=128, ge=1)
    # Submissions per client and clock hour, counted in the database (every instance), beyond
    # which 429 + Retry-After; 0: no limit. Public forms per client address (IPv6 by its /64,
    # read behind TRUSTED_PROXIES): a resident sends a few, a shared address (a library, an
    # office) some more. Open311 per client address too: an aggregator's server (FixMyStreet)
    # relays many residents' reports. Back-office webhook calls per API client.
    form_submissions_per_address_per_hour: int = Field(default=30, ge=0)
    open311_requests_per_address_per_hour: int = Field(default=300, ge=0)
    backoffice_calls_per_client_per_hour: int = Field(default=36_000, ge=0)
    # Submissions written in one transaction at most (the group commit; see
    # adapters/group_commit.py).
    group_commit_max_batch: int = Field(default=200, ge=1)
    # The submission path maps a dropped connection to 503, and SQLAlchemy then drops every
    # older pooled connection: a ping before each checkout (three round trips) buys nothing.
    db_pool_pre_ping: bool = False

    waste_contractor_url: str = "http://127.0.0.1:8101"
    waste_contractor_api_key: str = DEVELOPMENT_WASTE_CONTRACTOR_API_KEY
    waste_contractor_timeout_s: float = Field(default=2.0, gt=0)
    # Working days after the scheduled collection during which a missed bin may be reported.
    missed_bin_report_working_days: int = Field(default=2, ge=1)
