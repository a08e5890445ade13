"""Usage errors: exit code 2 and one line on stderr, before anything touches Kafka or a database."""

from __future__ import annotations

import json

import pytest
from civic_runtime.ops.cli import run
from civic_runtime.ops.dlq import parse_offsets
from civic_runtime.ops.errors import UsageError

pytestmark = pytest.mark.unit

NOWHERE = ["--bootstrap-servers", "127.0.0.1:1"]  # reached only if the usage check failed


async def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    try:
        code = await run([*NOWHERE, *argv])
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, not a usage block
    return err


async def test_arguments_argparse_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert (await usage_error(capsys, "dlq", "list")).startswith(
        "python -m civic_runtime.ops dlq list: error: the following arguments are required: TOPIC"
    )
    assert "--scopes" in await usage_error(capsys, "api-client", "create", "someone")
    assert "invalid choice: 'lagg'" in await usage_error(capsys, "lagg")
    assert "ISO 8601" in await usage_error(
        capsys, "replay", "cases.lifecycle.v1", "--group", "g", "--since", "yesterday"
    )
    assert "timezone" in await usage_error(
        capsys, "replay", "cases.lifecycle.v1", "--group", "g", "--since", "2026-11-28T09:00:00"
    )
    assert "NAME=URL" in await usage_error(capsys, "outbox", "--database-url", "postgresql://x")


async def test_requests_that_make_no_sense(capsys: pytest.CaptureFixture[str]) -> None:
    assert "PARTITION:OFFSET" in await usage_error(
        capsys, "dlq", "redrive", "cases.lifecycle.v1", "--offsets", "zero"
    )
    assert "--all" in await usage_error(capsys, "dlq", "redrive", "cases.lifecycle.v1")
    assert "do not combine" in await usage_error(
        capsys, "dlq", "redrive", "cases.lifecycle.v1", "--all", "--reason", "rejected"
    )
    assert "unknown topic" in await usage_error(capsys, "dlq", "list", "cases.teleported.v1")


async def test_a_usage_error_in_json_mode_is_json_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    assert await run([*NOWHERE, "--json", "dlq", "list", "nope.v1"]) == 2
    assert "unknown topic" in json.loads(capsys.readouterr().out)["error"]


def test_offsets_are_partition_offset_pairs() -> None:
    assert parse_offsets("0:12, 1:3,") == {(0, 12), (1, 3)}
    with pytest.raises(UsageError):
        parse_offsets("0:-1")
    with pytest.raises(UsageError):
        parse_offsets(",")
