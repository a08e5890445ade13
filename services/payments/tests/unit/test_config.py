import os

import pytest
from civic_runtime.settings import UnsafeSettings
from payments.bootstrap import create_app
from payments.config import MissingSecret, PaymentsSettings

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYMENTS_HTTP_PORT", "PAYMENTS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = PaymentsSettings()
    assert (settings.service_name, settings.http_port) == ("payments", 8004)
    assert settings.database_url.endswith("/payments")


def test_only_payments_prefixed_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("TOPIC_PREFIX", "wrong.")
    assert PaymentsSettings().topic_prefix == "staging."


def test_production_refuses_the_development_secrets_and_starts_only_with_real_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("PAYMENTS_"):
            monkeypatch.delenv(name)
    database_url = "postgresql+asyncpg://payments:real@db/payments"
    development = PaymentsSettings(
        environment="production", database_url=database_url, pay_api_key="sim-api-key"
    )
    with pytest.raises(UnsafeSettings, match="PAYMENTS_PAY_API_KEY is the development value"):
        create_app(development)
    unset = PaymentsSettings(environment="production", database_url=database_url)
    with pytest.raises(MissingSecret, match="PAYMENTS_PAY_API_KEY"):
        unset.secret("pay_api_key")
    with pytest.raises(UnsafeSettings, match="PAYMENTS_PAY_WEBHOOK_SIGNING_SECRET is not set"):
        create_app(unset)
    settings = PaymentsSettings(
        environment="production",
        database_url=database_url,
        pay_api_key="live-key",
        pay_webhook_signing_secret="live-webhook-secret",
        return_token_secret="live-return-secret",
    )
    settings.refuse_in_production()
    assert settings.secret("pay_api_key") == "live-key"


def test_outside_production_unset_secrets_are_the_simulators() -> None:
    settings = PaymentsSettings(environment="test")
    assert settings.secret("pay_api_key") == "sim-api-key"
    assert settings.secret("pay_webhook_signing_secret") == "sim-webhook-secret"
