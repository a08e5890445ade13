"""The demo district file (`python -m civic_simulators.district`): where it is, and what the demo
loads of it into cases."""

from __future__ import annotations

import os
from pathlib import Path

from cases.service_layer.residents_import import Household, ImportedResident
from pydantic import BaseModel, ConfigDict

ROOT = Path(__file__).resolve().parent.parent


class District(BaseModel):
    # Rounds and planning applications are the simulators'; cases reads homes and residents.
    model_config = ConfigDict(frozen=True, extra="ignore")

    seed: int
    households: tuple[Household, ...]
    residents: tuple[ImportedResident, ...]


def district_file() -> Path:
    return Path(os.environ.get("DEMO_DISTRICT_FILE", ROOT / ".local/demo/district.json"))


def read_district(path: Path) -> District:
    return District.model_validate_json(path.read_bytes())
