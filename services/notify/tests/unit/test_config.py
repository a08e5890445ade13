import pytest
from notify.config import NotifySettings

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFY_HTTP_PORT", "NOTIFY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = NotifySettings()
    assert (settings.service_name, settings.http_port) == ("notify", 8003)
    assert settings.database_url.endswith("/notify")


def test_only_notify_prefixed_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("TOPIC_PREFIX", "wrong.")
    assert NotifySettings().topic_prefix == "staging."


def test_production_refuses_to_start_with_the_development_secrets() -> None:
    from notify.bootstrap import create_app

    production = NotifySettings(
        environment="production",
        database_url="postgresql+asyncpg://notify:vault@db:5432/notify",
    )
    assert production.production_refusals() == [
        "NOTIFY_GOVUK_NOTIFY_CALLBACK_TOKEN is the development value",
        "NOTIFY_STATUS_LINK_SECRET is the development value",
        "NOTIFY_GOVUK_NOTIFY_API_KEY is the development value",
    ]
    with pytest.raises(ValueError, match="refused in production"):
        create_app(production)


def test_quiet_hours_are_set_by_notify_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    from notify.domain.preferences import DEFAULT_QUIET_HOURS, QuietHours
    from pydantic import ValidationError

    monkeypatch.delenv("NOTIFY_QUIET_HOURS", raising=False)
    assert NotifySettings().quiet_hours_window == DEFAULT_QUIET_HOURS
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "")
    assert NotifySettings().quiet_hours_window is None
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "22:00-07:00")
    assert NotifySettings().quiet_hours_window == QuietHours.parse("22:00-07:00")
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "late")
    with pytest.raises(ValidationError, match="quiet hours"):
        NotifySettings()


def test_a_rate_limit_is_off_or_at_least_two_a_minute() -> None:
    from pydantic import ValidationError

    assert NotifySettings(rate_limit_smtp_per_minute=0).rate_limit_smtp_per_minute == 0
    assert NotifySettings(rate_limit_smtp_per_minute=2).rate_limit_smtp_per_minute == 2
    with pytest.raises(ValidationError):
        NotifySettings(rate_limit_smtp_per_minute=1)


def test_no_window_of_the_bucket_grants_more_than_the_limit() -> None:
    from notify.adapters.providers.rate_limit import RateLimit

    notify = RateLimit(3_000)
    assert notify.capacity == 50  # a second's worth at once
    # A full bucket plus a window's refill is the limit, not more.
    assert notify.capacity + notify.refill_per_s * notify.window_s == pytest.approx(3_000)
    small = RateLimit(10, window_s=4)
    assert small.capacity == 1
    assert small.capacity + small.refill_per_s * 4 == pytest.approx(10)
    with pytest.raises(ValueError):
        RateLimit(1)
