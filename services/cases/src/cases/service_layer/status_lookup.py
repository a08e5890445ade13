"""A case's status for whoever proves it is theirs, and nothing else (the resident status API).

Proof is a signed link token, or the postcode or email given at submission. A wrong proof and a
reference that does not exist get the same answer; attempts are counted per client in the
database, so the limit holds across instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case, TimelineEntry
from cases.domain.proof import normalise_postcode, status_token_valid


class TooManyAttempts(Exception):
    """The client has used up this minute's lookups."""


class NotProven(Exception):
    """No such case, or no proof that it is the asker's: the same answer for both."""


@dataclass(frozen=True)
class ProvenCase:
    case: Case
    status_changes: list[TimelineEntry]


def _now() -> datetime:
    return datetime.now(UTC)


async def look_up_status(
    *,
    uow: UnitOfWork,
    client: str,
    lookups_per_minute: int,
    reference: str,
    token: str | None,
    postcode: str | None,
    email: str | None,
    secret: str | None,
) -> ProvenCase:
    window_start = _now().replace(second=0, microsecond=0)
    attempts = await repository.count_status_lookup(
        uow.session, client=client, window_start=window_start
    )
    if attempts > lookups_per_minute:
        raise TooManyAttempts()
    case = await repository.case_by_reference(uow.session, reference=reference, lock=False)
    if case is None or not await _proven(
        uow, case, token=token, postcode=postcode, email=email, secret=secret
    ):
        raise NotProven()
    entries = await repository.timeline(uow.session, case_id=case.id, include_internal=False)
    return ProvenCase(case=case, status_changes=[e for e in entries if e.kind == "status_changed"])


async def _proven(
    uow: UnitOfWork,
    case: Case,
    *,
    token: str | None,
    postcode: str | None,
    email: str | None,
    secret: str | None,
) -> bool:
    if token:
        return secret is not None and status_token_valid(
            secret=secret, reference=case.reference, token=token, now=datetime.now(UTC)
        )
    if postcode:
        return case.postcode is not None and normalise_postcode(postcode) == case.postcode
    if email and case.resident_id is not None:
        resident = await repository.resident_by_id(uow.session, resident_id=case.resident_id)
        return (
            resident is not None
            and resident.email is not None
            and resident.email == email.strip().lower()
        )
    return False
