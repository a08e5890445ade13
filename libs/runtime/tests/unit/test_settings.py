import pytest
from civic_runtime.settings import Secret, ServiceSettings, UnsafeSettings
from pydantic import SecretStr, ValidationError

pytestmark = pytest.mark.unit


def test_development_defaults_are_the_local_stack() -> None:
    settings = ServiceSettings(service_name="cases")
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.group_id == "cases"


def test_the_consumer_group_lives_under_the_topic_prefix() -> None:
    # Two environments on one broker must not share (and keep rebalancing) one group.
    assert (
        ServiceSettings(service_name="cases", topic_prefix="staging.").group_id == "staging.cases"
    )
    assert ServiceSettings(service_name="cases", consumer_group="x").group_id == "x"


def test_production_refuses_the_development_database_password() -> None:
    # Read without refusal (a deployment's configuration is checked without its secrets), then
    # refused as the service starts.
    settings = ServiceSettings(service_name="cases", environment="production")
    with pytest.raises(UnsafeSettings, match="DATABASE_URL uses the development password"):
        settings.refuse_in_production()
    ServiceSettings(service_name="cases", environment="test").refuse_in_production()


def test_production_accepts_a_real_secret() -> None:
    settings = ServiceSettings(
        service_name="cases",
        environment="production",
        database_url="postgresql+asyncpg://cases:s3cret-from-vault@db:5432/cases",
    )
    settings.refuse_in_production()


def test_production_refuses_each_declared_secret_unset_empty_or_at_its_development_value() -> None:
    from typing import ClassVar

    from pydantic_settings import SettingsConfigDict

    class WithSecrets(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="X_", frozen=True)
        secret_settings: ClassVar[dict[str, Secret]] = {
            "signing_secret": Secret("dev-secret"),
            "feature_key": Secret(optional=True),
        }
        service_name: str = "x"
        database_url: str = "postgresql+asyncpg://x:vault@db:5432/x"
        signing_secret: SecretStr | None = None
        feature_key: str | None = None

    def refusals(**values: str) -> list[str]:
        return WithSecrets(environment="production", **values).production_refusals()

    assert refusals() == ["X_SIGNING_SECRET is not set"]
    assert refusals(signing_secret="") == ["X_SIGNING_SECRET is empty"]
    assert refusals(signing_secret="dev-secret") == ["X_SIGNING_SECRET is the development value"]
    assert refusals(signing_secret="live", feature_key=" ") == ["X_FEATURE_KEY is empty"]
    assert refusals(signing_secret="live") == []


def test_settings_come_from_the_environment_with_the_service_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic_settings import SettingsConfigDict

    class CasesSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="CASES_", frozen=True)
        service_name: str = "cases"

    monkeypatch.setenv("CASES_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("CASES_RETRY_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "not-mine:9092")
    settings = CasesSettings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.retry_max_attempts == 7


def test_consumption_is_one_record_per_transaction_unless_a_batch_size_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings(service_name="cases").consumer_batch_size == 1
    monkeypatch.setenv("CONSUMER_BATCH_SIZE", "100")
    assert ServiceSettings(service_name="cases").consumer_batch_size == 100
    with pytest.raises(ValidationError):
        ServiceSettings(service_name="cases", consumer_batch_size=0)
