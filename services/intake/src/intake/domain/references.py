"""Human references for submissions, e.g. WST-2026-004211: prefix, year, sequence number.

Each form family numbers its submissions from its own sequence; the prefix a family's references
are shown with is the council's choice (its profile), the family's code when it names none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

REFERENCE_PATTERN = re.compile(r"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6,}$")


class InvalidReferencePrefixes(ValueError):
    """Prefixes that name an unknown family or would make two families' references collide."""


def reference_prefixes(families: Iterable[str], chosen: Mapping[str, str]) -> dict[str, str]:
    """Every family's prefix: the council's choice, else the family's own code."""
    families = tuple(families)
    unknown = sorted(set(chosen) - set(families))
    if unknown:
        raise InvalidReferencePrefixes(
            f"reference prefixes for unknown form families {', '.join(unknown)} "
            f"(the families are {', '.join(families)})"
        )
    prefixes = {family: chosen.get(family, family) for family in families}
    if len(set(prefixes.values())) != len(prefixes):
        # Two families count separately: sharing a prefix, their references would repeat.
        raise InvalidReferencePrefixes(f"two form families would share a prefix: {prefixes}")
    return prefixes


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def sequence_name(family: str) -> str:
    """The PostgreSQL sequence behind a family's numbers (created by migration 0002)."""
    return f"intake_reference_{family.lower()}_seq"
