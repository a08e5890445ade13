"""The command as a platform engineer runs it: a process, its exit code, its stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def ops(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "civic_runtime.ops", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_kafka_not_answering_is_one_line_exit_status_2_and_no_traceback() -> None:
    result = ops("--bootstrap-servers", "127.0.0.1:1", "lag", "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error.startswith("cannot reach Kafka at 127.0.0.1:1") and "make infra-up" in error
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_options_are_taken_before_or_after_the_command(infrastructure: Any) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    before = ops("--json", "--bootstrap-servers", kafka, "lag", "--group", "ops-test-nobody")
    after = ops("lag", "--group", "ops-test-nobody", "--json", "--bootstrap-servers", kafka)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert json.loads(after.stdout)["groups"][0]["state"] == "Dead"  # never seen


def test_api_client_create_is_delegated_to_intake(database_url: str) -> None:
    env = {"INTAKE_DATABASE_URL": database_url, "INTAKE_ENVIRONMENT": "test"}
    created = ops(
        "api-client", "create", "waste-contractor", "--scopes", "waste", "--json", env=env
    )
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert issued["name"] == "waste-contractor" and issued["scopes"] == ["waste"]
    assert issued["api_key"] and issued["signing_secret"]

    refused = ops("api-client", "create", "someone", "--scopes", "everything", env=env)
    assert refused.returncode == 2 and "unknown scope 'everything'" in refused.stderr
    assert refused.stderr.count("\n") == 1

    taken = ops("api-client", "create", "waste-contractor", "--scopes", "waste", env=env)
    assert taken.returncode == 2 and "already exists" in taken.stderr and "--rotate" in taken.stderr
    rotated = ops(
        "api-client", "create", "waste-contractor", "--scopes", "waste", "--rotate", env=env
    )
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["api_key"] != issued["api_key"]
