"""Each service, started with production settings, refuses every unsafe value and names it.

Unsafe: a secret left unset, empty (an empty HMAC key signs for anyone) or at its development
value; the development database password; the development officer token (make run's). Each
service is built by its own `create_app`, as `python -m <service>` builds it; a refusal comes
before anything connects, so no infrastructure is needed.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from civic_runtime.council import DEMO_COUNCIL_FILE, load_council
from civic_runtime.officers import DEVELOPMENT_OFFICER_TOKEN
from civic_runtime.settings import UnsafeSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

# Real-looking values for every secret each service holds: production starts with these.
SAFE: dict[str, dict[str, Any]] = {
    "intake": {"waste_contractor_api_key": "live-contractor-key"},
    "cases": {
        "status_link_secret": "live-status-link-secret",
        "waste_contractor_api_key": "live-contractor-key",
    },
    "notify": {
        "govuk_notify_callback_token": "live-callback-token",
        "status_link_secret": "live-status-link-secret",
        "govuk_notify_api_key": "live-notify-key",
    },
    "payments": {
        "pay_api_key": "live-pay-key",
        "pay_webhook_signing_secret": "live-webhook-secret",
        "return_token_secret": "live-return-secret",
    },
}
DEVELOPMENT_VALUES: dict[str, dict[str, str]] = {
    "intake": {"waste_contractor_api_key": "sim-key"},
    "cases": {
        "status_link_secret": "development-only-status-link-secret",
        "waste_contractor_api_key": "sim-key",
    },
    "notify": {
        "govuk_notify_callback_token": "development-callback-token",
        "status_link_secret": "development-only-status-link-secret",
        "govuk_notify_api_key": (
            "civic_local-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
        ),
    },
    "payments": {
        "pay_api_key": "sim-api-key",
        "pay_webhook_signing_secret": "sim-webhook-secret",
        "return_token_secret": "dev-return-token-secret",
    },
}
# Secrets production may run without: each only switches a feature on.
OPTIONAL = {("cases", "status_link_secret")}
WITH_OFFICERS = ("cases", "notify", "payments")


def development_officer() -> list[dict[str, Any]]:
    digest = hashlib.sha256(DEVELOPMENT_OFFICER_TOKEN.encode()).hexdigest()
    return [{"officer_id": "dev-officer", "token_sha256": digest, "role": "team_lead"}]


def start(service: str, **values: Any) -> Any:
    """`<service>.bootstrap.create_app` with production settings: SAFE overridden by `values`
    (None: the setting left unset)."""
    chosen = {**SAFE[service], **values}
    config = importlib.import_module(f"{service}.config")
    settings = getattr(config, f"{service.capitalize()}Settings")(
        environment="production",
        database_url=chosen.pop(
            "database_url", f"postgresql+asyncpg://{service}:vault-secret@db:5432/{service}"
        ),
        log_json=False,
        **{name: value for name, value in chosen.items() if value is not None},
    )
    create_app = importlib.import_module(f"{service}.bootstrap").create_app
    if service in ("intake", "cases"):
        # The demo council is refused in production too: that refusal is not the one tested.
        return create_app(settings, council=load_council(DEMO_COUNCIL_FILE, environment="test"))
    return create_app(settings)


def bad_values() -> list[Any]:
    cases = []
    for service, secrets in SAFE.items():
        cases.append(
            pytest.param(
                service,
                "database_url",
                f"postgresql+asyncpg://civic:civic@db:5432/{service}",
                "uses the development password",
                id=f"{service}-database_url-development",
            )
        )
        for name in secrets:
            if (service, name) not in OPTIONAL:
                # Unset, a setting whose default is the development value is refused as that.
                unset = "is not set|is the development value"
                cases.append(pytest.param(service, name, None, unset, id=f"{service}-{name}-unset"))
            cases.append(pytest.param(service, name, "", "is empty", id=f"{service}-{name}-empty"))
            cases.append(
                pytest.param(service, name, "  ", "is empty", id=f"{service}-{name}-blank")
            )
            cases.append(
                pytest.param(
                    service,
                    name,
                    DEVELOPMENT_VALUES[service][name],
                    "is the development value",
                    id=f"{service}-{name}-development",
                )
            )
    for service in WITH_OFFICERS:
        cases.append(
            pytest.param(
                service,
                "officers",
                development_officer(),
                "the development officer token",
                id=f"{service}-officers-development-token",
            )
        )
    return cases


@pytest.fixture(autouse=True)
def _no_service_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("INTAKE_", "CASES_", "NOTIFY_", "PAYMENTS_")):
            monkeypatch.delenv(key)


@pytest.mark.parametrize("service", SAFE)
def test_production_starts_with_real_secrets(service: str) -> None:
    app = start(service)
    assert app.state.runtime.settings.environment == "production"


@pytest.mark.parametrize(("service", "setting", "value", "reason"), bad_values())
def test_production_refuses_an_unsafe_value_and_names_the_setting(
    service: str, setting: str, value: Any, reason: str
) -> None:
    with pytest.raises(UnsafeSettings) as refused:
        start(service, **{setting: value})
    assert f"{service.upper()}_{setting.upper()} " in str(refused.value)
    assert re.search(reason, str(refused.value))


def test_cases_needs_the_contractor_key_only_while_work_orders_are_on() -> None:
    start("cases", waste_contractor_api_key=None, waste_contractor_url="")
    with pytest.raises(UnsafeSettings, match="CASES_WASTE_CONTRACTOR_API_KEY is not set"):
        start("cases", waste_contractor_api_key=None)


def test_the_image_runs_every_service_in_production() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for service in SAFE:
        assert f"{service.upper()}_ENVIRONMENT=production" in dockerfile
