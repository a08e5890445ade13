"""A case's status for whoever proves it is theirs, and nothing else (the resident status API).

Proof is a signed link token, or the postcode or email given at submission. A wrong proof and a
reference that does not exist get the same answer. Two limits, counted in the database so that
they hold across instances: attempts per client and minute, and failed attempts per reference
and hour. A postcode is a small space to guess: the reference's limit holds however many
addresses the guesses come from, and a proven lookup is not counted against it, so the resident
checking their own case does not use it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from civic_runtime.uow import UnitOfWork

from cases.adapters import repository
from cases.adapters.tables import Case, TimelineEntry
from cases.domain.proof import normalise_postcode, status_token_valid


class TooManyAttempts(Exception):
    """The client has used up this minute's lookups, or the reference this hour's failures."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


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
    failures_per_reference_per_hour: int,
    reference: str,
    token: str | None,
    postcode: str | None,
    email: str | None,
    secret: str | None,
) -> ProvenCase:
    now = _now()
    minute = now.replace(second=0, microsecond=0)
    attempts = await repository.count_status_lookup(
        uow.session, client=f"client:{client}", window_start=minute
    )
    if attempts > lookups_per_minute:
        raise TooManyAttempts(retry_after_s=60 - now.second)
    # Counted before the proof is checked, so that concurrent guesses cannot all pass the limit;
    # taken back below when the proof holds.
    hour = minute.replace(minute=0)
    reference_key = f"reference:{reference}"[:100]
    failures = await repository.count_status_lookup(
        uow.session, client=reference_key, window_start=hour
    )
    if failures > failures_per_reference_per_hour:
        raise TooManyAttempts(retry_after_s=int((hour + timedelta(hours=1) - now).total_seconds()))
    case = await repository.case_by_reference(uow.session, reference=reference, lock=False)
    if case is None or not await _proven(
        uow, case, token=token, postcode=postcode, email=email, secret=secret
    ):
        raise NotProven()
    await repository.uncount_status_lookup(uow.session, client=reference_key, window_start=hour)
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
