"""The demo district file (`python -m civic_simulators.district`): only what cases reads of it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DISTRICT_FILE = Path(".local/demo/district.json")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Household(_Part):
    uprn: str = Field(pattern=r"^[0-9]{1,12}$")
    address: str = Field(max_length=500)
    postcode: str = Field(max_length=10)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    round_id: str = Field(min_length=1, max_length=50)


class DemoResident(_Part):
    resident_key: str = Field(min_length=1, max_length=100)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    uprn: str
    preferred_channel: Literal["email", "sms", "push"]
    case_updates: bool = True
    disruption_alerts: bool = False
    planning_alerts: bool = False
    planning_alert_radius_metres: int | None = Field(default=None, ge=50, le=5000)


class District(_Part):
    seed: int
    households: tuple[Household, ...]
    residents: tuple[DemoResident, ...]


def read_district(path: Path) -> District:
    return District.model_validate_json(path.read_bytes())
