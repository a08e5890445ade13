"""The council a deployment serves, as data: `load_council(path)` once at start, then its values
(`Council.area`, `Council.working_days`, the name and reference prefixes) passed to the domain."""

from civic_runtime.council.area import CouncilArea, InvalidBoundary
from civic_runtime.council.calendar import DIVISIONS, Division, WorkingDays
from civic_runtime.council.profile import (
    DEMO_COUNCIL_FILE,
    Council,
    CouncilProfile,
    InvalidCouncil,
    load_council,
)

__all__ = [
    "DEMO_COUNCIL_FILE",
    "DIVISIONS",
    "Council",
    "CouncilArea",
    "CouncilProfile",
    "Division",
    "InvalidBoundary",
    "InvalidCouncil",
    "WorkingDays",
    "load_council",
]
