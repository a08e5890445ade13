"""Cases starts only with a council profile it can use; its bank holidays set the SLA clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cases.bootstrap import create_app
from cases.config import CasesSettings
from civic_runtime.council import DEMO_COUNCIL_FILE, InvalidCouncil

pytestmark = pytest.mark.unit


def test_the_demo_council_is_the_default_and_the_variable_names_another(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CASES_COUNCIL_FILE", raising=False)
    assert CasesSettings().council_file == DEMO_COUNCIL_FILE
    monkeypatch.setenv("CASES_COUNCIL_FILE", str(tmp_path / "council.toml"))
    assert CasesSettings().council_file == tmp_path / "council.toml"


def test_a_missing_council_file_stops_the_start(tmp_path: Path) -> None:
    settings = CasesSettings(environment="test", council_file=tmp_path / "council.toml")
    with pytest.raises(InvalidCouncil, match="council profile is missing"):
        create_app(settings)


def test_the_demo_council_is_refused_in_production() -> None:
    settings = CasesSettings(
        environment="production",
        database_url="postgresql+asyncpg://cases:vault@db:5432/cases",
        waste_contractor_url="",
    )
    with pytest.raises(InvalidCouncil, match="demo council"):
        create_app(settings)


def test_the_sla_clock_keeps_the_profiles_bank_holidays(tmp_path: Path) -> None:
    profile = DEMO_COUNCIL_FILE.read_text().replace('"england-and-wales"', '"scotland"')
    (tmp_path / "council.toml").write_text(profile)
    shutil.copy(DEMO_COUNCIL_FILE.parent / "boundary.geojson", tmp_path / "boundary.geojson")
    settings = CasesSettings(
        environment="test", council_file=tmp_path / "council.toml", waste_contractor_url=""
    )
    clock = create_app(settings).state.cases_context.sla_clock
    assert clock.calendar.division == "scotland"
