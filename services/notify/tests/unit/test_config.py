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
    assert production.development_secrets_in_use() == [
        "govuk_notify_callback_token",
        "status_link_secret",
        "govuk_notify_api_key",
    ]
    with pytest.raises(ValueError, match="development values in production"):
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
