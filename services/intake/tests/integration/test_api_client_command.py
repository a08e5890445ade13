"""`python -m intake api-client create|list|rotate|revoke` against a real database; each refusal
is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from intake.__main__ import api_client_command
from intake.config import IntakeSettings

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root logger as a fresh process has it: services started by earlier tests leave their
    handlers on it, writing to streams pytest has since closed (a "Logging error" on stderr)."""
    monkeypatch.setattr(logging.getLogger(), "handlers", [])


@pytest.fixture
def settings(database_url: str) -> IntakeSettings:
    return IntakeSettings(environment="test", database_url=database_url, log_json=False)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], settings: IntakeSettings) -> str:
    """The one line a refused command prints on stderr (after checking its exit status is 2)."""
    capsys.readouterr()
    try:
        code = api_client_command(argv, settings)
    except SystemExit as exit_:  # the parser's refusals
        code = exit_.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_create_list_rotate_revoke(
    settings: IntakeSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api_client_command(["create", "waste-contractor", "--scopes", "waste"], settings) == 0
    created: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert created["api_key"].startswith("ik_") and created["scopes"] == ["waste"]
    assert created["replaced"] is False

    assert api_client_command(["list"], settings) == 0
    listing = capsys.readouterr().out
    assert "waste-contractor" in listing and created["api_key"] not in listing
    assert created["signing_secret"] not in listing

    assert api_client_command(["rotate", "waste-contractor"], settings) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["api_key"] != created["api_key"]

    assert api_client_command(["revoke", "waste-contractor"], settings) == 0
    assert refused(capsys, ["revoke", "waste-contractor"], settings).startswith(
        "intake api-client revoke: error: no active API client named 'waste-contractor'"
    )


def test_a_name_taken_is_refused_and_rotate_gives_it_a_new_key_with_the_scopes_given(
    settings: IntakeSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api_client_command(["create", "planning", "--scopes", "planning"], settings) == 0
    first = json.loads(capsys.readouterr().out)

    err = refused(capsys, ["create", "planning", "--scopes", "planning,open311"], settings)
    assert err.startswith(
        "intake api-client create: error: an API client named 'planning' already exists"
    )
    assert "--rotate" in err

    assert (
        api_client_command(
            ["create", "planning", "--scopes", "planning,open311", "--rotate"], settings
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert again["id"] == first["id"] and again["replaced"] is True
    assert again["scopes"] == ["open311", "planning"]
    assert again["api_key"] != first["api_key"]
    assert again["signing_secret"] != first["signing_secret"]

    # A revoked client is made active again; an absent one is created.
    assert api_client_command(["revoke", "planning"], settings) == 0
    assert (
        api_client_command(["create", "planning", "--scopes", "planning", "--rotate"], settings)
        == 0
    )
    capsys.readouterr()
    assert api_client_command(["create", "fresh", "--scopes", "waste", "--rotate"], settings) == 0
    assert json.loads(capsys.readouterr().out)["replaced"] is False
    assert api_client_command(["list"], settings) == 0
    listing = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert listing["planning"]["revoked_at"] is None and listing["planning"]["scopes"] == [
        "planning"
    ]
    assert set(listing) == {"planning", "fresh"}


def test_bad_input_is_one_line_and_exit_status_2(
    settings: IntakeSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refused(capsys, ["create", "x", "--scopes", "admin"], settings).startswith(
        "intake api-client create: error: argument --scopes: unknown scope 'admin': "
        "scopes are some of waste, planning, open311"
    )
    assert "no scope given" in refused(capsys, ["create", "x", "--scopes", ","], settings)
    assert refused(capsys, ["create", "x"], settings).startswith(
        "intake api-client create: error: the following arguments are required: --scopes"
    )
    assert refused(capsys, [], settings).startswith("intake api-client: error: ")
    assert refused(capsys, ["rotate", "nobody"], settings).startswith(
        "intake api-client rotate: error: no active API client named 'nobody'"
    )


def test_the_database_not_answering_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = IntakeSettings(
        environment="test", database_url="postgresql+asyncpg://civic:civic@127.0.0.1:1/intake"
    )
    err = refused(capsys, ["list"], down)
    assert err.startswith("intake api-client: error: cannot reach PostgreSQL at 127.0.0.1:1/intake")
    assert "make infra-up" in err
