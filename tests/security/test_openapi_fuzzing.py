"""Schemathesis against the OpenAPI of cases, notify and payments (intake's own suite is
services/intake/tests/integration/test_openapi_fuzzing.py), each service on a real loopback port
with real PostgreSQL and Kafka and its real authentication: an officer's token with every role
(team lead, template editor, every team), notify's GOV.UK Notify callback token, and payments'
webhook bodies signed with Pay-Signature as GOV.UK Pay signs them.

Whatever the input, valid (POSITIVE) or not (NEGATIVE): no answer is a server error, and every
error (4xx) is `application/problem+json`. Generation is derandomised, so CI sends the same
requests each run.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Schemathesis draws from `random` inside its strategies; Hypothesis seeds it per example.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

# Per operation and generation mode: 200 requests per operation in all, half valid, half not.
# 200 per mode took 3m50s for the three services on 2 shared cores; 100 keeps it near 2 min.
EXAMPLES_PER_OPERATION = 100
OFFICER_TOKEN = "fuzz-officer-token-0123456789abcdef"
CALLBACK_TOKEN = "fuzz-notify-callback-token"
PAY_WEBHOOK_SECRET = "fuzz-pay-webhook-secret"
OFFICERS = [
    {
        "officer_id": "fuzz-team-lead",
        "token_sha256": hashlib.sha256(OFFICER_TOKEN.encode()).hexdigest(),
        "role": "team_lead",
        "roles": ["officer", "template-editor"],
        "teams": ["waste", "planning", "environment", "information"],
    }
]
PROBLEM_JSON = "application/problem+json"
# Routes that read their body themselves, so the document declares none: fuzz one anyway.
RAW_BODIES = {("payments", "post", "/gateway/webhooks")}
# Where a resident's browser lands from the payment gateway: pages, not an API.
PAGES = {"/payments/return/{token}", "/payments/return/{token}/retry"}


def _sign_pay(prepared: requests.PreparedRequest) -> None:
    from payments.domain.signatures import sign

    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    prepared.headers["Pay-Signature"] = sign(body, PAY_WEBHOOK_SECRET)


# Per service: the settings that give it real credentials, and how each request is authenticated.
SERVICES: dict[str, dict[str, Any]] = {
    "cases": {"settings": {"sla_checker_enabled": False, "waste_contractor_url": ""}},
    "notify": {"settings": {"govuk_notify_callback_token": CALLBACK_TOKEN}},
    "payments": {"settings": {"pay_webhook_signing_secret": PAY_WEBHOOK_SECRET}},
}


def authenticate(service: str, path: str, prepared: requests.PreparedRequest) -> None:
    if service == "notify" and path.startswith("/callbacks/"):
        prepared.headers["Authorization"] = f"Bearer {CALLBACK_TOKEN}"
    elif service == "payments" and path == "/gateway/webhooks":
        _sign_pay(prepared)
    else:
        prepared.headers["Authorization"] = f"Bearer {OFFICER_TOKEN}"


def with_raw_bodies(service: str, openapi: dict[str, Any]) -> dict[str, Any]:
    for name, method, path in RAW_BODIES:
        if name == service:
            openapi["paths"][path][method]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
    return openapi


def fuzz(service: str, openapi: dict[str, Any], base_url: str) -> tuple[list[str], Counter[str]]:
    schema = schemathesis.openapi.from_dict(with_raw_bodies(service, openapi))
    failures: list[str] = []
    answers: Counter[str] = Counter()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                kwargs = case.as_transport_kwargs(base_url=base_url)
                prepared = session.prepare_request(
                    requests.Request(
                        **{k: v for k, v in kwargs.items() if k not in ("timeout", "verify")}
                    )
                )
                path = case.operation.path
                authenticate(service, path, prepared)
                try:
                    response = session.send(prepared, timeout=30, allow_redirects=False)
                except requests.ConnectionError as exc:
                    # What uvicorn does when the application raises past every handler.
                    failures.append(f"{case.method} {case.formatted_path} -> {exc}")
                    return
                answers[f"{case.method} {path} {response.status_code}"] += 1
                # A resident's page answers its errors as a page too.
                error_types = {PROBLEM_JSON, "text/html"} if path in PAGES else {PROBLEM_JSON}
                media_type = response.headers.get("content-type", "").split(";")[0]
                if response.status_code >= 500 or (
                    response.status_code >= 400 and media_type not in error_types
                ):
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code} "
                        f"{media_type}: {response.text[:300]}\n    {case.as_curl_command()}"
                    )

            try:
                call()
            except Unsatisfiable:
                # No invalid input exists for an operation without parameters.
                assert mode is GenerationMode.NEGATIVE
    return failures, answers


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def create_app(service: str, **values: Any) -> Any:
    config = importlib.import_module(f"{service}.config")
    settings_class = getattr(config, f"{service.capitalize()}Settings")
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    return bootstrap.create_app(
        settings_class(
            environment="test",
            log_json=False,
            log_level="ERROR",
            consumer_enabled=False,
            officers=OFFICERS,
            **SERVICES[service]["settings"],
            **values,
        )
    )


def _authenticated(answers: Counter[str]) -> Callable[[str], bool]:
    def reached(operation: str) -> bool:
        return any(
            key.startswith(operation + " ") and not key.endswith((" 401", " 403"))
            for key in answers
        )

    return reached


@pytest.mark.parametrize("service", list(SERVICES))
async def test_no_input_produces_a_server_error_or_an_error_not_problem_json(
    service: str, database_url: str, topic_prefix: str, infrastructure: Any
) -> None:
    app = create_app(
        service,
        database_url=database_url,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
    )
    async with serving(app) as base_url:
        failures, answers = await asyncio.to_thread(fuzz, service, app.openapi(), base_url)
    assert failures == [], "\n".join(failures[:20])
    # Every operation was reached past its authentication at least once: the credentials work.
    reached = _authenticated(answers)
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            assert reached(f"{method.upper()} {path}"), (method, path, answers)
