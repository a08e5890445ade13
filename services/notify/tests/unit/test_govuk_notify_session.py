"""The official client's session reads the environment once, at start, not on every call."""

from __future__ import annotations

import pytest
from notify.adapters.providers.govuk_notify import GovukNotifyProvider

API_KEY = "k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"


def provider(base_url: str) -> GovukNotifyProvider:
    return GovukNotifyProvider(
        api_key=API_KEY, base_url=base_url, email_template_id="e", sms_template_id="s", threads=1
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        for variant in (name, name.lower()):
            monkeypatch.delenv(variant, raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def test_the_proxy_and_ca_bundle_of_the_environment_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.council.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/council-ca.pem")
    session = provider("https://api.notifications.service.gov.uk")._client().request_session

    assert session.trust_env is False  # no netrc lookup, no environment parsing per call
    assert session.proxies["https"] == "http://proxy.council.example:3128"
    assert session.verify == "/etc/ssl/council-ca.pem"


def test_no_proxy_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.council.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = provider("http://127.0.0.1:8104")._client().request_session

    assert not session.proxies
    assert session.verify is True


def test_each_thread_keeps_its_client() -> None:
    notify = provider("http://127.0.0.1:8104")
    assert notify._client() is notify._client()
