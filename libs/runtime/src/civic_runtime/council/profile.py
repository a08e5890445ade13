"""The council's profile: who the council is, where its area is, whose bank holidays it keeps and
how its references begin. Data, not code: a TOML file and the boundary GeoJSON beside it, read
once when a service starts; a file that is missing or wrong stops the start with one message.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from civic_runtime.council.area import CouncilArea, InvalidBoundary
from civic_runtime.council.calendar import Division, WorkingDays

# The demo council, checked in beside the deployment files (the repository's root is five
# folders up from here, in the source tree and in the image alike).
DEMO_COUNCIL_FILE = Path(__file__).resolve().parents[5] / "deploy" / "council" / "council.toml"


class InvalidCouncil(ValueError):
    """A council profile (or its boundary) that a service must not start with."""


class CouncilProfile(BaseModel):
    """The contents of `council.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    # The ONS GSS code of the local authority district, e.g. E07000208.
    ons_code: str = Field(pattern=r"^[EKNSW][0-9]{8}$")
    bank_holidays: Division
    # Relative to the profile's own folder.
    boundary: Path = Path("boundary.geojson")
    # Form family (intake's reference sequences) → the prefix its references are shown with;
    # a family not named keeps its own code.
    reference_prefixes: dict[str, str] = Field(default_factory=dict)
    # Open311 service codes whose requests and updates anyone may read (street issues such as
    # fly-tipping); every other service's requests stay private: none listed, none public.
    open311_public_services: tuple[str, ...] = ()
    # The generated demo council: refused in production.
    demo: bool = False

    @field_validator("open311_public_services")
    @classmethod
    def _service_codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", code):
                raise ValueError(f"{code!r} is not a service code (e.g. fly_tipping)")
        return codes

    @field_validator("reference_prefixes")
    @classmethod
    def _prefixes(cls, prefixes: dict[str, str]) -> dict[str, str]:
        for family, prefix in prefixes.items():
            if not (len(family) == 3 and family.isascii() and family.isalpha()):
                raise ValueError(f"{family!r} is not a form family (three capitals, e.g. WST)")
            if not (2 <= len(prefix) <= 5 and prefix.isascii() and prefix.isalpha()):
                raise ValueError(f"{family}'s prefix {prefix!r} is not 2 to 5 capital letters")
            if not (family.isupper() and prefix.isupper()):
                raise ValueError(f"{family} = {prefix!r}: families and prefixes are in capitals")
        if len(set(prefixes.values())) != len(prefixes):
            # Each family numbers its references on its own: two sharing a prefix would repeat.
            raise ValueError("two form families share a reference prefix")
        return prefixes


@dataclass(frozen=True, eq=False)
class Council:
    """A loaded profile: its area and working-day calendar ready for the domain to use."""

    profile: CouncilProfile
    area: CouncilArea
    working_days: WorkingDays

    @property
    def name(self) -> str:
        return self.profile.name

    def reference_prefix(self, family: str) -> str:
        return self.profile.reference_prefixes.get(family, family)


def load_council(path: Path, *, environment: str = "development") -> Council:
    """The council described by `path` (its `council.toml`), or InvalidCouncil saying what is
    wrong in one line."""
    profile = _read_profile(path)
    if profile.demo and environment == "production":
        raise InvalidCouncil(
            f"{path} is the demo council: in production give the council's own profile"
        )
    boundary = path.parent / profile.boundary
    try:
        document = json.loads(boundary.read_text(encoding="utf-8"))
        area = CouncilArea.from_geojson(document, code=profile.ons_code)
    except FileNotFoundError:
        raise InvalidCouncil(f"{boundary}: the council's boundary file is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidCouncil(f"{boundary}: not GeoJSON ({exc})") from None
    except InvalidBoundary as exc:
        raise InvalidCouncil(f"{boundary}: {exc}") from None
    working_days = WorkingDays(profile.bank_holidays)
    this_year = date.today().year
    working_days.warm((this_year, this_year + 1))
    return Council(profile=profile, area=area, working_days=working_days)


def _read_profile(path: Path) -> CouncilProfile:
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidCouncil(f"{path}: the council profile is missing") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidCouncil(f"{path}: not valid TOML ({exc})") from None
    try:
        return CouncilProfile.model_validate(content)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'profile'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidCouncil(f"{path}: {problems}") from None
