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


def test_idempotency_keys_are_kept_at_least_a_day_and_purged_by_default() -> None:
    settings = IntakeSettings()
    assert settings.idempotency_retention_hours == 48
    assert settings.idempotency_purge_enabled is True
    assert settings.idempotency_purge_batch_size >= 1
    with pytest.raises(ValueError, match="idempotency_retention_hours"):
        IntakeSettings(idempotency_retention_hours=23)
    with pytest.raises(ValueError, match="idempotency_purge_batch_size"):
        IntakeSettings(idempotency_purge_batch_size=0)
