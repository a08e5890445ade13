"""Officers' bearer tokens: compared by SHA-256 against the configured credentials."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from civic_runtime.app import RuntimeDep
from fastapi import Depends, HTTPException, Request

from cases.config import CasesSettings


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


def settings_of(runtime: RuntimeDep) -> CasesSettings:
    settings = runtime.settings
    assert isinstance(settings, CasesSettings)
    return settings


SettingsDep = Annotated[CasesSettings, Depends(settings_of)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_officer(request: Request, settings: SettingsDep) -> Officer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorised("a bearer token is required")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    match = None
    for credential in settings.officers:
        # Compare with every credential, in constant time, so timing says nothing.
        if hmac.compare_digest(credential.token_sha256, digest):
            match = credential
    if match is None:
        raise _unauthorised("the token is not valid")
    case_types = frozenset(
        case_type for team in match.teams for case_type in settings.teams.get(team, ())
    )
    return Officer(match.officer_id, match.role, case_types)


OfficerDep = Annotated[Officer, Depends(current_officer)]
