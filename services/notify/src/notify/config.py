"""The notify service's settings: environment variables prefixed `NOTIFY_`."""

from __future__ import annotations

from typing import Literal

from civic_runtime.officers import OfficerSettings
from civic_runtime.settings import Secret, ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from notify.domain.preferences import QuietHours

# Local-stack secrets: fine on a laptop and in tests, refused in production.
DEVELOPMENT_CALLBACK_TOKEN = "development-callback-token"  # noqa: S105
DEVELOPMENT_LINK_SECRET = "development-only-status-link-secret"  # noqa: S105 - as cases'
# The simulator's key: "<name>-<service id>-<secret>", as Notify issues them.
DEVELOPMENT_NOTIFY_API_KEY = (
    "civic_local-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
)

EmailProvider = Literal["smtp", "govuk-notify"]


class NotifySettings(ServiceSettings, OfficerSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", frozen=True)
    # Their defaults are the local stack's values, which production refuses.
    secret_settings = {
        "govuk_notify_callback_token": Secret(DEVELOPMENT_CALLBACK_TOKEN),
        "status_link_secret": Secret(DEVELOPMENT_LINK_SECRET),
        "govuk_notify_api_key": Secret(DEVELOPMENT_NOTIFY_API_KEY),
    }

    service_name: str = "notify"
    database_url: str = "postgresql+asyncpg://civic:civic@127.0.0.1:5432/notify"
    http_port: int = 8003
    # Officers' tokens (`officers`, `officer_jwt_*`): civic_runtime.officers; a JWT's `aud`
    # must name notify.
    officer_jwt_audience: str = "civic-notify"
    # No ping before each pooled connection's use (three round trips on the time-to-tell path):
    # a connection dropped by a database restart fails one consumer attempt or dispatcher pass,
    # which is retried, and SQLAlchemy then replaces every older pooled connection.
    db_pool_pre_ping: bool = False
    # The outbox relay is woken by this instance's own commits; its poll only finds what other
    # instances wrote (their NotificationSent etc. wait up to this long). The runtime's 25 ms
    # cost six per cent of a core while idle (a transaction each poll).
    outbox_poll_interval_ms: int = Field(default=100, ge=1)

    # Email goes by the first provider, then the next when one is down (failover).
    email_providers: tuple[EmailProvider, ...] = ("govuk-notify", "smtp")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "Council <no-reply@council.example>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    govuk_notify_base_url: str = "http://127.0.0.1:8104"
    govuk_notify_api_key: str = DEVELOPMENT_NOTIFY_API_KEY
    # Our templates are rendered here; Notify gets them through one template per channel whose
    # content is `((subject))` / `((body))`.
    govuk_notify_email_template_id: str = "8f1d6c0e-4c3a-4d37-9a55-0f5d4a8c6a01"
    govuk_notify_sms_template_id: str = "8f1d6c0e-4c3a-4d37-9a55-0f5d4a8c6a02"
    govuk_notify_timeout_s: float = Field(default=10.0, gt=0)
    govuk_notify_callback_token: str = DEVELOPMENT_CALLBACK_TOKEN
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:digital@council.example"
    # How long a push service holds a message for an offline browser (RFC 8030 TTL).
    push_ttl_s: int = Field(default=172_800, ge=0, le=2_419_200)

    # Messages a minute handed to each provider by all instances together (0: no limit; else at
    # least 2); Notify allows 3,000. The window is a minute: only tests shorten it.
    rate_limit_govuk_notify_per_minute: int = Field(default=3_000, ge=0)
    rate_limit_smtp_per_minute: int = Field(default=0, ge=0)
    rate_limit_push_per_minute: int = Field(default=0, ge=0)
    rate_limit_window_s: float = Field(default=60.0, gt=0)
    # Emails and SMS to one recipient (an address, a number) in any hour, by all instances
    # together; beyond, the message is not sent but recorded failed ("recipient limit"). A
    # resident on a busy day hears of a broadcast and a few case updates; a form anyone can
    # submit must not make the council send without end (SMS pumping). Messages confirming a
    # change of contact details have a limit of their own, so they go out whatever case updates
    # have used (domain/recipient_limits.py). 0: no limit.
    max_messages_per_recipient_per_hour: int = Field(default=10, ge=0)
    max_contact_change_messages_per_recipient_per_hour: int = Field(default=3, ge=0)

    dispatch_batch_size: int = Field(default=50, ge=1)
    dispatch_poll_interval_ms: int = Field(default=200, ge=1)
    dispatch_concurrency: int = Field(default=20, ge=1)
    # A message claimed for sending and not recorded within this time is looked up at its
    # provider by our reference before any resend (the process may have died mid-send).
    sending_lease_s: float = Field(default=60.0, gt=0)
    temporary_failure_max_attempts: int = Field(default=6, ge=1)
    temporary_failure_backoff_s: float = Field(default=30.0, ge=0)
    # A message still `sent` (no receipt) after this long is polled at the provider.
    reconcile_after_s: float = Field(default=900.0, gt=0)

    # SMS and push wait out these hours, London time ("HH:MM-HH:MM"); "" turns them off (the
    # cross-service tests run at any hour).
    quiet_hours: str = "21:00-08:00"

    # The cases service's resident status API; the token is signed with the secret it shares.
    status_page_base_url: str = "http://127.0.0.1:8002/v1/status"
    status_link_secret: str = DEVELOPMENT_LINK_SECRET
    status_link_ttl_days: int = Field(default=90, ge=1)
    load_default_templates: bool = True
    # Up to this many events applied in one transaction (libs/runtime's batch mode): a backlog of
    # residents or case events is read several times faster; the handlers are batch-safe.
    consumer_batch_size: int = Field(default=100, ge=1, le=1000)

    @field_validator(
        "rate_limit_govuk_notify_per_minute",
        "rate_limit_smtp_per_minute",
        "rate_limit_push_per_minute",
    )
    @classmethod
    def _rate_limit_off_or_at_least_two(cls, value: int) -> int:
        # A bucket of one token that refills within the window would allow two in a window.
        if value == 1:
            raise ValueError("0 (no limit) or at least 2 a minute")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_parse(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @property
    def quiet_hours_window(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)
