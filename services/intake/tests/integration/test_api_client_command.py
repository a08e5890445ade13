"""`python -m intake api-client create|list|rotate|revoke` against a real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from intake.__main__ import api_client_command
from intake.config import IntakeSettings

pytestmark = pytest.mark.integration


def test_create_list_rotate_revoke(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = IntakeSettings(environment="test", database_url=database_url, log_json=False)
    assert api_client_command(["create", "waste-contractor", "--scopes", "waste"], settings) == 0
    created: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert created["api_key"].startswith("ik_") and created["scopes"] == ["waste"]

    assert api_client_command(["list"], settings) == 0
    listing = capsys.readouterr().out
    assert "waste-contractor" in listing and created["api_key"] not in listing
    assert created["signing_secret"] not in listing

    assert api_client_command(["rotate", "waste-contractor"], settings) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["api_key"] != created["api_key"]

    assert api_client_command(["revoke", "waste-contractor"], settings) == 0
    assert api_client_command(["revoke", "waste-contractor"], settings) == 1
    assert api_client_command(["create", "x", "--scopes", "admin"], settings) == 2
