"""`python -m notify load-rounds|broadcast`: each refusal is one line on stderr and exit status
2, never a traceback."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from civic_runtime.migrations import upgrade
from notify.bootstrap import MIGRATIONS_DIR
from notify.entrypoints.cli import run

pytestmark = pytest.mark.integration


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        run(list(argv))
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_bad_input_is_one_line(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", database_url)
    monkeypatch.setenv("NOTIFY_ENVIRONMENT", "test")
    upgrade(MIGRATIONS_DIR, database_url)
    malformed = tmp_path / "rounds.csv"
    malformed.write_text("uprn,round\nnot-a-uprn,R-1\n")

    assert "No such file" in refused(capsys, "load-rounds", str(tmp_path / "absent.csv"))
    assert refused(capsys, "load-rounds", str(malformed)).startswith(
        f"notify load-rounds: error: {malformed}: "
    )
    assert refused(capsys, "broadcast", "not-an-id").startswith(
        "notify broadcast: error: argument ID: invalid UUID value: 'not-an-id'"
    )
    nobody = uuid.uuid4()
    assert refused(capsys, "broadcast", str(nobody)) == (
        f"notify broadcast: error: no broadcast {nobody}\n"
    )


def test_the_database_down_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_DATABASE_URL", "postgresql+asyncpg://civic:civic@127.0.0.1:1/notify")
    assert refused(capsys, "broadcast", str(uuid.uuid4())).startswith(
        "notify broadcast: error: cannot reach PostgreSQL at 127.0.0.1:1/notify"
    )
