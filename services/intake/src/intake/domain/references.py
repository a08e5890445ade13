"""Human references for submissions, e.g. WST-2026-004211: family prefix, year, sequence number."""

from __future__ import annotations

import re

REFERENCE_PATTERN = re.compile(r"^[A-Z]{3}-[0-9]{4}-[0-9]{6,}$")


def format_reference(family: str, year: int, number: int) -> str:
    return f"{family}-{year}-{number:06d}"


def sequence_name(family: str) -> str:
    """The PostgreSQL sequence behind a family's numbers (created by migration 0002)."""
    return f"intake_reference_{family.lower()}_seq"
