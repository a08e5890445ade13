import pytest
from payments.config import PaymentsSettings

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
