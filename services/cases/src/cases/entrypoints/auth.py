"""Officers of the officer API: the runtime's verified officer (civic_runtime.officers), with
the role cases gives them and the case types their teams handle.

A team lead's token (`team_lead` among its roles) makes a team lead, else `officer` makes an
officer; a token with neither is refused (403). Teams map to case types by `CASES_TEAMS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from civic_runtime.app import RuntimeDep
from civic_runtime.officer_access import officer_holding
from civic_runtime.officers import MissingRole, OfficerTokens
from civic_runtime.officers import Officer as VerifiedOfficer
from fastapi import Depends

from cases.config import CasesSettings
from cases.domain.officers import Officer

ROLES = ("team_lead", "officer")  # the strongest first


def case_officer(verified: VerifiedOfficer, *, teams: Mapping[str, tuple[str, ...]]) -> Officer:
    """The verified officer as cases sees them: their strongest role, their teams' case types."""
    role = next((role for role in ROLES if role in verified.roles), None)
    if role is None:
        raise MissingRole("the token grants no officer role")
    return Officer(verified.officer_id, role, verified.case_types(teams))


class CaseOfficers:
    """Turns a bearer token into cases' officer: the runtime's verifier, then `case_officer`."""

    def __init__(self, settings: CasesSettings) -> None:
        self.tokens = OfficerTokens(settings)
        self._teams = settings.teams

    def officer(self, token: str) -> Officer:
        return case_officer(self.tokens.officer(token), teams=self._teams)


def settings_of(runtime: RuntimeDep) -> CasesSettings:
    settings = runtime.settings
    assert isinstance(settings, CasesSettings)
    return settings


SettingsDep = Annotated[CasesSettings, Depends(settings_of)]


def current_officer(
    verified: Annotated[VerifiedOfficer, Depends(officer_holding(*ROLES))], settings: SettingsDep
) -> Officer:
    return case_officer(verified, teams=settings.teams)


OfficerDep = Annotated[Officer, Depends(current_officer)]
