import pytest
from cases.config import CasesSettings

pytestmark = pytest.mark.unit


def test_defaults_are_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CASES_HTTP_PORT", "CASES_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = CasesSettings()
    assert (settings.service_name, settings.http_port) == ("cases", 8002)
    assert settings.database_url.endswith("/cases")


def test_only_cases_prefixed_variables_configure_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASES_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("TOPIC_PREFIX", "wrong.")
    assert CasesSettings().topic_prefix == "staging."
