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


def test_status_links_use_a_development_secret_only_outside_production() -> None:
    from cases.config import DEVELOPMENT_STATUS_LINK_SECRET

    assert CasesSettings(environment="test").link_secret == DEVELOPMENT_STATUS_LINK_SECRET
    production_url = "postgresql+asyncpg://cases:real@db:5432/cases"
    unset = CasesSettings(environment="production", database_url=production_url)
    assert unset.link_secret is None
    chosen = CasesSettings(
        environment="production", database_url=production_url, status_link_secret="s3cret-value"
    )
    assert chosen.link_secret == "s3cret-value"
    development = CasesSettings(
        environment="production",
        database_url=production_url,
        status_link_secret=DEVELOPMENT_STATUS_LINK_SECRET,
    )
    assert "CASES_STATUS_LINK_SECRET is the development value" in (
        development.production_refusals()
    )


def test_officers_are_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = "0" * 64
    monkeypatch.setenv(
        "CASES_OFFICERS",
        f'[{{"officer_id": "o1", "token_sha256": "{digest}", "role": "team_lead", "teams": ["waste"]}}]',
    )
    officers = CasesSettings().officers
    assert [(o.officer_id, o.role, o.teams) for o in officers] == [("o1", "team_lead", ("waste",))]


def test_the_contractor_key_is_the_simulators_only_outside_production() -> None:
    from cases.config import MissingSecret

    assert CasesSettings(environment="test").contractor_api_key == "sim-key"
    production_url = "postgresql+asyncpg://cases:real@db:5432/cases"
    simulators = CasesSettings(
        environment="production", database_url=production_url, waste_contractor_api_key="sim-key"
    )
    assert simulators.production_refusals() == [
        "CASES_WASTE_CONTRACTOR_API_KEY is the development value"
    ]
    unset = CasesSettings(environment="production", database_url=production_url)
    with pytest.raises(MissingSecret):
        _ = unset.contractor_api_key
    switched_off = CasesSettings(
        environment="production", database_url=production_url, waste_contractor_url=""
    )
    assert not switched_off.work_orders_enabled


def test_work_orders_back_off_exponentially_up_to_a_ceiling() -> None:
    from cases.service_layer.work_orders import Backoff

    backoff = Backoff(initial_s=1.0, max_s=60.0)
    for attempts, ceiling in ((1, 1.0), (2, 2.0), (5, 16.0), (20, 60.0)):
        delay = backoff.delay(attempts).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


def test_sla_overrides_are_read_as_json_and_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("CASES_SLA_OVERRIDES_S", '{"missed_bin": 12}')
    assert CasesSettings(environment="test").sla_overrides_s == {"missed_bin": 12.0}
    production_url = "postgresql+asyncpg://cases:real@db:5432/cases"
    with pytest.raises(ValidationError, match="CASES_SLA_OVERRIDES_S"):
        CasesSettings(environment="production", database_url=production_url)
    monkeypatch.delenv("CASES_SLA_OVERRIDES_S")
    assert (
        CasesSettings(environment="production", database_url=production_url).sla_overrides_s == {}
    )


def test_sla_overrides_name_case_types_with_a_clock_and_positive_seconds() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="missed-bin"):
        CasesSettings(environment="test", sla_overrides_s={"missed-bin": 12})
    with pytest.raises(ValidationError, match="greater than 0"):
        CasesSettings(environment="test", sla_overrides_s={"missed_bin": 0})
