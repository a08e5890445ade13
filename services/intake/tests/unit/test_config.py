import pytest
from intake.config import IntakeSettings

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTAKE_HTTP_PORT", "INTAKE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = IntakeSettings()
    assert (settings.service_name, settings.http_port) == ("intake", 8001)
    assert settings.database_url.endswith("/intake")


def test_only_intake_prefixed_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("TOPIC_PREFIX", "wrong.")
    assert IntakeSettings().topic_prefix == "staging."
