"""Intake starts only with a council profile it can use; the demo council is the default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from civic_runtime.council import DEMO_COUNCIL_FILE, InvalidCouncil
from intake.bootstrap import create_app
from intake.config import IntakeSettings

pytestmark = pytest.mark.unit


def _profile(folder: Path, **replacements: str) -> Path:
    text = DEMO_COUNCIL_FILE.read_text()
    for old, new in replacements.items():
        text = text.replace(old, new)
    (folder / "council.toml").write_text(text)
    shutil.copy(DEMO_COUNCIL_FILE.parent / "boundary.geojson", folder / "boundary.geojson")
    return folder / "council.toml"


def test_the_demo_council_is_the_default_and_the_variable_names_another(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INTAKE_COUNCIL_FILE", raising=False)
    assert IntakeSettings().council_file == DEMO_COUNCIL_FILE
    monkeypatch.setenv("INTAKE_COUNCIL_FILE", str(tmp_path / "council.toml"))
    assert IntakeSettings().council_file == tmp_path / "council.toml"


def test_a_missing_council_file_stops_the_start(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "council.toml"
    with pytest.raises(InvalidCouncil, match="council profile is missing") as refused:
        create_app(IntakeSettings(environment="test", council_file=missing))
    assert str(missing) in str(refused.value)


def test_prefixes_for_a_family_intake_does_not_have_stop_the_start(tmp_path: Path) -> None:
    council_file = _profile(tmp_path, **{'FOI = "FOI"': 'FOI = "FOI"\nBIN = "BIN"'})
    with pytest.raises(InvalidCouncil, match="unknown form families BIN"):
        create_app(IntakeSettings(environment="test", council_file=council_file))


def test_a_prefix_another_family_shows_stops_the_start(tmp_path: Path) -> None:
    """WST shown as ENV would repeat the street-care family's references."""
    council_file = _profile(tmp_path, **{'WST = "WST"': "", 'ENV = "ENV"': 'ENV = "WST"'})
    with pytest.raises(InvalidCouncil, match="share a prefix"):
        create_app(IntakeSettings(environment="test", council_file=council_file))


def test_the_demo_council_is_refused_in_production() -> None:
    settings = IntakeSettings(
        environment="production",
        database_url="postgresql+asyncpg://intake:vault@db:5432/intake",
    )
    with pytest.raises(InvalidCouncil, match="demo council"):
        create_app(settings)
