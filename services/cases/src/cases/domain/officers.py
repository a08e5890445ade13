"""Officers: who they are, which case types their teams handle, and what only a team lead may do."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from civic_runtime.officers import resident_visible


@dataclass(frozen=True)
class Officer:
    officer_id: str
    role: str
    case_types: frozenset[str]

    @property
    def is_team_lead(self) -> bool:
        return self.role == "team_lead"

    def sees(self, case_type: str) -> bool:
        return case_type in self.case_types

    def sees_resident(self, case_types: Collection[str]) -> bool:
        """A resident is an officer's to see (and change) when one of their cases (as resident or
        agent, of `case_types`) is of the officer's teams'; one with no case at all, a team
        lead's (someone answers their requests: preferences, erasure)."""
        return resident_visible(
            case_types=self.case_types, team_lead=self.is_team_lead, resident_case_types=case_types
        )

    def may_assign_to(self, officer_id: str) -> bool:
        """Anyone takes a case; only a team lead gives one to someone else."""
        return officer_id == self.officer_id or self.is_team_lead


@dataclass(frozen=True)
class CaseFilters:
    """What an officer searches cases by; a case matches every filter given (None: any)."""

    reference: str | None = None
    postcode: str | None = None
    status: str | None = None
    case_type: str | None = None
    assigned_to: str | None = None
    sla_breached: bool | None = None
